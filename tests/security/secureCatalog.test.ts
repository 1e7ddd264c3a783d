/**
 * The secure catalog on its own (pipelines/render/duckdbDdl.ts, secureCatalogStatements, and the
 * grant list in pipelines/definitions/grants.ts): rendered for two objects defined here by hand
 * into a bare DuckDB, and read under roles whose rows are worked out by hand from Snowflake's rules
 * (https://docs.snowflake.com/en/user-guide/security-row-intro, security-column-ddm-intro): a row
 * access policy shows a role the rows of the tenants its mapping names, the platform's roles every
 * row; a masking policy shows operator ids only to a role with pii_access; reference data is the
 * same for everyone. tests/security/tenantReach.test.ts finds, from a whole hub, everything a tenant
 * session can reach; this file holds the rendering to the rules, quickly.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { secureCatalogStatements } from "../../pipelines/render/duckdbDdl.ts";
import { TENANT_GRANTS, TENANT_READABLE, TENANT_SCHEMAS, grantedObject, grantScope, type TenantGrant } from "../../pipelines/definitions/grants.ts";
import { MASKED_VALUE } from "../../pipelines/definitions/governance.ts";
import { col, type TableDef } from "../../pipelines/definitions/types.ts";

const SCANS: TableDef = {
  kind: "table", schema: "RAW", name: "SCANS", comment: "",
  columns: [col("tenant_id", "varchar", ""), col("station", "varchar", ""), col("operator_id", "varchar", "", { pii: true })],
};
const RULES: TableDef = {
  kind: "table", schema: "CORE", name: "RULES", comment: "", seed: () => [{ metric: "temperature_c", max_value: 250 }],
  columns: [col("metric", "varchar", ""), col("max_value", "double", "")],
};
const GRANTS: TenantGrant[] = [
  { object: SCANS, name: "RAW.SCANS", objectType: "TABLE", scope: "tenant rows" },
  { object: RULES, name: "CORE.RULES", objectType: "TABLE", scope: "reference" },
];

let db: DuckDBInstance;
let c: DuckDBConnection;

async function rows(role: string, sql: string): Promise<unknown[][]> {
  await c.run(`SET VARIABLE hub_role = '${role}'`);
  return (await c.runAndReadAll(sql)).getRowsJS();
}

describe("the secure catalog, rendered for objects defined by hand", () => {
  before(async () => {
    db = await DuckDBInstance.create(":memory:");
    c = await db.connect();
    await c.run("ATTACH ':memory:' AS data");
    for (const sql of [
      "CREATE SCHEMA data.GOVERNANCE", "CREATE SCHEMA data.RAW", "CREATE SCHEMA data.CORE",
      "CREATE TABLE data.GOVERNANCE.TENANT_MAP (role_name VARCHAR, tenant_id VARCHAR, pii_access BOOLEAN, granted_at TIMESTAMP)",
      "INSERT INTO data.GOVERNANCE.TENANT_MAP VALUES ('TENANT_ACME_ROLE', 'acme', false, NULL), ('ACME_SUPERVISOR', 'acme', true, NULL), " +
        "('TWO_TENANTS', 'acme', false, NULL), ('TWO_TENANTS', 'globex', false, NULL)",
      "CREATE TABLE data.RAW.SCANS (tenant_id VARCHAR, station VARCHAR, operator_id VARCHAR)",
      "INSERT INTO data.RAW.SCANS VALUES ('acme', 'weld', 'op-1'), ('globex', 'cut', 'op-2'), ('initech', 'paint', 'op-3'), ('acme', 'paint', NULL)",
      "CREATE TABLE data.CORE.RULES (metric VARCHAR, max_value DOUBLE)",
      "INSERT INTO data.CORE.RULES VALUES ('temperature_c', 250)",
      "ATTACH ':memory:' AS secure",
      // The engine renders the secure catalog from a connection on the data catalog.
      "USE data",
    ]) await c.run(sql);
    for (const st of secureCatalogStatements("secure", "data", GRANTS)) await c.run(st.sql);
    // Tenant sessions resolve names in the secure catalog (duckdbWarehouse.ts: USE <secure catalog>).
    await c.run("USE secure");
  });
  after(() => {
    c.closeSync();
    db.closeSync();
  });

  it("holds one view per grant under its own schema and name, the role's slice of the map, and the two policies: nothing else", async () => {
    const objects = (await c.runAndReadAll(
      "SELECT schema_name || '.' || view_name AS o, 'view' FROM duckdb_views() WHERE database_name = 'secure' " +
        "UNION ALL SELECT schema_name || '.' || function_name, function_type FROM duckdb_functions() WHERE database_name = 'secure' ORDER BY 1",
    )).getRowsJS();
    assert.deepEqual(objects, [
      ["CORE.RULES", "view"], ["GOVERNANCE.PII_MASK", "macro"], ["GOVERNANCE.TENANT_ISOLATION", "macro"], ["GOVERNANCE.TENANT_MAP", "view"], ["RAW.SCANS", "view"],
    ]);
    const schemas = (await c.runAndReadAll("SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'secure' AND schema_name <> 'main' ORDER BY 1")).getRowsJS().flat();
    assert.deepEqual(schemas, ["CORE", "GOVERNANCE", "RAW"]);
    const statements = secureCatalogStatements("secure", "data", GRANTS).map((s) => [s.kind, s.object]);
    assert.deepEqual(statements, [
      ["schema", "secure.RAW"], ["schema", "secure.CORE"], ["schema", "secure.GOVERNANCE"],
      ["create", "secure.GOVERNANCE.TENANT_MAP"], ["create", "secure.GOVERNANCE.TENANT_ISOLATION"], ["create", "secure.GOVERNANCE.PII_MASK"],
      ["create", "secure.RAW.SCANS"], ["create", "secure.CORE.RULES"],
    ]);
  });

  it("shows a tenant role its tenants' rows only, operator ids masked unless the map gives it pii_access", async () => {
    const scans = "SELECT * FROM RAW.SCANS ORDER BY tenant_id, station";
    // The policy's body (CASE WHEN ... THEN val ELSE '***MASKED***' END) masks a null as well, as Snowflake would.
    assert.deepEqual(await rows("TENANT_ACME_ROLE", scans), [["acme", "paint", MASKED_VALUE], ["acme", "weld", MASKED_VALUE]]);
    assert.deepEqual(await rows("ACME_SUPERVISOR", scans), [["acme", "paint", null], ["acme", "weld", "op-1"]]);
    assert.deepEqual(await rows("TWO_TENANTS", scans), [["acme", "paint", MASKED_VALUE], ["acme", "weld", MASKED_VALUE], ["globex", "cut", MASKED_VALUE]]);
    assert.deepEqual(await rows("NOBODY", scans), [], "a role the map does not name sees no row");
    assert.deepEqual(await rows("tenant_acme_role", scans), [], "the map's role names are upper case, as the session's role is");
  });

  it("shows the platform's roles every row in clear", async () => {
    const scans = "SELECT * FROM RAW.SCANS ORDER BY tenant_id, station";
    const all = [["acme", "paint", null], ["acme", "weld", "op-1"], ["globex", "cut", "op-2"], ["initech", "paint", "op-3"]];
    for (const role of ["HUB_ADMIN", "HUB_PIPELINE"]) assert.deepEqual(await rows(role, scans), all, role);
  });

  it("shows reference data whole to any role, and a role only its own rows of the map", async () => {
    for (const role of ["TENANT_ACME_ROLE", "NOBODY"]) assert.deepEqual(await rows(role, "SELECT * FROM CORE.RULES"), [["temperature_c", 250]], role);
    assert.deepEqual(await rows("TWO_TENANTS", "SELECT role_name, tenant_id FROM GOVERNANCE.TENANT_MAP ORDER BY 2"), [["TWO_TENANTS", "acme"], ["TWO_TENANTS", "globex"]]);
    assert.deepEqual(await rows("TENANT_ACME_ROLE", "SELECT role_name, tenant_id, pii_access FROM GOVERNANCE.TENANT_MAP"), [["TENANT_ACME_ROLE", "acme", false]]);
    assert.deepEqual(await rows("NOBODY", "SELECT * FROM GOVERNANCE.TENANT_MAP"), []);
  });
});

describe("the grant list", () => {
  it("grants exactly these objects, each with how it keeps tenants apart (written out by hand, reviewed as a security decision)", () => {
    const t = "tenant rows";
    assert.deepEqual(TENANT_GRANTS.map((g) => [g.name, g.objectType, g.scope]), [
      ["RAW.SENSOR_READINGS", "TABLE", t], ["RAW.JOB_SCANS", "TABLE", t], ["RAW.QUARANTINE", "TABLE", t],
      ["CORE.METRIC_RULES", "TABLE", "reference"], ["CORE.SENSOR_READINGS_NORMALIZED", "TABLE", t], ["CORE.RULE_BREACHES", "TABLE", t],
      ["CORE.JOB_STATION_VISITS", "DYNAMIC TABLE", t],
      ["ANALYTICS.MACHINE_UTILIZATION_HOURLY", "DYNAMIC TABLE", t], ["ANALYTICS.ENERGY_HOURLY", "DYNAMIC TABLE", t], ["ANALYTICS.AIR_QUALITY_CURRENT", "DYNAMIC TABLE", t],
      ["ANALYTICS.PRODUCTION_FLOW", "DYNAMIC TABLE", t], ["ANALYTICS.ALERTS", "DYNAMIC TABLE", t],
      ["ML.FORECASTS", "TABLE", t], ["ML.ANOMALIES", "TABLE", t], ["ML.SEGMENTS", "TABLE", t], ["ML.STREAM_SCORES", "TABLE", t],
      ["OPS.DATA_QUALITY_LOG", "TABLE", t], ["OPS.ALERT_NOTIFICATIONS", "TABLE", t], ["OPS.ALERT_RULES", "TABLE", "reference"], ["OPS.ALERT_ACKNOWLEDGEMENTS", "TABLE", t],
      // alert delivery's attempts and dead letters; the operator notes (author masked), their insights and failures
      ["OPS.ALERT_DELIVERIES", "TABLE", t], ["RAW.OPERATOR_NOTES", "TABLE", t], ["ML.NOTE_INSIGHTS", "TABLE", t], ["OPS.NOTE_INSIGHT_FAILURES", "TABLE", t],
      // what it costs: the cost report's figures for it (the portal's cost page in production)
      ["OPS.TENANT_COSTS", "TABLE", t],
    ]);
    for (const g of TENANT_GRANTS) assert.equal(g.name, `${g.object.schema}.${g.object.name}`);
    assert.deepEqual(TENANT_SCHEMAS, ["RAW", "CORE", "ANALYTICS", "ML", "OPS"]);
    assert.deepEqual([...TENANT_READABLE], TENANT_GRANTS.map((g) => g.name));
  });

  it("refuses to grant an object it cannot keep tenants apart in, one that is not in the catalog, or one also refused", () => {
    assert.equal(grantScope(SCANS), "tenant rows");
    assert.equal(grantScope(RULES), "reference");
    const { seed: _seed, ...unseeded } = RULES;
    assert.throws(() => grantScope(unseeded), /^Error: CORE\.RULES has no tenant_id column and is not reference data from the definitions: name it in NOT_GRANTED_TO_TENANTS, or give it a tenant_id column, before a tenant may read it$/);
    assert.throws(() => grantScope({ kind: "dynamic_table", schema: "CORE", name: "X", comment: "", columns: [col("metric", "varchar", "")] } as never), /^Error: CORE\.X has no tenant_id column/);
    assert.equal(grantedObject("RAW.JOB_SCANS").name, "JOB_SCANS");
    assert.equal(grantedObject("ANALYTICS.ALERTS").kind, "dynamic_table");
    assert.throws(() => grantedObject("RAW.NOPE"), /^Error: GRANTED_TO_TENANTS names RAW\.NOPE, which is not a table or dynamic table of the catalog$/);
    assert.throws(() => grantedObject("RAW.SENSOR_READINGS_STREAM"), /is not a table or dynamic table/, "a stream is not grantable");
    assert.throws(() => grantedObject("RAW.DEVICE_MESSAGES"), /^Error: RAW\.DEVICE_MESSAGES is both granted to tenants and not$/);
  });
});
