/**
 * The SQL endpoint's statement timeout, through the real snowflake-sdk: a tenant's runaway query
 * is stopped at the host's ceiling and the driver raises what it raises on Snowflake (000630,
 * 57014, "Statement reached its statement or warehouse timeout of N second(s) and was
 * canceled."); the same connection runs its next statement; another tenant's connection is
 * answered meanwhile; ALTER SESSION refuses a value out of range naming it. The ceiling is 1 s.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import snowflake from "snowflake-sdk";
import { testEngine } from "../helpers/engine.ts";
import { SnowflakeEndpoint, hashPassword } from "../../pipelines/serve/snowflakeEndpoint.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { connectWithPassword, runSql } from "../helpers/snowflakeClient.ts";

const PASSWORD = "correct horse";
/** Snowflake SQL a tenant may send that runs about 100 s here (tests/pipelines/statementTimeout.test.ts). */
const RUNAWAY = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5000000) SELECT COUNT(*) AS c FROM r";

const connect = (endpoint: SnowflakeEndpoint, username: string) => connectWithPassword(endpoint.url, username, PASSWORD);

const run = runSql;

describe("the SQL endpoint's statement timeout, through snowflake-sdk", () => {
  let engine: EmbeddedEngine;
  let endpoint: SnowflakeEndpoint;
  const connections: snowflake.Connection[] = [];
  const open = async (user: string) => {
    const c = await connect(endpoint, user);
    connections.push(c);
    return c;
  };

  before(async () => {
    ({ engine } = await testEngine());
    await engine.grantTenantRole("acme");
    await engine.grantTenantRole("globex");
    const hash = hashPassword(PASSWORD);
    endpoint = await SnowflakeEndpoint.start({
      engine,
      statementTimeoutCeiling: 1,
      users: [
        { name: "ana", passwordHash: hash, roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
        { name: "gus", passwordHash: hash, roles: ["TENANT_GLOBEX_ROLE"], defaultRole: "TENANT_GLOBEX_ROLE" },
      ],
    });
  });
  after(async () => {
    for (const c of connections) await new Promise<void>((r) => c.destroy(() => r()));
    await endpoint.close();
    await engine.close();
  });

  it("stops a runaway query with Snowflake's error, answers another tenant meanwhile, and the connection goes on", async () => {
    const ana = await open("ana");
    const gus = await open("gus");
    // Not even the session's own value can raise the host's ceiling.
    await run(ana, "ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 3600");
    const runaway = run(ana, RUNAWAY).then(
      () => assert.fail("the runaway query ended on its own"),
      (e: unknown) => e as { code?: unknown; sqlState?: unknown; message?: unknown },
    );
    const other = await run(gus, "SELECT CURRENT_ROLE() AS r");
    assert.deepEqual(other, [{ R: "TENANT_GLOBEX_ROLE" }]);
    const err = await runaway;
    assert.equal(String(err.code), "000630");
    assert.equal(err.sqlState, "57014");
    assert.equal(err.message, "Statement reached its statement or warehouse timeout of 1 second(s) and was canceled.");
    assert.deepEqual(await run(ana, "SELECT 41 + 1 AS answer"), [{ ANSWER: 42 }]);
  });

  it("refuses a timeout out of range naming it, as Snowflake does", async () => {
    const ana = await open("ana");
    for (const v of ["604801", "-1", "1e3", "'abc'"]) {
      await assert.rejects(run(ana, `ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = ${v}`), (e: { code?: unknown; sqlState?: unknown; message?: string }) => {
        assert.equal(String(e.code), "001008", `${v}: ${e.message}`);
        assert.equal(e.sqlState, "22023");
        assert.equal(e.message, `SQL compilation error:\ninvalid value [${v.replaceAll("'", "")}] for parameter 'STATEMENT_TIMEOUT_IN_SECONDS'`);
        return true;
      });
    }
  });
});
