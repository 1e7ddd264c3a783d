/**
 * What a tenant session can reach, found from the outside: every relation the DuckDB instance
 * holds, in every catalog and schema (asked of DuckDB, not taken from our definitions), tried from
 * a tenant session under every name form. Whatever a tenant reaches must show it only its own
 * tenants' rows — or, for a relation without a tenant column, exactly the reference rules every
 * tenant may read — and its operator ids masked. And the set it reaches is exactly the set of
 * objects granted to tenants, on both targets (infra/snowflake/tenant.ts renders the same list).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { MASKED_VALUE } from "../../pipelines/definitions/governance.ts";
import { TENANT_GRANTS } from "../../pipelines/definitions/grants.ts";
import { prng } from "../../edge/syntheticFleet.ts";
import { adminQuery } from "../helpers/engine.ts";
import { REFERENCE, TENANTS, tenantHub, type TenantHub } from "./tenantHub.ts";

type Relation = {
  readonly database: string;
  readonly schema: string;
  readonly name: string;
};

const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
const rowsText = (rows: unknown) => JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

let hub: TenantHub;
let relations: Relation[];

/** Every table and view of every catalog of the instance, internal ones included. */
async function everyRelation(): Promise<Relation[]> {
  return adminQuery<Relation>(
    hub.engine,
    `SELECT database_name AS database, schema_name AS schema, table_name AS name FROM duckdb_tables() ` +
      `UNION SELECT database_name, schema_name, view_name FROM duckdb_views() ORDER BY ALL`,
  );
}

/** The name forms a tenant might use for a relation. */
function nameForms(r: Relation): string[] {
  return [`${q(r.database)}.${q(r.schema)}.${q(r.name)}`, `${q(r.schema)}.${q(r.name)}`, q(r.name), `${r.schema}.${r.name}`];
}

/**
 * What a role sees of one relation through one name, or null when refused with a Snowflake error.
 * Anything else (a DuckDB error, a crash) fails the test.
 */
async function reach(role: string, sql: string): Promise<Record<string, unknown>[] | null> {
  const s = await hub.engine.session({ role });
  try {
    return await s.query(sql);
  } catch (e) {
    if (e instanceof HubSqlError && ["002003", "003001", "002140", "000002"].includes(e.code)) return null;
    throw new Error(`${role}: ${sql}: ${(e as Error).message}`);
  } finally {
    await s.close();
  }
}

describe("what a tenant session reaches", () => {
  before(async () => {
    hub = await tenantHub();
    relations = await everyRelation();
  });
  after(async () => {
    await hub.engine.close();
    rmSync(hub.secretsDir, { recursive: true, force: true });
  });

  it("the instance holds relations of every kind to try: data catalog, secure views, control tables, account usage, system views", () => {
    const databases = new Set(relations.map((r) => r.database));
    for (const d of ["hub_secure", "system", "snowflake", hub.engine.dataCatalog.replaceAll('"', "")]) assert.ok(databases.has(d), `${d} in ${[...databases].join(", ")}`);
    assert.ok(relations.length > 100, `${relations.length} relations`);
  });

  it("reaches, by its full name, exactly the objects granted to tenants — all in the secure catalog", async () => {
    const reached: string[] = [];
    for (const r of relations) {
      if ((await reach("TENANT_ACME_ROLE", `SELECT * FROM ${q(r.database)}.${q(r.schema)}.${q(r.name)} LIMIT 1`)) !== null) reached.push(`${r.database}.${r.schema}.${r.name}`);
    }
    assert.deepEqual(reached.sort(), TENANT_GRANTS.map((g) => `hub_secure.${g.name}`).sort());
  });

  it("under any shorter name form, whatever a name resolves to shows acme nothing of another tenant", async () => {
    for (const r of relations) {
      for (const form of nameForms(r).slice(1)) {
        const rows = await reach("TENANT_ACME_ROLE", `SELECT * FROM ${form}`);
        if (rows) assert.doesNotMatch(rowsText(rows), /"(globex|initech)/, `${form} (${r.database}.${r.schema}.${r.name})`);
      }
    }
  });

  it("random roles over every reachable relation: only their tenants' rows, all of them, operator ids masked; a relation without tenant_id is reference data", async () => {
    const reachable = relations.filter((r) => r.database === "hub_secure" && TENANT_GRANTS.some((g) => g.name === `${r.schema}.${r.name}`));
    const rand = prng(11);
    let roles = 0;
    for (let i = 0; i < 10; i++) {
      let granted = TENANTS.filter(() => rand() < 0.5);
      if (granted.length === 0) granted = [TENANTS[i % TENANTS.length]!];
      const role = `R_PROP_${i}`;
      const pii = rand() < 0.3;
      for (const t of granted) await hub.engine.grantTenantRole(t, { role, piiAccess: pii });
      roles++;
      for (const r of reachable) {
        const name = `${r.schema}.${r.name}`;
        const seen = (await reach(role, `SELECT * FROM ${name}`))!;
        const all = await adminQuery(hub.engine, `SELECT * FROM ${hub.engine.dataCatalog}.${name}`);
        if (seen.length > 0 && !("tenant_id" in seen[0]!)) {
          assert.ok(REFERENCE.has(name), `${role} reaches ${name}, which has no tenant column and is not reference data`);
          assert.equal(rowsText(seen), rowsText(all), `${name}: the reference rules, as the hub holds them`);
          assert.doesNotMatch(rowsText(seen), /acme|globex|initech/, `${name} holds no tenant's data`);
          continue;
        }
        for (const row of seen) assert.ok((granted as string[]).includes(String(row.tenant_id)), `${role} (${granted.join(",")}) saw ${String(row.tenant_id)} in ${name}`);
        const others = TENANTS.filter((t) => !(granted as string[]).includes(t));
        for (const t of others) assert.ok(!rowsText(seen).includes(`"${t}-`), `${role} saw a value of ${t} in ${name}`);
        assert.equal(seen.length, all.filter((row) => (granted as string[]).includes(String(row.tenant_id))).length, `${role} sees all of its tenants' rows in ${name}`);
        // Any column holding operator ids (scanners' operators, notes' authors), found by name: masked unless the role has pii_access.
        for (const col of Object.keys(seen[0] ?? {}).filter((c) => /operator|author/i.test(c))) {
          for (const row of seen) {
            if (pii) assert.notEqual(row[col], MASKED_VALUE, `${role} has pii_access: ${name}.${col} in clear`);
            else assert.ok(row[col] === null || row[col] === MASKED_VALUE, `${name}.${col} = ${String(row[col])} shown to ${role} without pii_access`);
          }
        }
      }
    }
    assert.equal(roles, 10);
  });

  it("masks operator ids for a role without the PII grant and shows them to one with it", async () => {
    await hub.engine.grantTenantRole("acme", { role: "ACME_ANALYST" });
    await hub.engine.grantTenantRole("acme", { role: "ACME_SUPERVISOR", piiAccess: true });
    const ids = async (role: string, sql: string) => (await reach(role, sql))!.map((r) => r.operator_id).sort();
    // The fixture's scans carry op-7; the isolation fixture added acme-operator_id.
    assert.deepEqual(await ids("ACME_ANALYST", "SELECT DISTINCT operator_id FROM RAW.JOB_SCANS"), [MASKED_VALUE]);
    assert.deepEqual(await ids("ACME_ANALYST", "SELECT DISTINCT operator_id FROM CORE.JOB_STATION_VISITS WHERE operator_id IS NOT NULL"), [MASKED_VALUE]);
    assert.deepEqual(await ids("ACME_SUPERVISOR", "SELECT DISTINCT operator_id FROM RAW.JOB_SCANS"), ["acme-operator_id", "op-7"]);
    // A note's author is an operator id too (issue 28).
    const authors = async (role: string) => (await reach(role, "SELECT DISTINCT author_id FROM RAW.OPERATOR_NOTES"))!.map((r) => r.author_id);
    assert.deepEqual(await authors("ACME_ANALYST"), [MASKED_VALUE]);
    assert.deepEqual(await authors("ACME_SUPERVISOR"), ["acme-author_id"]);
  });

  it("a role the hub does not know is an error, not an empty result", async () => {
    for (const role of ["TENANT_ACMEE_ROLE", "NOBODY", "tenant_acme_role ", "HUB_ADMIN2", ""]) {
      await assert.rejects(
        hub.engine.session({ role }),
        (e: unknown) => e instanceof HubSqlError && e.code === "002003" && e.message.includes(`Role '${role.toUpperCase()}' does not exist or not authorized.`),
        JSON.stringify(role),
      );
    }
    // Known in any case, as Snowflake's unquoted role names are.
    const s = await hub.engine.session({ role: "tenant_acme_role" });
    assert.ok((await s.query("SELECT * FROM ANALYTICS.ALERTS")).length > 0);
    await s.close();
  });
});
