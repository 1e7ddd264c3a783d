/**
 * A hub for the isolation suites: three tenants' rows in EVERY table of the data catalog, found by
 * asking DuckDB what tables exist (not from our definitions), so a table the definitions forget to
 * protect holds other tenants' rows for the suites to find. Each row's text columns carry the
 * tenant's name (`globex-…`), so a leak shows in any column, tenant_id or not.
 *
 * On disk beside it: files an attacker would want (another tenant's rows as Parquet, CSV, JSON and
 * JSON lines, a device registry with secret hashes), under a folder the hub process can read.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { loadFixture } from "../pipelines/fixture.ts";
import { adminQuery } from "../helpers/engine.ts";
import { TABLES } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";

export const TENANTS = ["acme", "globex", "initech"] as const;
/** Tables the definitions seed and the deploy reloads: reference data, the same for every tenant. */
export const REFERENCE: ReadonlySet<string> = new Set(TABLES.filter((t) => t.seed).map(qualifiedName));
/** The hub's own schemas; HUB_LOCAL (the engine's control tables) is left as the engine keeps it. */
const DATA_SCHEMAS = ["GOVERNANCE", "RAW", "CORE", "ANALYTICS", "ML", "OPS"];

export interface TenantHub {
  readonly engine: EmbeddedEngine;
  readonly clock: SimulatedClock;
  /** A folder of files holding globex's data and secrets. */
  readonly secretsDir: string;
  readonly files: { parquet: string; csv: string; json: string; jsonl: string; devices: string; glob: string };
}

function literal(type: string, tenant: string, column: string): string {
  const t = type.toUpperCase();
  if (column === "tenant_id") return `'${tenant}'`;
  if (t === "JSON") return `'{"tenant": "${tenant}", "operator_id": "${tenant}-op"}'`;
  if (t.startsWith("VARCHAR")) return `'${tenant}-${column}'`;
  if (t.startsWith("TIMESTAMP")) return "TIMESTAMP '2026-01-05 08:00:00'";
  if (t === "DATE") return "DATE '2026-01-05'";
  if (t === "BOOLEAN") return "false";
  if (/INT|DOUBLE|FLOAT|DECIMAL|REAL/.test(t)) return "1";
  if (t.endsWith("[]")) return "[]";
  throw new Error(`tenantHub: no literal for column ${column} of type ${type}`);
}

export async function tenantHub(): Promise<TenantHub> {
  const clock = new SimulatedClock("2026-01-05T08:00:00Z");
  const engine = await EmbeddedEngine.open({ clock });
  await loadFixture(engine, clock);
  const catalog = engine.dataCatalog.replaceAll('"', "");
  const columns = await adminQuery<{ schema_name: string; table_name: string; column_name: string; data_type: string }>(
    engine,
    `SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = '${catalog}' ` +
      `AND schema_name IN (${DATA_SCHEMAS.map((s) => `'${s}'`).join(", ")}) ` +
      `AND (schema_name, table_name) IN (SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = '${catalog}') ` +
      `ORDER BY schema_name, table_name, column_index`,
  );
  const tables = new Map<string, typeof columns>();
  for (const c of columns) {
    const k = `${c.schema_name}.${c.table_name}`;
    tables.set(k, [...(tables.get(k) ?? []), c]);
  }
  const s = await engine.admin();
  try {
    for (const [name, cols] of tables) {
      if (name === "GOVERNANCE.TENANT_MAP") continue; // roles are granted below, as a stack would
      // Reference data is replaced by its seed on every deploy: no tenant row can get into it.
      // (tenantReach.test.ts holds every table a tenant reaches without a tenant column to its seed.)
      if (REFERENCE.has(name)) continue;
      for (const tenant of TENANTS) {
        await s.execute(`INSERT INTO ${name} (${cols.map((c) => `"${c.column_name}"`).join(", ")}) VALUES (${cols.map((c) => literal(c.data_type, tenant, c.column_name)).join(", ")})`);
      }
    }
  } finally {
    await s.close();
  }
  for (const t of TENANTS) await engine.grantTenantRole(t);

  const secretsDir = mkdtempSync(join(tmpdir(), "hub-secrets-"));
  mkdirSync(join(secretsDir, "archive", "tenant=globex"), { recursive: true });
  const files = {
    parquet: join(secretsDir, "archive", "tenant=globex", "part-1.parquet"),
    csv: join(secretsDir, "globex.csv"),
    json: join(secretsDir, "globex.json"),
    jsonl: join(secretsDir, "globex.jsonl"),
    devices: join(secretsDir, "devices.json"),
    glob: join(secretsDir, "archive", "**", "*.parquet"),
  };
  const plain = await DuckDBInstance.create(":memory:");
  const c = await plain.connect();
  await c.run(`COPY (SELECT 'globex' AS tenant_id, 'globex-op-1' AS operator_id, 42 AS value) TO '${files.parquet}' (FORMAT parquet)`);
  c.closeSync();
  plain.closeSync();
  writeFileSync(files.csv, "tenant_id,operator_id,value\nglobex,globex-op-1,42\n");
  writeFileSync(files.json, JSON.stringify([{ tenant_id: "globex", operator_id: "globex-op-1" }]));
  writeFileSync(files.jsonl, `${JSON.stringify({ tenant_id: "globex", operator_id: "globex-op-1" })}\n`);
  writeFileSync(files.devices, JSON.stringify({ devices: [{ thingName: "globex-m1", tenantId: "globex", secretHash: "scrypt$globex-secret" }] }));
  return { engine, clock, secretsDir, files };
}
