/**
 * Local serving of the streaming detector (issue 5, section 6). The ingest path is left alone: a
 * separate step reads the MACHINE readings that reached silver (CORE.SENSOR_READINGS_NORMALIZED)
 * since a watermark, scores each with the champion anomaly model's random cut forest for that
 * machine, and appends the scores to ML.STREAM_SCORES. The alert DAG wakes on that table's stream
 * and raises MODEL alerts for flagged readings (pipelines/definitions/ml.ts).
 *
 * Watermark: per device, the highest `seq` already in ML.STREAM_SCORES (device sequence numbers
 * only grow; a reading that arrives after a later one was scored is skipped, not scored out of
 * order). A device scored for the first time starts at its most recent `maxPerDevice` readings.
 * The forest starts from its trained state on each run (its state is not written back).
 */
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";
import type { Registry } from "./registry/registry.ts";
import { loadStreamingDetector, type RandomCutForestJSON } from "./trainers/index.ts";
import { insertRows } from "./mlTables.ts";

/** The feature vector each machine reading is scored on, in order. */
export const STREAM_FEATURES = ["spindle_load_pct", "temperature_c"] as const;

const pivot = STREAM_FEATURES.map((f) => `MAX(CASE WHEN r.metric = '${f}' THEN r.value END) AS ${f}`).join(", ");
const metricList = STREAM_FEATURES.map((f) => `'${f}'`).join(", ");

interface ReadingRow {
  device_id: string;
  site_id: string | null;
  seq: unknown;
  ts: Date;
  [feature: string]: unknown;
}

function vector(r: ReadingRow): number[] | null {
  const v = STREAM_FEATURES.map((f) => (r[f] === null || r[f] === undefined ? NaN : Number(r[f])));
  return v.every(Number.isFinite) ? v : null;
}

/** A tenant's MACHINE readings in [since, until) as feature vectors per device, oldest first, at most `limitPerDevice` newest each. */
export async function machineReadings(wh: Warehouse, tenantId: string, o: { since: Date; until: Date; limitPerDevice: number }): Promise<Map<string, number[][]>> {
  const rows = await wh.query<ReadingRow>(
    `SELECT device_id, site_id, seq, ts, ${STREAM_FEATURES.join(", ")} FROM (
  SELECT r.device_id, ANY_VALUE(r.site_id) AS site_id, r.seq, MIN(r.ts) AS ts, ${pivot}
  FROM CORE.SENSOR_READINGS_NORMALIZED r
  WHERE r.tenant_id = ? AND r.sensor_type = 'MACHINE' AND r.metric IN (${metricList}) AND r.ts >= ? AND r.ts < ?
  GROUP BY r.device_id, r.seq
  QUALIFY ROW_NUMBER() OVER (PARTITION BY r.device_id ORDER BY r.seq DESC) <= ${Math.floor(o.limitPerDevice)}
) x ORDER BY device_id, seq`,
    { binds: [tenantId, o.since, o.until], tag: { tenant: tenantId, job: "ml:features:machine_readings" } },
  );
  const out = new Map<string, number[][]>();
  for (const r of rows) {
    const v = vector(r);
    if (!v) continue;
    let list = out.get(r.device_id);
    if (!list) out.set(r.device_id, (list = []));
    list.push(v);
  }
  return out;
}

export interface StreamScoreResult {
  readonly tenantId: string;
  readonly championVersion: number | null;
  readonly scored: number;
  readonly flagged: number;
  readonly devices: number;
}

/**
 * Score the readings past each device's watermark for one tenant; returns what was written.
 * `until` bounds the readings' time (default: all); `now` is the rows' scored_at.
 */
export async function scoreStream(wh: Warehouse, registry: Registry, tenantId: string, o: { now: Date; until?: Date; maxPerDevice?: number }): Promise<StreamScoreResult> {
  const champion = await registry.champion(tenantId, "anomaly");
  const empty = { tenantId, championVersion: champion?.version ?? null, scored: 0, flagged: 0, devices: 0 };
  if (!champion) return empty;
  const artifact = await registry.artifact(tenantId, "anomaly", champion.version);
  const streaming = artifact.kind === "json" ? ((artifact.body as { streaming?: Record<string, RandomCutForestJSON> }).streaming ?? {}) : {};
  if (Object.keys(streaming).length === 0) return empty;
  const limit = Math.floor(o.maxPerDevice ?? 360);
  const rows = await wh.query<ReadingRow>(
    `WITH w AS (SELECT device_id, MAX(seq) AS seq FROM ML.STREAM_SCORES WHERE tenant_id = ? GROUP BY device_id)
SELECT r.device_id, ANY_VALUE(r.site_id) AS site_id, r.seq, MIN(r.ts) AS ts, ${pivot}
FROM CORE.SENSOR_READINGS_NORMALIZED r LEFT JOIN w ON w.device_id = r.device_id
WHERE r.tenant_id = ? AND r.sensor_type = 'MACHINE' AND r.metric IN (${metricList}) AND (w.seq IS NULL OR r.seq > w.seq)${o.until ? " AND r.ts <= ?" : ""}
GROUP BY r.device_id, r.seq
QUALIFY ROW_NUMBER() OVER (PARTITION BY r.device_id ORDER BY r.seq DESC) <= ${limit}
ORDER BY r.device_id, r.seq`,
    { binds: o.until ? [tenantId, tenantId, o.until] : [tenantId, tenantId], tag: { tenant: tenantId, job: "ml:stream-score" } },
  );
  const detectors = new Map<string, ReturnType<typeof loadStreamingDetector>>();
  const out: Record<string, unknown>[] = [];
  const scoredAt = o.now;
  for (const r of rows) {
    const json = streaming[r.device_id];
    const v = vector(r);
    if (!json || !v) continue;
    let det = detectors.get(r.device_id);
    if (!det) detectors.set(r.device_id, (det = loadStreamingDetector(json)));
    const { score, isAnomaly } = det.update(v);
    out.push({
      tenant_id: tenantId, site_id: r.site_id, device_id: r.device_id, ts: r.ts, seq: r.seq === null ? null : Number(r.seq),
      features: Object.fromEntries(STREAM_FEATURES.map((f, i) => [f, v[i]])), score, is_anomaly: isAnomaly,
      model_version: champion.version, algorithm: "random_cut_forest", scored_at: scoredAt,
    });
  }
  await insertRows(wh, "ML.STREAM_SCORES", ["tenant_id", "site_id", "device_id", "ts", "seq", "features", "score", "is_anomaly", "model_version", "algorithm", "scored_at"], out, tenantId, ["features"]);
  return { ...empty, scored: out.length, flagged: out.filter((x) => x["is_anomaly"]).length, devices: detectors.size };
}
