/**
 * A tenant's person, logged in to the SQL endpoint with the real snowflake-sdk, tries to become
 * someone else inside the session: `USE ROLE` of the hub's roles and of another tenant's, in every
 * spelling. The login checks the role against the user's grants; `USE ROLE` checked only that the
 * role existed, so `USE ROLE HUB_ADMIN` gave a tenant's user every tenant's rows, and
 * `USE ROLE TENANT_GLOBEX_ROLE` another tenant's. Snowflake: "To use a role, the role must have
 * been granted to the user" (https://docs.snowflake.com/en/sql-reference/sql/use-role), directly
 * or below a granted role in the hierarchy (HUB_ADMIN holds HUB_PIPELINE, HUB_REPORTING and
 * HUB_PORTAL: infra/snowflake/platform.ts).
 *
 * And a request of several statements is refused before any of them runs, as Snowflake counts them
 * first: the endpoint ran them all, then refused the request, leaving a USE or an INSERT done.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import snowflake from "snowflake-sdk";
import { fixtureEngineWithAcme } from "../pipelines/fixture.ts";
import { SnowflakeEndpoint, hashPassword } from "../../pipelines/serve/snowflakeEndpoint.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { connectWithPassword, runSql } from "../helpers/snowflakeClient.ts";

const PASSWORD = "correct horse";

const connect = (endpoint: SnowflakeEndpoint, username: string, role?: string) => connectWithPassword(endpoint.url, username, PASSWORD, role ? { role } : {});

const run = runSql;

const refused = async (c: snowflake.Connection, sqlText: string, code: string) =>
  assert.rejects(run(c, sqlText), (e: { code?: unknown; message?: string }) => String(e.code) === code || assert.fail(`${sqlText}: ${String(e.code)} ${e.message}`), sqlText);

const role = async (c: snowflake.Connection) => (await run(c, "SELECT CURRENT_ROLE() AS r"))[0]!.R;

describe("USE ROLE on the SQL endpoint", () => {
  let engine: EmbeddedEngine;
  let endpoint: SnowflakeEndpoint;
  const connections: snowflake.Connection[] = [];
  const open = async (user: string, r?: string) => {
    const c = await connect(endpoint, user, r);
    connections.push(c);
    return c;
  };

  before(async () => {
    engine = await fixtureEngineWithAcme();
    await engine.grantTenantRole("globex");
    const hash = hashPassword(PASSWORD);
    endpoint = await SnowflakeEndpoint.start({
      engine,
      users: [
        { name: "ana", passwordHash: hash, roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
        { name: "both", passwordHash: hash, roles: ["TENANT_ACME_ROLE", "TENANT_GLOBEX_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
        { name: "ops", passwordHash: hash, roles: ["HUB_ADMIN"], defaultRole: "HUB_ADMIN" },
      ],
    });
  });
  after(async () => {
    for (const c of connections) await new Promise<void>((r) => c.destroy(() => r()));
    await endpoint.close();
    await engine.close();
  });

  it("a tenant's user cannot switch to a role it was not granted, in any spelling, and stays what it was", async () => {
    const c = await open("ana");
    for (const r of ["HUB_ADMIN", "hub_admin", '"HUB_ADMIN"', "HUB_PIPELINE", "HUB_REPORTING", "HUB_PORTAL", "HUB_INGEST", "TENANT_GLOBEX_ROLE", "tenant_globex_role", '"TENANT_GLOBEX_ROLE"', "SYSADMIN", "ACCOUNTADMIN", "PUBLIC"]) {
      await refused(c, `USE ROLE ${r}`, "002003");
      assert.equal(await role(c), "TENANT_ACME_ROLE", `after USE ROLE ${r}`);
    }
    // Still confined: the raw table refused, the alerts only acme's.
    await refused(c, "SELECT * FROM RAW.DEVICE_MESSAGES", "002003");
    const tenants = await run(c, "SELECT DISTINCT tenant_id FROM ANALYTICS.ALERTS");
    assert.deepEqual(tenants.map((t) => t.TENANT_ID), ["acme"]);
    // Its own role it may name again, as Snowflake reads the name (unquoted: upper-cased).
    for (const own of ["TENANT_ACME_ROLE", "tenant_acme_role", '"TENANT_ACME_ROLE"']) {
      await run(c, `USE ROLE ${own}`);
      assert.equal(await role(c), "TENANT_ACME_ROLE");
    }
  });

  it("a user granted two tenants' roles switches between them; an admin uses the roles under HUB_ADMIN, and no tenant's", async () => {
    const both = await open("both");
    await run(both, "USE ROLE TENANT_GLOBEX_ROLE");
    assert.deepEqual((await run(both, "SELECT DISTINCT tenant_id FROM ANALYTICS.ALERTS")).map((t) => t.TENANT_ID), ["globex"]);
    await refused(both, "USE ROLE HUB_ADMIN", "002003");
    const ops = await open("ops");
    for (const r of ["HUB_REPORTING", "HUB_PIPELINE", "HUB_PORTAL", "HUB_ADMIN"]) {
      await run(ops, `USE ROLE ${r}`);
      assert.equal(await role(ops), r);
    }
    await refused(ops, "USE ROLE TENANT_ACME_ROLE", "002003");
  });

  it("a request of several statements runs none of them: no USE, no ALTER SESSION takes effect", async () => {
    const c = await open("ana");
    const before = (await run(c, "SELECT CURRENT_SCHEMA() AS s, CURRENT_WAREHOUSE() AS w"))[0];
    for (const sql of ["USE SCHEMA ANALYTICS; SELECT 1", "SELECT 1; USE SCHEMA ANALYTICS", "USE SCHEMA ANALYTICS; USE SCHEMA CORE", "ALTER SESSION SET QUERY_TAG = 'x'; SELECT 1"]) {
      await refused(c, sql, "000008");
      assert.deepEqual((await run(c, "SELECT CURRENT_SCHEMA() AS s, CURRENT_WAREHOUSE() AS w"))[0], before, sql);
    }
  });
});
