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
 *
 * The same pass scores each machine's `state` with its dwell-time model (ml/trainers/
 * dwellTimeDetector.ts): a DOWN stay far longer than that machine's stops is flagged once, while
 * it goes on, as a row with algorithm 'dwell_time' (rule MODEL_DWELL, whose alert text says how
 * long and against what). Unlike the forest, the ongoing stay must survive between runs (a
 * breakdown spans several): each run ends with one 'dwell_time' row per machine (is_anomaly
 * false) whose `features.position` is where the stay stood at its last reading, and the next run
 * resumes from the latest such row. A machine's first run resumes from the training window's end;
 * readings in between (a first run scores only the newest `maxPerDevice`) count as a gap, at most
 * the model's `maxGapMs`.
 */
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";
import type { Registry } from "./registry/registry.ts";
import { DEFAULT_MAX_GAP_MS, DWELL_TIME, DwellStays, DwellTimeDetector, loadDwellTimeModel, loadStreamingDetector, type DwellTimeJSON, type DwellTimeModel, type RandomCutForestJSON, type StateRun } from "./trainers/index.ts";
import { SeriesError } from "./contract.ts";
import { insertRows } from "./mlTables.ts";

/** The feature vector each machine reading is scored on, in order. */
export const STREAM_FEATURES = ["spindle_load_pct", "temperature_c"] as const;

const pivot = STREAM_FEATURES.map((f) => `MAX(CASE WHEN r.metric = '${f}' THEN r.value END) AS ${f}`).join(", ");
const metricList = STREAM_FEATURES.map((f) => `'${f}'`).join(", ");
/**
 * The streaming models learn from streamed readings only: a file upload may be hourly aggregates
 * (npm start's history, scripts/lib/hub/history.ts: one row per state a machine was in during an
 * hour) whose timing shows neither the readings' spread nor the stays' lengths.
 */
const STREAMED = "source NOT LIKE 'file:%'";

/** The machine state reading (silver keeps it as `metric = 'state'`, the state in `value_text`). */
const STATE_METRIC = "state";

interface ReadingRow {
  device_id: string;
  site_id: string | null;
  seq: unknown;
  ts: Date;
  state?: string | null;
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
  WHERE r.tenant_id = ? AND r.sensor_type = 'MACHINE' AND r.metric IN (${metricList}) AND r.ts >= ? AND r.ts < ? AND r.${STREAMED}
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

type StateRunRow = {
  device_id: string;
  state: string;
  start_ts: Date;
  last_ts: Date;
  inner_s: unknown;
  lead_in_s: unknown;
};

/**
 * A tenant's machines' state readings in [since, until), collapsed in the warehouse into runs of
 * one state (gaps and islands), each gap between readings capped at `maxGapMs` as the dwell-time
 * model counts them; per device, in time order. A month of 1 Hz readings is a few thousand runs.
 */
export async function machineStateRuns(wh: Warehouse, tenantId: string, o: { since: Date; until: Date; maxGapMs?: number }): Promise<Map<string, StateRun[]>> {
  const d = wh.dialect;
  const cap = (o.maxGapMs ?? DEFAULT_MAX_GAP_MS) / 1000;
  const rows = await wh.query<StateRunRow>(
    `WITH r AS (
  SELECT device_id, seq, ts, value_text AS state,
    LAG(ts) OVER (PARTITION BY device_id ORDER BY ts, seq) AS prev_ts,
    LAG(value_text) OVER (PARTITION BY device_id ORDER BY ts, seq) AS prev_state
  FROM CORE.SENSOR_READINGS_NORMALIZED
  WHERE tenant_id = ? AND sensor_type = 'MACHINE' AND metric = '${STATE_METRIC}' AND value_text IS NOT NULL AND ts >= ? AND ts < ? AND ${STREAMED}
), g AS (
  SELECT device_id, seq, ts, state, LEAST(COALESCE(${d.secondsBetween("prev_ts", "ts")}, 0), ${cap}) AS dt,
    CASE WHEN prev_state IS NULL OR prev_state <> state THEN 1 ELSE 0 END AS starts
  FROM r
), runs AS (
  SELECT device_id, ts, state, dt, starts, SUM(starts) OVER (PARTITION BY device_id ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) AS run FROM g
)
SELECT device_id, run, MIN(state) AS state, MIN(ts) AS start_ts, MAX(ts) AS last_ts,
  SUM(CASE WHEN starts = 1 THEN 0 ELSE dt END) AS inner_s, SUM(CASE WHEN starts = 1 THEN dt ELSE 0 END) AS lead_in_s
FROM runs GROUP BY device_id, run ORDER BY device_id, run`,
    { binds: [tenantId, o.since, o.until], tag: { tenant: tenantId, job: "ml:features:machine_state_runs" } },
  );
  const out = new Map<string, StateRun[]>();
  for (const r of rows) {
    let list = out.get(r.device_id);
    if (!list) out.set(r.device_id, (list = []));
    list.push({ state: r.state, startMs: new Date(r.start_ts).getTime(), lastMs: new Date(r.last_ts).getTime(), innerSeconds: Number(r.inner_s), leadInSeconds: Number(r.lead_in_s) });
  }
  return out;
}

/**
 * A dwell-time model per machine from its state runs; a machine with too few stays (SeriesError)
 * is left out and named in `excluded`.
 */
export function fitDwellModels(runs: ReadonlyMap<string, readonly StateRun[]>): { models: Record<string, DwellTimeJSON>; excluded: string[] } {
  const models: Record<string, DwellTimeJSON> = {};
  const excluded: string[] = [];
  for (const [device, list] of runs) {
    try {
      models[device] = new DwellTimeDetector().fitStays(DwellStays.fromRuns(device, list)).toJSON();
    } catch (e) {
      if (!(e instanceof SeriesError)) throw e;
      excluded.push(e.message);
    }
  }
  return { models, excluded };
}

/** "41 min", "2 h 05 min", "50 s". */
function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const min = Math.round(seconds / 60);
  return min < 120 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

/** The alert text of a dwell flag: what the machine is doing, how long, against what. */
export function dwellFlagText(state: string, staySeconds: number, stayStart: number, threshold: number, level: number): string {
  const pct = Number((level * 100).toFixed(4));
  return `${state} for ${duration(staySeconds)} since ${new Date(stayStart).toISOString().replace(".000Z", "Z")}; the ${pct}th percentile of this machine's ${state} stays is ${duration(threshold)}`;
}

type DwellRow = {
  device_id: string;
  features: unknown;
};

/** Where each machine's stay stood at the end of the last run (the latest dwell_time row's position). */
async function dwellPositions(wh: Warehouse, tenantId: string): Promise<Map<string, DwellTimeJSON["position"]>> {
  const rows = await wh.query<DwellRow>(
    `SELECT device_id, features FROM ML.STREAM_SCORES WHERE tenant_id = ? AND algorithm = '${DWELL_TIME}'
QUALIFY ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY seq DESC, is_anomaly ASC) = 1`,
    { binds: [tenantId], tag: { tenant: tenantId, job: "ml:stream-score:dwell-positions" } },
  );
  const out = new Map<string, DwellTimeJSON["position"]>();
  for (const r of rows) {
    const f = (typeof r.features === "string" ? JSON.parse(r.features) : r.features) as { position?: DwellTimeJSON["position"] } | null;
    if (f?.position) out.set(r.device_id, f.position);
  }
  return out;
}

export interface StreamScoreResult {
  readonly tenantId: string;
  readonly championVersion: number | null;
  readonly scored: number;
  readonly flagged: number;
  readonly devices: number;
  /** Stays flagged by the dwell-time models (included in `flagged`). */
  readonly dwellFlagged: number;
}

/**
 * Score the readings past each device's watermark for one tenant; returns what was written.
 * `until` bounds the readings' time (default: all); `now` is the rows' scored_at.
 */
export async function scoreStream(wh: Warehouse, registry: Registry, tenantId: string, o: { now: Date; until?: Date; maxPerDevice?: number }): Promise<StreamScoreResult> {
  const champion = await registry.champion(tenantId, "anomaly");
  const empty = { tenantId, championVersion: champion?.version ?? null, scored: 0, flagged: 0, devices: 0, dwellFlagged: 0 };
  if (!champion) return empty;
  const artifact = await registry.artifact(tenantId, "anomaly", champion.version);
  const body = artifact.kind === "json" ? (artifact.body as { streaming?: Record<string, RandomCutForestJSON>; dwell?: Record<string, DwellTimeJSON> }) : {};
  const streaming = body.streaming ?? {};
  // Artifacts from before the dwell-time model have no `dwell`: the forest alone scores.
  const dwell = body.dwell ?? {};
  if (Object.keys(streaming).length === 0 && Object.keys(dwell).length === 0) return empty;
  const positions = Object.keys(dwell).length ? await dwellPositions(wh, tenantId) : new Map<string, DwellTimeJSON["position"]>();
  const limit = Math.floor(o.maxPerDevice ?? 360);
  const rows = await wh.query<ReadingRow>(
    `WITH w AS (SELECT device_id, MAX(seq) AS seq FROM ML.STREAM_SCORES WHERE tenant_id = ? GROUP BY device_id)
SELECT r.device_id, ANY_VALUE(r.site_id) AS site_id, r.seq, MIN(r.ts) AS ts, ${pivot}, MAX(CASE WHEN r.metric = '${STATE_METRIC}' THEN r.value_text END) AS state
FROM CORE.SENSOR_READINGS_NORMALIZED r LEFT JOIN w ON w.device_id = r.device_id
WHERE r.tenant_id = ? AND r.sensor_type = 'MACHINE' AND r.metric IN (${metricList}, '${STATE_METRIC}') AND (w.seq IS NULL OR r.seq > w.seq)${o.until ? " AND r.ts <= ?" : ""}
GROUP BY r.device_id, r.seq
QUALIFY ROW_NUMBER() OVER (PARTITION BY r.device_id ORDER BY r.seq DESC) <= ${limit}
ORDER BY r.device_id, r.seq`,
    { binds: o.until ? [tenantId, tenantId, o.until] : [tenantId, tenantId], tag: { tenant: tenantId, job: "ml:stream-score" } },
  );
  const detectors = new Map<string, ReturnType<typeof loadStreamingDetector>>();
  const dwellModels = new Map<string, { model: DwellTimeModel; last: ReadingRow; lastFlagged: boolean }>();
  const out: Record<string, unknown>[] = [];
  const scoredAt = o.now;
  const dwellRow = (r: ReadingRow, model: DwellTimeModel, isAnomaly: boolean, text: string | null): Record<string, unknown> => {
    const position = model.toJSON().position;
    const staySeconds = position.elapsedMs / 1000;
    const threshold = position.state === null ? NaN : model.thresholdSeconds(position.state);
    const tail = position.state === null ? undefined : model.tailOf(position.state);
    return {
      tenant_id: tenantId, site_id: r.site_id, device_id: r.device_id, ts: r.ts, seq: r.seq === null ? null : Number(r.seq),
      features: { state: position.state, stay_s: staySeconds, stay_start: position.stayStart === null ? null : new Date(position.stayStart).toISOString(), threshold_s: threshold, level: model.level, text, position },
      score: tail ? (staySeconds - threshold) / tail.scale : null, is_anomaly: isAnomaly,
      model_version: champion.version, algorithm: DWELL_TIME, scored_at: scoredAt,
    };
  };
  let dwellFlagged = 0;
  for (const r of rows) {
    const json = streaming[r.device_id];
    const v = vector(r);
    if (json && v) {
      let det = detectors.get(r.device_id);
      if (!det) detectors.set(r.device_id, (det = loadStreamingDetector(json)));
      const { score, isAnomaly } = det.update(v);
      out.push({
        tenant_id: tenantId, site_id: r.site_id, device_id: r.device_id, ts: r.ts, seq: r.seq === null ? null : Number(r.seq),
        features: Object.fromEntries(STREAM_FEATURES.map((f, i) => [f, v[i]])), score, is_anomaly: isAnomaly,
        model_version: champion.version, algorithm: "random_cut_forest", scored_at: scoredAt,
      });
    }
    const dwellJson = dwell[r.device_id];
    if (dwellJson && typeof r.state === "string") {
      let d = dwellModels.get(r.device_id);
      if (!d) {
        const position = positions.get(r.device_id);
        dwellModels.set(r.device_id, (d = { model: loadDwellTimeModel(position ? { ...dwellJson, position } : dwellJson), last: r, lastFlagged: false }));
      }
      const s = d.model.update(r.ts, r.state);
      d.last = r;
      d.lastFlagged = s.is_anomaly;
      if (s.is_anomaly) {
        dwellFlagged++;
        out.push(dwellRow(r, d.model, true, dwellFlagText(s.state, s.staySeconds, s.stayStart, s.threshold, d.model.level)));
      }
    }
  }
  // One position row per machine at its last reading (unless that reading's flag row already carries it).
  for (const d of dwellModels.values()) if (!d.lastFlagged) out.push(dwellRow(d.last, d.model, false, null));
  await insertRows(wh, "ML.STREAM_SCORES", ["tenant_id", "site_id", "device_id", "ts", "seq", "features", "score", "is_anomaly", "model_version", "algorithm", "scored_at"], out, tenantId, ["features"]);
  const rcfRows = out.filter((x) => x["algorithm"] !== DWELL_TIME);
  return { ...empty, scored: rcfRows.length, flagged: rcfRows.filter((x) => x["is_anomaly"]).length + dwellFlagged, devices: new Set([...detectors.keys(), ...dwellModels.keys()]).size, dwellFlagged };
}
