/**
 * The Snowflake driver against a fake Snowflake REST server on 127.0.0.1 (no other network): what
 * the SDK sends (key-pair login, SQL, binds, QUERY_TAG, session setup) and what callers get back
 * (rows, counts, HubSqlError), plus failures: refused logins, dead hosts, bad config, and the
 * private key never showing up in an error.
 */
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { inspect } from "node:util";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { connectSnowflake, SnowflakeConfigError, type SnowflakeConfig, type SnowflakeWarehouse } from "../../pipelines/warehouse/snowflakeWarehouse.ts";
import { formatQueryTag } from "../../pipelines/warehouse/warehouse.ts";
import { FakeSnowflakeServer, type FakeResult } from "./fakeSnowflakeServer.ts";

const rsa = () =>
  generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const KEY = rsa();
const PASSPHRASE = "correct horse battery staple";
const ENCRYPTED = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: PASSPHRASE },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

function configFor(accessUrl: string, overrides: Partial<SnowflakeConfig> = {}): SnowflakeConfig {
  return {
    account: "acme-prod",
    username: "svc_hub",
    role: "HUB_PIPELINE",
    warehouse: "HUB_WH",
    database: "HUB",
    schema: "RAW",
    privateKey: KEY.privateKey,
    accessUrl,
    ...overrides,
  };
}

/** Every error the tests provoke; the last test checks none of them carries key material. */
const seenErrors: unknown[] = [];
async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    seenErrors.push(e);
    return e as Error;
  }
  return assert.fail("expected the promise to reject");
}

/** The JWT in a login request: header and payload decoded, and whether `publicKeyPem` signed it. */
function readJwt(token: string, publicKeyPem: string) {
  const [h, p, s] = token.split(".") as [string, string, string];
  const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  const signedBy = verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKeyPem, Buffer.from(s, "base64url"));
  return { header: decode(h), payload: decode(p), signedBy };
}

const fingerprint = (publicKeyPem: string) =>
  "SHA256:" + createHash("sha256").update(createPublicKey(publicKeyPem).export({ type: "spki", format: "der" })).digest("base64");

describe("connectSnowflake: logging in", () => {
  let server: FakeSnowflakeServer;
  before(async () => (server = await FakeSnowflakeServer.start()));
  after(() => server.close());

  it("logs in with key-pair auth: a JWT for ACCOUNT.USER signed by the configured private key, no password", async () => {
    const wh = await connectSnowflake(configFor(server.url));
    await wh.close();
    const [login] = server.byPath("/session/v1/login-request");
    assert.ok(login);
    assert.equal(login.body.data.AUTHENTICATOR, "SNOWFLAKE_JWT");
    assert.equal(login.body.data.LOGIN_NAME, "svc_hub");
    assert.equal(login.body.data.ACCOUNT_NAME, "acme-prod");
    assert.equal(login.body.data.PASSWORD, undefined);
    assert.deepEqual(
      ["roleName", "warehouse", "databaseName", "schemaName"].map((k) => login.query.get(k)),
      ["HUB_PIPELINE", "HUB_WH", "HUB", "RAW"],
    );
    const jwt = readJwt(login.body.data.TOKEN, KEY.publicKey);
    assert.equal(jwt.header.alg, "RS256");
    assert.equal(jwt.signedBy, true, "signature verifies with the test key's public key");
    assert.equal(readJwt(login.body.data.TOKEN, rsa().publicKey).signedBy, false, "and not with another key");
    assert.equal(jwt.payload.sub, "ACME-PROD.SVC_HUB");
    assert.equal(jwt.payload.iss, `ACME-PROD.SVC_HUB.${fingerprint(KEY.publicKey)}`);
    assert.ok(!JSON.stringify(login.body).includes(KEY.privateKey.split("\n")[1]!), "the key itself is not sent");
    assert.deepEqual(server.problems, []);
  });

  it("sets the statement timeout (default one hour) for the session before the caller's first statement", async () => {
    const before = server.statements().length;
    const wh = await connectSnowflake(configFor(server.url));
    server.onQuery = () => ({ columns: [{ name: "ONE", type: "fixed" }], rows: [["1"]] });
    await wh.query("SELECT 1 AS one");
    await wh.close();
    const [setup, first] = server.statements().slice(before);
    assert.match(setup!, /^ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 3600, STRICT_JSON_OUTPUT = TRUE, TIMEZONE = 'UTC'$/);
    assert.equal(first, "SELECT 1 AS one");

    const custom = await connectSnowflake(configFor(server.url, { statementTimeoutSeconds: 1800 }));
    await custom.close();
    assert.match(server.statements().at(-1)!, /STATEMENT_TIMEOUT_IN_SECONDS = 1800,/);
  });

  it("reads a passphrase-protected key; the passphrase is never sent", async () => {
    const wh = await connectSnowflake(configFor(server.url, { privateKey: ENCRYPTED.privateKey, privateKeyPassphrase: PASSPHRASE }));
    await wh.close();
    const login = server.byPath("/session/v1/login-request").at(-1)!;
    assert.equal(readJwt(login.body.data.TOKEN, ENCRYPTED.publicKey).signedBy, true);
    assert.ok(!JSON.stringify(server.requests.map((r) => r.body)).includes(PASSPHRASE));
  });

  it("logs out on close(); statements after close() fail with a closed-session HubSqlError", async () => {
    const wh = await connectSnowflake(configFor(server.url));
    const logouts = server.byPath("/session").length;
    await wh.close();
    await wh.close(); // a second close is harmless
    const [logout] = server.byPath("/session").slice(logouts);
    assert.equal(logout?.query.get("delete"), "true");
    const err = await rejectionOf(wh.query("SELECT 1"));
    assert.ok(err instanceof HubSqlError);
    assert.equal(err.sqlState, "08003");
    assert.equal(server.byPath("/session").length, logouts + 1);
  });
});

describe("SnowflakeWarehouse statements", () => {
  let server: FakeSnowflakeServer;
  let wh: SnowflakeWarehouse;
  const defaultTag = { job: "session-default" };
  before(async () => {
    server = await FakeSnowflakeServer.start();
    wh = await connectSnowflake(configFor(server.url, { defaultTag }));
  });
  after(async () => {
    await wh.close();
    await server.close();
  });
  const lastQuery = () => server.byPath("/queries/v1/query-request").at(-1)!.body;
  const answer = (result: FakeResult) => (server.onQuery = () => result);

  it("sends the SQL text and positional binds; a Date binds as TIMESTAMP_NTZ holding its UTC wall time", async () => {
    answer({ columns: [{ name: "N", type: "fixed" }], rows: [["0"]] });
    const at = new Date("2024-05-01T12:30:00.123Z");
    await wh.query("SELECT COUNT(*) AS n FROM RAW.READINGS WHERE machine_id = ? AND ts >= ? AND ok = ? AND note IS ? AND seq > ?", {
      binds: ["press-7", at, true, null, 12345678901234567890n],
    });
    const body = lastQuery();
    assert.equal(body.sqlText, "SELECT COUNT(*) AS n FROM RAW.READINGS WHERE machine_id = ? AND ts >= ?::TIMESTAMP_NTZ AND ok = ? AND note IS ? AND seq > ?");
    assert.deepEqual(body.bindings, {
      "1": { type: "TEXT", value: "press-7" },
      "2": { type: "TEXT", value: "2024-05-01 12:30:00.123" },
      "3": { type: "BOOLEAN", value: "true" },
      "4": { type: "TEXT", value: null },
      "5": { type: "TEXT", value: "12345678901234567890" },
    });
  });

  it("casts only real placeholders: a ? in a string, a quoted name or a comment is left alone", async () => {
    answer({ columns: [{ name: "N", type: "fixed" }], rows: [["0"]] });
    const sql = `SELECT '?', payload:"a?b" -- why?\nFROM t WHERE ts < ? /* ? */ AND id = ?`;
    await wh.query(sql, { binds: [new Date(0), 7] });
    assert.equal(lastQuery().sqlText, `SELECT '?', payload:"a?b" -- why?\nFROM t WHERE ts < ?::TIMESTAMP_NTZ /* ? */ AND id = ?`);
    assert.deepEqual(lastQuery().bindings["1"], { type: "TEXT", value: "1970-01-01 00:00:00.000" });
  });

  it("tags every statement with QUERY_TAG {tenant, job}: the statement's own tag, else the session default", async () => {
    answer({ columns: [{ name: "N", type: "fixed" }], rows: [["1"]] });
    await wh.query("SELECT 1 AS n", { tag: { tenant: "acme", job: "kpi-hourly" } });
    assert.deepEqual(JSON.parse(lastQuery().parameters.QUERY_TAG), { tenant: "acme", job: "kpi-hourly" });
    await wh.execute("SELECT 1 AS n");
    assert.equal(lastQuery().parameters.QUERY_TAG, formatQueryTag(defaultTag));
    const setup = server.byPath("/queries/v1/query-request")[0]!.body;
    assert.match(setup.sqlText, /^ALTER SESSION/);
    assert.equal(setup.parameters.QUERY_TAG, formatQueryTag(defaultTag), "the session setup is tagged too");
  });

  it("returns rows with lower-case keys, parsed VARIANT/OBJECT/ARRAY, plain UTC Dates and numbers", async () => {
    answer({
      columns: [
        { name: "MACHINE_ID", type: "text" },
        { name: "READINGS", type: "fixed" },
        { name: "AVG_LOAD", type: "fixed", scale: 2 },
        { name: "TEMPERATURE", type: "real" },
        { name: "PAYLOAD", type: "variant" },
        { name: "DIMS", type: "object" },
        { name: "CODES", type: "array" },
        { name: "TS", type: "timestamp_ntz", scale: 9 },
        { name: "ACTIVE", type: "boolean" },
        { name: "NOTE", type: "text" },
      ],
      rows: [["press-7", "42", "0.75", "21.5", '{"metrics":{"load":0.8},"tags":["a"]}', '{"w":3}', "[1,2]", "1714566600.123000000", "1", null]],
    });
    const rows = await wh.query("SELECT * FROM KPI");
    assert.deepEqual(rows, [
      {
        machine_id: "press-7",
        readings: 42,
        avg_load: 0.75,
        temperature: 21.5,
        payload: { metrics: { load: 0.8 }, tags: ["a"] },
        dims: { w: 3 },
        codes: [1, 2],
        ts: new Date("2024-05-01T12:30:00.123Z"),
        active: true,
        note: null,
      },
    ]);
    assert.equal(Object.getPrototypeOf(rows[0]!.ts), Date.prototype);
    assert.equal(JSON.stringify(rows[0]!.ts), '"2024-05-01T12:30:00.123Z"');
  });

  it("keeps integers beyond 2^53 exact, as bigint", async () => {
    answer({ columns: [{ name: "BIG", type: "fixed" }, { name: "SMALL", type: "fixed" }], rows: [["9007199254740993", "-12"]] });
    assert.deepEqual(await wh.query("SELECT big, small FROM t"), [{ big: 9007199254740993n, small: -12 }]);
  });

  it("execute() returns the rows an INSERT changed, and 0 for a statement that changes none", async () => {
    answer({ columns: [{ name: "number of rows inserted", type: "fixed" }], rows: [["3"]], statementTypeId: 0x3100 });
    assert.equal(await wh.execute("INSERT INTO t SELECT * FROM s"), 3);
    answer({ columns: [{ name: "status", type: "text" }], rows: [["Table T successfully created."]], statementTypeId: 0x6000 });
    assert.equal(await wh.execute("CREATE TABLE t (x INT)"), 0);
  });

  it("turns a server error into a HubSqlError with Snowflake's code, SQLSTATE and message", async () => {
    const message = "SQL compilation error:\nObject 'HUB.RAW.NOPE' does not exist or not authorized.";
    server.onQuery = () => ({ code: "002003", sqlState: "42S02", message });
    const err = await rejectionOf(wh.query("SELECT * FROM HUB.RAW.NOPE"));
    assert.ok(err instanceof HubSqlError);
    assert.equal(err.code, "002003");
    assert.equal(err.sqlState, "42S02");
    assert.equal(err.message, message);
    assert.equal(err.sql, "SELECT * FROM HUB.RAW.NOPE");
    assert.deepEqual(server.problems, []);
  });
});

describe("connectSnowflake: failing to connect", () => {
  it("reports a refused login with the account, the access URL and Snowflake's reason", async () => {
    const server = await FakeSnowflakeServer.start();
    server.loginFailure = { code: "390144", sqlState: "", message: "JWT token is invalid." };
    try {
      const err = await rejectionOf(connectSnowflake(configFor(server.url)));
      assert.ok(err instanceof HubSqlError);
      assert.equal(err.code, "390144");
      assert.equal(err.sqlState, "08001");
      for (const part of ['"acme-prod"', server.url, '"svc_hub"', "JWT token is invalid."]) assert.ok(err.message.includes(part), `${err.message} names ${part}`);
    } finally {
      await server.close();
    }
  });

  it("fails fast when nothing listens at the access URL", { timeout: 30_000 }, async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as net.AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await rejectionOf(connectSnowflake(configFor(url)));
    assert.ok(err instanceof HubSqlError);
    assert.equal(err.sqlState, "08001");
    assert.ok(err.message.includes(url) && err.message.includes('"acme-prod"'), err.message);
  });

  it("gives up after loginTimeoutSeconds when the host accepts the connection but never answers", { timeout: 30_000 }, async () => {
    const server = await FakeSnowflakeServer.start();
    server.hangLogins = true;
    try {
      const err = await rejectionOf(connectSnowflake(configFor(server.url, { loginTimeoutSeconds: 1 })));
      assert.ok(err instanceof HubSqlError);
      assert.match(err.message, /login timeout of 1 s/);
      assert.ok(err.message.includes(server.url));
    } finally {
      await server.close(); // the SDK's pending login ends with the connection
    }
  });
});

describe("connectSnowflake: config validation", () => {
  let server: FakeSnowflakeServer;
  before(async () => (server = await FakeSnowflakeServer.start()));
  after(() => server.close());

  const expectConfigError = async (overrides: Partial<SnowflakeConfig>, field: string): Promise<Error> => {
    const err = await rejectionOf(connectSnowflake(configFor(server.url, overrides)));
    assert.ok(err instanceof SnowflakeConfigError, `${inspect(overrides)}: ${err}`);
    assert.equal(err.field, field);
    assert.ok(err.message.includes(field), err.message);
    return err;
  };

  it("names the field and the bad value, before sending anything", async () => {
    const cases: [Partial<SnowflakeConfig>, string, string][] = [
      [{ account: "acme prod!" }, "account", '"acme prod!"'],
      [{ username: " " }, "username", '" "'],
      [{ role: "HUB ROLE" }, "role", '"HUB ROLE"'],
      [{ warehouse: "" }, "warehouse", '""'],
      [{ database: "HUB;DROP" }, "database", '"HUB;DROP"'],
      [{ schema: "raw schema" }, "schema", '"raw schema"'],
      [{ accessUrl: "ftp://127.0.0.1:1" }, "accessUrl", '"ftp://127.0.0.1:1"'],
      [{ accessUrl: "http://127.0.0.1:1/path" }, "accessUrl", '"http://127.0.0.1:1/path"'],
      [{ loginTimeoutSeconds: 0 }, "loginTimeoutSeconds", "got 0"],
      [{ statementTimeoutSeconds: 1.5 }, "statementTimeoutSeconds", "got 1.5"],
      [{ statementTimeoutSeconds: -1 }, "statementTimeoutSeconds", "got -1"],
      [{ defaultTag: { job: "" } }, "defaultTag.job", '""'],
    ];
    for (const [overrides, field, value] of cases) {
      const err = await expectConfigError(overrides, field);
      assert.ok(err.message.includes(value), `${err.message} shows ${value}`);
    }
    assert.equal(server.requests.length, 0);
  });

  it("describes an unusable private key without quoting it", async () => {
    const fake = "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDtopsecret\n-----END PRIVATE KEY-----\n";
    for (const privateKey of [fake, "just some text", KEY.publicKey]) {
      const err = await expectConfigError({ privateKey }, "privateKey");
      assert.ok(!err.message.includes("topsecret") && !err.message.includes("just some text"), err.message);
    }
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    assert.match((await expectConfigError({ privateKey: ec }, "privateKey")).message, /RSA/);
  });

  it("asks for the passphrase of an encrypted key, and rejects a wrong one without quoting it", async () => {
    await expectConfigError({ privateKey: ENCRYPTED.privateKey }, "privateKeyPassphrase");
    const err = await expectConfigError({ privateKey: ENCRYPTED.privateKey, privateKeyPassphrase: "wrong passphrase!" }, "privateKey/privateKeyPassphrase");
    assert.ok(!err.message.includes("wrong passphrase!"), err.message);
    assert.equal(server.requests.length, 0);
  });
});

describe("secrets in errors", () => {
  it("no error above carries the private key or the passphrase, in its message, stack or cause", () => {
    assert.ok(seenErrors.length >= 20, `checked ${seenErrors.length} errors`);
    const pemLines = (pem: string) => pem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
    const decrypted = createPrivateKey({ key: ENCRYPTED.privateKey, passphrase: PASSPHRASE }).export({ type: "pkcs8", format: "pem" }).toString();
    const secrets = [...pemLines(KEY.privateKey), ...pemLines(ENCRYPTED.privateKey), ...pemLines(decrypted), PASSPHRASE];
    for (const e of seenErrors) {
      const text = [String(e), (e as Error).stack, inspect(e, { depth: 12 })].join("\n");
      for (const s of secrets) assert.ok(!text.includes(s), `an error leaks key material: ${String(e)}`);
    }
  });
});
