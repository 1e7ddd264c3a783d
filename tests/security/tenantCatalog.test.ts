/**
 * What a tenant session's own catalog shows it, asked from inside the session (the product's
 * session code: EmbeddedEngine.session and the Snowflake session behind `hub sql`), not from our
 * definitions. Every question a tenant can put to the catalog (information_schema, duckdb_views(),
 * SHOW, DESCRIBE, PRAGMA, SQLite and Postgres catalogs) is either refused with a Snowflake error or
 * lists objects; every object listed is then read from the same session, and what it shows is
 * judged from outside: the hub (tenantHub.ts) put every tenant's name into every text column of
 * every table, so a row of another tenant shows as its name, whatever the column.
 *
 * RAW.DEVICE_MESSAGES, the table the audit found leaking (every tenant's Firehose messages, no
 * tenant column), is tried by itself first, from a hub that holds only what the test writes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { adminQuery, testEngine } from "../helpers/engine.ts";
import { REFERENCE, tenantHub, type TenantHub } from "./tenantHub.ts";

const rowsText = (rows: unknown) => JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
const OTHERS = /globex|initech/i;
/** Snowflake's refusals: object does not exist or not authorized, unknown function, unsupported, not authorized. */
const REFUSALS = ["002003", "002140", "000002", "003001", "001003", "000008"];

describe("RAW.DEVICE_MESSAGES from a tenant session", () => {
  it("holds every tenant's messages for the admin, and is refused to a tenant role under every name, and to a role that does not exist", async () => {
    const { engine } = await testEngine();
    try {
      await engine.grantTenantRole("acme");
      const admin = await engine.admin();
      await admin.execute(`INSERT INTO RAW.DEVICE_MESSAGES (message, metadata) VALUES ('{"tenant_id": "acme"}', NULL), ('{"tenant_id": "globex"}', NULL)`);
      await admin.close();
      assert.equal((await adminQuery(engine, "SELECT * FROM RAW.DEVICE_MESSAGES")).length, 2);
      const catalog = engine.dataCatalog;
      const s = await engine.session({ role: "TENANT_ACME_ROLE" });
      try {
        for (const name of ["RAW.DEVICE_MESSAGES", "raw.device_messages", `${catalog}.RAW.DEVICE_MESSAGES`, "hub_secure.RAW.DEVICE_MESSAGES", '"RAW"."DEVICE_MESSAGES"']) {
          await assert.rejects(s.query(`SELECT * FROM ${name}`), (e: unknown) => e instanceof HubSqlError && e.code === "002003", name);
        }
        await assert.rejects(s.query("SELECT COUNT(*) FROM (SELECT * FROM RAW.DEVICE_MESSAGES)"), (e: unknown) => e instanceof HubSqlError);
      } finally {
        await s.close();
      }
      await assert.rejects(engine.session({ role: "TENANT_NOBODY_ROLE" }), (e: unknown) => e instanceof HubSqlError && e.code === "002003");
    } finally {
      await engine.close();
    }
  });
});

describe("what a tenant session's own catalog lists", () => {
  let hub: TenantHub;
  before(async () => {
    hub = await tenantHub();
  });
  after(async () => {
    await hub.engine.close();
    rmSync(hub.secretsDir, { recursive: true, force: true });
  });

  /** The rows a tenant session gets for `sql`, or null when it is refused with a Snowflake error. */
  async function ask(sql: string): Promise<Record<string, unknown>[] | null> {
    const s = await hub.engine.session({ role: "TENANT_ACME_ROLE" });
    try {
      return await s.query(sql);
    } catch (e) {
      if (e instanceof HubSqlError && REFUSALS.includes(e.code)) return null;
      throw new Error(`${sql}: not a Snowflake refusal: ${(e as Error).message}`);
    } finally {
      await s.close();
    }
  }

  it("every catalog question a session can ask is refused or lists only what acme may read, and what it lists shows no other tenant", async () => {
    const questions = [
      "SELECT * FROM information_schema.tables", "SELECT * FROM information_schema.columns", "SELECT * FROM information_schema.schemata",
      "SELECT * FROM INFORMATION_SCHEMA.VIEWS", "SELECT * FROM hub_secure.information_schema.tables",
      "SELECT * FROM duckdb_views()", "SELECT * FROM duckdb_tables()", "SELECT * FROM duckdb_columns()", "SELECT * FROM duckdb_databases()",
      "SELECT * FROM duckdb_schemas()", "SELECT * FROM duckdb_functions()", "SELECT * FROM duckdb_settings()",
      "SHOW TABLES", "SHOW ALL TABLES", "SHOW DATABASES", "SHOW SCHEMAS", "DESCRIBE RAW.DEVICE_MESSAGES", "DESCRIBE SELECT * FROM RAW.DEVICE_MESSAGES",
      "SUMMARIZE RAW.DEVICE_MESSAGES", "PRAGMA show_tables", "PRAGMA table_info('RAW.DEVICE_MESSAGES')", "SELECT * FROM pragma_table_info('RAW.DEVICE_MESSAGES')",
      "SELECT * FROM sqlite_master", "SELECT * FROM pg_catalog.pg_class", "SELECT * FROM pg_tables", "SELECT * FROM duckdb_dependencies()",
    ];
    const answered: string[] = [];
    for (const q of questions) {
      const rows = await ask(q);
      if (rows === null) continue;
      answered.push(q);
      // Whatever a catalog question answers must not name another tenant nor the ungranted objects.
      assert.doesNotMatch(rowsText(rows), OTHERS, q);
      assert.doesNotMatch(rowsText(rows), /DEVICE_MESSAGES|TENANT_MAP|ARCHIVE_WATERMARKS/, q);
    }
    // Today every one of them is refused; a question that starts to answer is judged above.
    assert.deepEqual(answered, []);
  });

  it("through the Snowflake session: each object SHOW lists is read from that session and shows acme's rows or reference data only", async () => {
    const s = await SnowflakeSession.open(hub.engine, { user: "acme_analyst", role: "TENANT_ACME_ROLE" });
    try {
      const listed = new Map<string, string>();
      for (const q of ["SHOW TABLES IN ACCOUNT", "SHOW TERSE TABLES", "SHOW DYNAMIC TABLES IN ACCOUNT", "SHOW VIEWS IN ACCOUNT", "SHOW OBJECTS IN ACCOUNT"]) {
        let result;
        try {
          [result] = await s.execute(q);
        } catch (e) {
          if (e instanceof HubSqlError) continue;
          throw e;
        }
        const col = (n: string) => result!.columns.indexOf(n);
        for (const row of result!.rows) listed.set(`${String(row[col("schema_name")])}.${String(row[col("name")])}`, q);
      }
      assert.ok(listed.size >= 10, `SHOW lists acme's objects: ${[...listed.keys()].join(", ")}`);
      for (const name of ["RAW.DEVICE_MESSAGES", "GOVERNANCE.TENANT_MAP", "OPS.ARCHIVE_WATERMARKS", "OPS.ARCHIVE_RUNS"]) assert.ok(!listed.has(name), `${name} is listed`);
      const seenAcme = new Set<string>();
      for (const name of listed.keys()) {
        const [r] = await s.execute(`SELECT * FROM ${name}`);
        const text = rowsText(r!.rows);
        assert.doesNotMatch(text, OTHERS, `${name} (listed by ${listed.get(name)}) shows another tenant's rows`);
        if (/acme/.test(text)) seenAcme.add(name);
        else if (r!.rows.length > 0) assert.ok(REFERENCE.has(name), `${name} shows rows of no tenant and is not reference data`);
      }
      // Not vacuous: acme's own rows are there to see in most of what is listed.
      assert.ok(seenAcme.size >= listed.size / 2, `acme's rows seen in ${seenAcme.size} of ${listed.size}`);
      for (const sql of ["SELECT * FROM RAW.DEVICE_MESSAGES", "SELECT * FROM HUB.RAW.DEVICE_MESSAGES", "DESCRIBE TABLE RAW.DEVICE_MESSAGES", "SHOW COLUMNS IN TABLE RAW.DEVICE_MESSAGES"]) {
        await assert.rejects(s.execute(sql), (e: unknown) => e instanceof HubSqlError, sql);
      }
    } finally {
      await s.close();
    }
  });
});
