/** Small real engines for tests: in-memory DuckDB, simulated clock, deployed definitions. */
import { hubDatabasePath } from "../../pipelines/hubHome.ts";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import type { RawReading, RawScan } from "../../pipelines/ingest/rawRecords.ts";

export async function testEngine(start = "2026-01-05T08:00:00Z"): Promise<{ engine: EmbeddedEngine; clock: SimulatedClock }> {
  const clock = new SimulatedClock(start);
  const engine = await EmbeddedEngine.open({ clock });
  return { engine, clock };
}

export function at(iso: string): Date {
  return new Date(iso.endsWith("Z") ? iso : `${iso}Z`);
}

export function reading(
  tenantId: string,
  deviceId: string,
  sensorType: string,
  seq: number,
  ts: string,
  metrics: Record<string, unknown>,
  siteId = "s1",
): RawReading {
  return {
    tenantId, siteId, deviceId, sensorType, ts: at(ts), seq, messageId: `${deviceId}-${seq}`,
    payload: { schema: `${sensorType.toLowerCase()}/1`, metrics }, channel: `${tenantId}/0`, channelOffset: seq, source: "test",
  };
}

export function scan(tenantId: string, jobId: string, station: string, ts: string, operatorId = "op-7", siteId = "s1"): RawScan {
  return {
    tenantId, siteId, jobId, productId: "P-1", productVariant: "STD", station, scanTs: at(ts), operatorId, metadata: null, source: "test",
  };
}

/** Query as admin and return the rows. */
export async function adminQuery<T extends Record<string, unknown> = Record<string, unknown>>(engine: EmbeddedEngine, sql: string): Promise<T[]> {
  const s = await engine.admin();
  try {
    return await s.query<T>(sql);
  } finally {
    await s.close();
  }
}

/**
 * Query as ACCOUNTADMIN would, which holds IMPORTED PRIVILEGES on SNOWFLAKE and so reads every
 * ACCOUNT_USAGE view (RESOURCE_MONITORS too, which needs OBJECT_VIEWER and no twin role holds): on a
 * plain connection of the engine, outside any role's session.
 */
export async function accountAdminQuery<T extends Record<string, unknown> = Record<string, unknown>>(engine: EmbeddedEngine, sql: string): Promise<T[]> {
  const c = await engine.rawConnection();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]))) as T[];
  } finally {
    c.closeSync();
  }
}

/**
 * A table's rows as comparable strings, in a fixed order: JSON objects compare by content, not key
 * order; numbers to 12 significant digits (incremental and full computations sum in other orders).
 */
export async function canonicalRows(engine: EmbeddedEngine, name: string): Promise<string[]> {
  const rows = await adminQuery(engine, `SELECT * FROM ${name} ORDER BY ALL`);
  const canonical = (_k: string, v: unknown) =>
    typeof v === "number"
      ? Number(v.toPrecision(12))
      : v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v;
  return rows.map((r) => JSON.stringify(r, canonical));
}

/** A query on the hub in `home`, as its operator, the file opened and closed around it. */
export async function hubFileQuery<T = Record<string, unknown>>(home: string, sql: string): Promise<T[]> {
  const engine = await EmbeddedEngine.open({ path: hubDatabasePath(home) });
  try {
    return await engine.control<T>(sql);
  } finally {
    await engine.close();
  }
}
