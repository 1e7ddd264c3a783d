/**
 * pipelines/warehouse/snowflakeEnv.ts: the settings `--target snowflake` takes from the environment.
 * What a user gets wrong (a missing variable, a key path that cannot be read) is named; what they
 * get right is a configuration the driver logs in with, the key read from its file (checked against
 * the fake Snowflake server: the login's JWT verifies with the key's public half).
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, verify } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { snowflakeConfigFromEnv } from "../../pipelines/warehouse/snowflakeEnv.ts";
import { connectSnowflake } from "../../pipelines/warehouse/snowflakeWarehouse.ts";
import { FakeSnowflakeServer } from "./fakeSnowflakeServer.ts";

const PASSPHRASE = "correct horse battery staple";
const KEY = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: PASSPHRASE },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

/** Whether `publicKeyPem` signed the JWT in a login request. */
function signedBy(token: string, publicKeyPem: string): boolean {
  const [h, p, s] = token.split(".") as [string, string, string];
  return verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKeyPem, Buffer.from(s, "base64url"));
}

describe("Snowflake settings from the environment", () => {
  let dir: string;
  let keyPath: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hub-sf-env-"));
    keyPath = join(dir, "rsa_key.p8");
    writeFileSync(keyPath, KEY.privateKey, { mode: 0o600 });
    env = {
      SNOWFLAKE_ACCOUNT: "acme-prod", SNOWFLAKE_USER: "svc_hub", SNOWFLAKE_ROLE: "HUB_PIPELINE", SNOWFLAKE_WAREHOUSE: "HUB_WH",
      SNOWFLAKE_DATABASE: "HUB", SNOWFLAKE_PRIVATE_KEY_PATH: keyPath, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: PASSPHRASE,
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("names every missing variable, an empty one included, and reads nothing", () => {
    assert.throws(() => snowflakeConfigFromEnv({}), {
      message: "--target snowflake needs SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE, SNOWFLAKE_DATABASE, SNOWFLAKE_PRIVATE_KEY_PATH in the environment (the private key as a PEM file path, or as PEM text in HUB_SNOWFLAKE_PRIVATE_KEY)",
    });
    assert.throws(() => snowflakeConfigFromEnv({ ...env, SNOWFLAKE_ROLE: "", SNOWFLAKE_DATABASE: undefined }), /needs SNOWFLAKE_ROLE, SNOWFLAKE_DATABASE in the environment/);
    assert.throws(() => snowflakeConfigFromEnv({ ...env, SNOWFLAKE_PRIVATE_KEY_PATH: undefined }), /needs SNOWFLAKE_PRIVATE_KEY_PATH in the environment/);
  });

  it("says which key path cannot be read and why, without a stack trace's worth of detail", () => {
    assert.throws(() => snowflakeConfigFromEnv({ ...env, SNOWFLAKE_PRIVATE_KEY_PATH: join(dir, "missing.p8") }), {
      message: `SNOWFLAKE_PRIVATE_KEY_PATH ${JSON.stringify(join(dir, "missing.p8"))} cannot be read (ENOENT)`,
    });
    assert.throws(() => snowflakeConfigFromEnv({ ...env, SNOWFLAKE_PRIVATE_KEY_PATH: dir }), { message: `SNOWFLAKE_PRIVATE_KEY_PATH ${JSON.stringify(dir)} cannot be read (EISDIR)` });
  });

  it("gives the driver a configuration it logs in with: account, user, role, warehouse, database, and the key from its file", async () => {
    const cfg = snowflakeConfigFromEnv(env);
    assert.deepEqual({ ...cfg, privateKey: "<read>" }, {
      account: "acme-prod", username: "svc_hub", role: "HUB_PIPELINE", warehouse: "HUB_WH", database: "HUB",
      privateKey: "<read>", privateKeyPassphrase: PASSPHRASE,
    });
    const server = await FakeSnowflakeServer.start();
    try {
      // Only the address is the test's: the fake server instead of <account>.snowflakecomputing.com.
      const wh = await connectSnowflake({ ...cfg, accessUrl: server.url });
      await wh.close();
      const [login] = server.byPath("/session/v1/login-request");
      assert.equal(login!.body.data.AUTHENTICATOR, "SNOWFLAKE_JWT");
      assert.equal(login!.body.data.LOGIN_NAME, "svc_hub");
      assert.deepEqual(["roleName", "warehouse", "databaseName"].map((k) => login!.query.get(k)), ["HUB_PIPELINE", "HUB_WH", "HUB"]);
      assert.equal(signedBy(login!.body.data.TOKEN, KEY.publicKey), true, "signed by the key in SNOWFLAKE_PRIVATE_KEY_PATH, decrypted with the passphrase");
      assert.deepEqual(server.problems, []);
    } finally {
      await server.close();
    }
  });
  it("takes the key as PEM text in HUB_SNOWFLAKE_PRIVATE_KEY (what ECS injects from Secrets Manager), but not both forms at once", async () => {
    const { SNOWFLAKE_PRIVATE_KEY_PATH: _path, ...inlineEnv } = env;
    const cfg = snowflakeConfigFromEnv({ ...inlineEnv, HUB_SNOWFLAKE_PRIVATE_KEY: KEY.privateKey });
    assert.equal(cfg.privateKey, KEY.privateKey);
    assert.throws(() => snowflakeConfigFromEnv({ ...env, HUB_SNOWFLAKE_PRIVATE_KEY: KEY.privateKey }), { message: "set one of HUB_SNOWFLAKE_PRIVATE_KEY and SNOWFLAKE_PRIVATE_KEY_PATH, not both" });
    const server = await FakeSnowflakeServer.start();
    try {
      const wh = await connectSnowflake({ ...cfg, accessUrl: server.url });
      await wh.close();
      const [login] = server.byPath("/session/v1/login-request");
      assert.equal(signedBy(login!.body.data.TOKEN, KEY.publicKey), true, "signed by the key in HUB_SNOWFLAKE_PRIVATE_KEY");
    } finally {
      await server.close();
    }
  });
});
