/**
 * Compare the archive with its manifests and with the warehouse: every file a manifest names is
 * there with its checksum (else missing / corrupt), nothing else sits under the tenant's prefixes
 * (extra: e.g. what an interrupted export left), and the warehouse holds as many rows for each
 * archived range as the manifest says (count_mismatch). A recomputed day that changed in the hub
 * since it was archived is reported as stale: the next export rewrites it; it is not a fault.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quoteString } from "../dialect/index.ts";
import { sqlTimestamp } from "../engine/clock.ts";
import type { Warehouse } from "../warehouse/warehouse.ts";
import { archivedTable, type IncrementalTable } from "./archivedTables.ts";
import { checkTenantId, tenantPrefixes } from "./archiveKeys.ts";
import type { ArchiveStore } from "./archiveStore.ts";
import { archivedTenants, fetchVerified, readTenantArchive } from "./archiveReader.ts";
import type { CurrentFile } from "./manifest.ts";

export type ProblemKind = "missing" | "corrupt" | "extra" | "count_mismatch" | "stale";

export interface Problem {
  readonly kind: ProblemKind;
  readonly tenant: string;
  readonly key: string;
  readonly detail: string;
}

export interface VerifyReport {
  readonly archive: string;
  readonly tenants: readonly string[];
  readonly manifests: number;
  readonly files: number;
  readonly rows: number;
  readonly problems: readonly Problem[];
  /** No missing, corrupt, extra or mismatched partition (stale recomputed days are allowed). */
  readonly ok: boolean;
}

export interface VerifyOptions {
  readonly store: ArchiveStore;
  /** Only this tenant; default every tenant with a manifest. */
  readonly tenant?: string;
  /** The hub to compare row counts with; without it only the archive is checked. */
  readonly session?: Warehouse;
  readonly progress?: (message: string) => void;
}

const ts = (iso: string) => `TIMESTAMP '${sqlTimestamp(new Date(iso))}'`;

export async function verifyArchive(o: VerifyOptions): Promise<VerifyReport> {
  const tenants = o.tenant ? [checkTenantId(o.tenant)] : await archivedTenants(o.store);
  const problems: Problem[] = [];
  let manifests = 0;
  let files = 0;
  let rows = 0;
  const scratch = mkdtempSync(join(tmpdir(), "hub-verify-"));
  try {
    for (const tenant of tenants) {
      const a = await readTenantArchive(o.store, tenant);
      if (o.tenant && !a.manifests.length) throw new Error(`unknown tenant ${tenant} in the archive at ${o.store.location}: it holds no manifest for it`);
      manifests += a.manifests.length;
      o.progress?.(`${tenant}: checking ${a.files.size} files named by ${a.manifests.length} manifests`);
      const manifestKeys = new Set(a.manifests.map((m) => m.key));
      for (const prefix of tenantPrefixes(tenant)) {
        for (const obj of await o.store.list(prefix)) {
          if (!a.files.has(obj.key) && !manifestKeys.has(obj.key)) {
            problems.push({ kind: "extra", tenant, key: obj.key, detail: `${obj.key} (${obj.size} bytes) is in the archive but no manifest names it` });
          }
        }
      }
      for (const f of a.files.values()) {
        files++;
        rows += f.rows;
        const r = await fetchVerified(o.store, f, scratch);
        if (!r.ok) problems.push({ kind: r.problem, tenant, key: f.key, detail: r.detail });
        if (r.ok && o.store.location.startsWith("s3://")) rmSync(r.path, { force: true });
      }
      if (o.session) problems.push(...(await compareCounts(o.session, tenant, [...a.files.values()])));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { archive: o.store.location, tenants, manifests, files, rows, problems, ok: !problems.some((p) => p.kind !== "stale") };
}

/** Warehouse rows per archived file's range, one query per table and run. */
async function compareCounts(s: Warehouse, tenant: string, files: readonly CurrentFile[]): Promise<Problem[]> {
  const out: Problem[] = [];
  const groups = new Map<string, CurrentFile[]>();
  for (const f of files) {
    const g = `${f.table}|${f.mode === "incremental" ? f.runSeq : "snapshot"}`;
    groups.set(g, [...(groups.get(g) ?? []), f]);
  }
  for (const group of groups.values()) {
    const f0 = group[0]!;
    const t = archivedTable(f0.table);
    let where = `tenant_id = ${quoteString(tenant)} AND ${t.dayColumn} IS NOT NULL`;
    if (t.mode === "incremental") {
      const it = t as IncrementalTable;
      where += ` AND ${it.watermarkColumn} < ${ts(f0.watermark.to)}${f0.watermark.from ? ` AND ${it.watermarkColumn} >= ${ts(f0.watermark.from)}` : ""}${it.where ? ` AND ${it.where}` : ""}`;
    }
    const counts = await s.query<{ d: Date; n: number }>(`SELECT CAST(${t.dayColumn} AS DATE) AS d, COUNT(*) AS n FROM ${t.table} WHERE ${where} GROUP BY 1`);
    const byDay = new Map(counts.map((c) => [c.d.toISOString().slice(0, 10), Number(c.n)]));
    for (const f of group) {
      const n = byDay.get(f.day) ?? 0;
      if (n === f.rows) continue;
      const range = t.mode === "incremental" ? ` with ${f.watermarkColumn} in [${f.watermark.from ?? "-∞"}, ${f.watermark.to})` : "";
      out.push({
        kind: t.mode === "incremental" ? "count_mismatch" : "stale",
        tenant,
        key: f.key,
        detail: `${f.table} ${f.day}${range}: archived ${f.rows} rows, the warehouse has ${n}`,
      });
    }
  }
  return out;
}
