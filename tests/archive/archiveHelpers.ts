/** Small helpers the archive suites share: reading a local archive back, comparing tables. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { DYNAMIC_TABLES } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";
import { adminQuery } from "../helpers/engine.ts";

/** Every file under `dir`: key → sha256. */
export function localArchive(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p).split(sep).join("/"), createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}

/** Silver and gold objects a restore must rebuild. */
export const DERIVED_TABLES = ["CORE.SENSOR_READINGS_NORMALIZED", ...DYNAMIC_TABLES.map(qualifiedName)];

export async function tenantRows(engine: EmbeddedEngine, table: string, tenant: string): Promise<Record<string, unknown>[]> {
  return adminQuery(engine, `SELECT * FROM ${table} WHERE tenant_id = '${tenant}' ORDER BY ALL`);
}

/**
 * Row for row, column for column. Doubles are compared to 1e-9 relative: the live hub merged its
 * sums batch by batch and the restored one sums in one pass, and floating-point addition is not
 * associative; everything else must be identical.
 */
export function assertSameRows(actual: Record<string, unknown>[], expected: Record<string, unknown>[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: row count`);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    for (const [k, v] of Object.entries(e)) {
      const w = a[k];
      if (typeof v === "number" && typeof w === "number" && !Number.isInteger(v)) {
        assert.ok(Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(v)), `${what} row ${i} ${k}: ${w} vs ${v}`);
      } else {
        assert.deepEqual(w, v, `${what} row ${i} ${k}`);
      }
    }
  });
}

export async function count(engine: EmbeddedEngine, table: string, tenant: string): Promise<number> {
  const r = await adminQuery<{ n: number }>(engine, `SELECT COUNT(*) AS n FROM ${table} WHERE tenant_id = '${tenant}'`);
  return Number(r[0]!.n);
}
