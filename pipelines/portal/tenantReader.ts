/**
 * What the portal's pages show, read through a session of the tenant's own role, on either target
 * (portalData.ts): on the twin the same secure views, row access policy, masking and tenant guard
 * as a tenant's SQL session; on Snowflake the role's grants and the same policies. A page can show
 * nothing the tenant could not SELECT itself. The SQL is rendered in the target's dialect; every
 * value a request carries reaches SQL as a bind, never as text.
 *
 * One connection per tenant, statements one at a time in arrival order: a DuckDB connection runs one
 * statement at a time, and the pages' data is cached per data watermark (portalServer.ts), so a
 * crowd loading the same page costs one set of queries per pipeline commit, not one per user.
 */
import type { Warehouse, Row, SqlValue } from "../warehouse/warehouse.ts";
import { HubSqlError } from "../warehouse/errors.ts";
import { pm25AqiSql, pm25CategorySql } from "../quality/aqi.ts";
import { NOTE_SAFETY_RULE_ID } from "../definitions/notes.ts";
import type { PortalData } from "./portalData.ts";
import { LATEST_TENANT_COST_SQL, tenantCostFromRows, type TenantCost } from "../cost/tenantCostSnapshot.ts";

/** The period the pages summarise: the last day of the hub's clock. */
export const PERIOD_MS = 24 * 3_600_000;
/** A machine's state timeline covers the last hours (from silver; its hours come from gold). */
export const TIMELINE_MS = 4 * 3_600_000;
/**
 * How far before the newest `ingested_at` seen the next look starts: two writers' commits may
 * overlap (the streaming ingest and an upload), so a row may land stamped a little earlier than one
 * already seen.
 */
const SLACK_MS = 10_000;

/**
 * The alert windows operators see: ANALYTICS.ALERTS (rule and model breaches per device and hour)
 * and each operator note's safety concern, which the note task writes straight to
 * OPS.ALERT_NOTIFICATIONS (rule NOTE_SAFETY, one per note, `window_start` the note's time; docs/notes.md
 * says why it skips CORE.RULE_BREACHES). A note alert is one "breach"; its message (the phrase and
 * the note's key) is its description.
 */
const ALERT_WINDOWS = `(SELECT site_id, device_id, rule_id, severity, window_start, first_ts, last_ts, breaches, worst_value, source, CAST(NULL AS VARCHAR) AS message
    FROM ANALYTICS.ALERTS
  UNION ALL
  SELECT site_id, device_id, rule_id, severity, window_start, first_ts, first_ts AS last_ts, 1 AS breaches, CAST(NULL AS DOUBLE) AS worst_value, 'NOTE' AS source, message
    FROM OPS.ALERT_NOTIFICATIONS WHERE rule_id = '${NOTE_SAFETY_RULE_ID}')`;

export class TenantReader {
  private session: Promise<Warehouse> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The newest `ingested_at` seen in RAW and silver, where the next watermark read starts. */
  private newest: { readings: Date | null; scans: Date | null; silver: Date | null } = { readings: null, scans: null, silver: null };
  /** Each plant's newest reading seen. */
  private readonly sites = new Map<string, { last_ingested: Date; last_reading: Date }>();

  constructor(
    private readonly data: Pick<PortalData, "dialect" | "tenantSession">,
    readonly tenant: string,
    readonly role: string,
  ) {}

  /** Rows of one statement on the tenant's session; statements queue behind each other. */
  query<T extends Row = Row>(sql: string, binds: readonly SqlValue[] = []): Promise<T[]> {
    const run = async () => {
      // A poll or page load that was queued when the portal closed must not open a new session.
      if (this.closed) throw new Error(`the portal's reader for ${this.tenant} is closed`);
      const session = (this.session ??= this.data.tenantSession(this.tenant, this.role));
      session.catch(() => this.session === session && (this.session = null));
      const w = await session;
      try {
        return await w.query<T>(sql, { binds, tag: { tenant: this.tenant, job: "portal" } });
      } catch (e) {
        // A lost connection (SQLSTATE class 08: Snowflake's session expired, the network broke) is
        // dropped, so the next statement logs in again instead of failing for as long as the portal runs.
        if (e instanceof HubSqlError && e.sqlState.startsWith("08") && this.session === session) {
          this.session = null;
          void w.close().catch(() => undefined);
        }
        throw e;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Close after the statements already queued (a connection is not closed under a running statement). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const s = this.session;
    this.session = null;
    if (s) await (await s).close().catch(() => undefined);
  }

  /**
   * What a page's data depends on, in two parts: `raw`, which moves with every commit of the
   * ingest (the newest reading and scan landed: "last data"), and `pipeline`, which moves when the
   * pipeline's tasks and refreshes commit (silver's newest row, the gold tables' sizes, the
   * acknowledgements, the newest scores). A page built from silver and gold is read again only when
   * `pipeline` moves: once a task run or refresh, not ten times a second.
   *
   * Read every second, so it must stay cheap as RAW grows by millions of rows an hour: the newest
   * `ingested_at` of RAW and silver is looked for only from the newest one seen before (less a
   * slack for commits that overlap), and as both are appended in ingest order, DuckDB skips every
   * older row group by its min/max instead of scanning it. The gold tables are small.
   */
  async watermark(now: Date): Promise<{ raw: string; pipeline: string }> {
    const from = (seen: Date | null) => iso(seen ? new Date(seen.getTime() - SLACK_MS) : new Date(now.getTime() - 3_600_000));
    const [r] = await this.query<Record<string, unknown>>(`SELECT
      (SELECT MAX(ingested_at) FROM RAW.SENSOR_READINGS WHERE ingested_at >= CAST(? AS TIMESTAMP)) AS readings,
      (SELECT MAX(ingested_at) FROM RAW.JOB_SCANS WHERE ingested_at >= CAST(? AS TIMESTAMP)) AS scans,
      (SELECT MAX(ingested_at) FROM CORE.SENSOR_READINGS_NORMALIZED WHERE ingested_at >= CAST(? AS TIMESTAMP)) AS silver,
      (SELECT MAX(ts) FROM ANALYTICS.AIR_QUALITY_CURRENT) AS air,
      (SELECT SUM(readings) FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY) AS machine_readings,
      (SELECT SUM(readings) FROM ANALYTICS.ENERGY_HOURLY) AS energy_readings,
      (SELECT COUNT(*) FROM ANALYTICS.PRODUCTION_FLOW) AS jobs,
      (SELECT SUM(breaches) FROM ANALYTICS.ALERTS) AS breaches,
      (SELECT COUNT(*) FROM OPS.ALERT_ACKNOWLEDGEMENTS) AS acks,
      (SELECT COUNT(*) FROM OPS.ALERT_NOTIFICATIONS WHERE rule_id = '${NOTE_SAFETY_RULE_ID}') AS note_alerts,
      (SELECT MAX(scored_at) FROM ML.FORECASTS) AS forecasts,
      (SELECT COUNT(*) FROM ML.ANOMALIES) AS anomalies`, [from(this.newest.readings), from(this.newest.scans), from(this.newest.silver)]);
    const { readings, scans, silver, ...gold } = r ?? {};
    const later = (a: Date | null, b: unknown) => (b instanceof Date && (!a || b > a) ? b : a);
    this.newest = { readings: later(this.newest.readings, readings), scans: later(this.newest.scans, scans), silver: later(this.newest.silver, silver) };
    const text = (v: unknown) => JSON.stringify(v ?? null, (_k, x) => (typeof x === "bigint" ? String(x) : x));
    return { raw: text([this.newest.readings, this.newest.scans]), pipeline: text({ silver: this.newest.silver, ...gold }) };
  }

  /**
   * Per plant, when its newest reading landed and the newest device time. Kept up to date the
   * same way: each read looks only at rows landed since the newest one seen (the first, at a day).
   */
  async lastData(now: Date): Promise<Row[]> {
    const seen = [...this.sites.values()].reduce<Date | null>((m, x) => (!m || x.last_ingested > m ? x.last_ingested : m), null);
    const from = seen ? new Date(seen.getTime() - SLACK_MS) : new Date(now.getTime() - PERIOD_MS);
    const rows = await this.query<{ site_id: string; last_ingested: Date; last_reading: Date }>(
      `SELECT site_id, MAX(ingested_at) AS last_ingested, MAX(ts) AS last_reading FROM RAW.SENSOR_READINGS
       WHERE ingested_at >= CAST(? AS TIMESTAMP) GROUP BY site_id`,
      [iso(from)],
    );
    for (const r of rows) {
      const had = this.sites.get(r.site_id);
      this.sites.set(r.site_id, {
        last_ingested: had && had.last_ingested > r.last_ingested ? had.last_ingested : r.last_ingested,
        last_reading: had && had.last_reading > r.last_reading ? had.last_reading : r.last_reading,
      });
    }
    return [...this.sites].map(([site_id, x]) => ({ site_id, ...x }));
  }

  /** Per plant: utilisation, OEE, energy, AQI now and worst, open alerts (its last data: `lastData`). */
  async plants(now: Date): Promise<Row[]> {
    const from = new Date(now.getTime() - PERIOD_MS);
    const d = this.data.dialect;
    return this.query(
      // Plants from the gold tables (small), so a plant silent for a day still shows, as silent.
      `WITH sites AS (SELECT site_id FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY UNION SELECT site_id FROM ANALYTICS.ENERGY_HOURLY
              UNION SELECT site_id FROM ANALYTICS.AIR_QUALITY_CURRENT),
      m AS (SELECT site_id, COUNT(DISTINCT machine_id) AS machines, SUM(run_s) / NULLIF(SUM(observed_s), 0) AS utilization,
              SUM(run_s + setup_s + down_s) AS planned_s, AVG(oee) AS oee
            FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE hour >= CAST(? AS TIMESTAMP) GROUP BY site_id),
      e AS (SELECT site_id, SUM(kwh) AS kwh, MAX(peak_kw) AS peak_kw FROM ANALYTICS.ENERGY_HOURLY WHERE hour >= CAST(? AS TIMESTAMP) GROUP BY site_id),
      aq_now AS (SELECT site_id, MAX(aqi_pm25) AS aqi_now FROM ANALYTICS.AIR_QUALITY_CURRENT GROUP BY site_id),
      aq_now_pm25 AS (SELECT site_id, MAX(pm25_ugm3) AS pm25 FROM ANALYTICS.AIR_QUALITY_CURRENT GROUP BY site_id),
      aq_hour AS (SELECT site_id, device_id, DATE_TRUNC('hour', ts) AS hour, AVG(value) AS pm25
            FROM CORE.SENSOR_READINGS_NORMALIZED
            WHERE sensor_type = 'AIR_QUALITY' AND metric = 'pm25_ugm3' AND ts >= CAST(? AS TIMESTAMP)
            GROUP BY site_id, device_id, DATE_TRUNC('hour', ts)),
      aq_worst AS (SELECT site_id, MAX(pm25) AS pm25 FROM aq_hour GROUP BY site_id),
      acked AS (SELECT DISTINCT device_id, rule_id, window_start FROM OPS.ALERT_ACKNOWLEDGEMENTS),
      a AS (SELECT al.site_id, COUNT(*) AS open_alerts, COUNT(CASE WHEN al.severity = 'CRITICAL' THEN 1 END) AS open_critical
            FROM ${ALERT_WINDOWS} al
            WHERE NOT EXISTS (SELECT 1 FROM acked k WHERE k.device_id = al.device_id AND k.rule_id = al.rule_id AND k.window_start = al.window_start)
            GROUP BY al.site_id)
      SELECT s.site_id, m.machines, m.utilization, m.oee, e.kwh, e.peak_kw,
        aq_now.aqi_now, ${pm25CategorySql(d, "aq_now_pm25.pm25")} AS aqi_now_category,
        ${pm25AqiSql(d, "aq_worst.pm25")} AS aqi_worst, ${pm25CategorySql(d, "aq_worst.pm25")} AS aqi_worst_category,
        COALESCE(a.open_alerts, 0) AS open_alerts, COALESCE(a.open_critical, 0) AS open_critical
      FROM sites s LEFT JOIN m USING (site_id) LEFT JOIN e USING (site_id) LEFT JOIN aq_now USING (site_id) LEFT JOIN aq_now_pm25 USING (site_id)
        LEFT JOIN aq_worst USING (site_id) LEFT JOIN a USING (site_id)
      ORDER BY s.site_id`,
      [iso(from), iso(from), iso(from)],
    );
  }

  /** Per machine: its plant, utilisation and OEE over the period, its last state. */
  machines(now: Date): Promise<Row[]> {
    const from = iso(new Date(now.getTime() - PERIOD_MS));
    return this.query(
      `WITH u AS (SELECT site_id, machine_id, SUM(run_s) / NULLIF(SUM(observed_s), 0) AS utilization, AVG(oee) AS oee
          FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE hour >= CAST(? AS TIMESTAMP) GROUP BY site_id, machine_id),
        st AS (SELECT device_id AS machine_id, MAX_BY(value_text, ts) AS state, MAX(ts) AS state_ts
          FROM CORE.SENSOR_READINGS_NORMALIZED WHERE sensor_type = 'MACHINE' AND metric = 'state' GROUP BY device_id)
      SELECT u.site_id, u.machine_id, u.utilization, u.oee, st.state, st.state_ts
      FROM u LEFT JOIN st USING (machine_id) ORDER BY u.site_id, u.machine_id`,
      [from],
    );
  }

  /** One machine's page; null when the tenant has no such machine (another tenant's id included). */
  async machine(id: string, now: Date): Promise<Record<string, Row[]> | null> {
    const from = iso(new Date(now.getTime() - PERIOD_MS));
    // Known from the gold table (small), not by scanning silver.
    const [known] = await this.query(`SELECT MIN(site_id) AS site_id FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE machine_id = ?`, [id]);
    if (!known || known.site_id === null) return null;
    // Bounded by ingested_at as well as ts: silver is appended in ingest order, so the bound lets
    // DuckDB skip all but the last hours' row groups instead of scanning a day of every device.
    const states = await this.query(
      `SELECT ts, value_text AS state FROM CORE.SENSOR_READINGS_NORMALIZED
       WHERE sensor_type = 'MACHINE' AND device_id = ? AND metric = 'state' AND ts >= CAST(? AS TIMESTAMP) AND ingested_at >= CAST(? AS TIMESTAMP)
       ORDER BY ts, seq`,
      [id, iso(new Date(now.getTime() - TIMELINE_MS)), iso(new Date(now.getTime() - TIMELINE_MS - 3_600_000))],
    );
    const hourly = await this.query(
      `SELECT hour, utilization, oee, availability, performance, quality, run_s, idle_s, setup_s, down_s
       FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE machine_id = ? AND hour >= CAST(? AS TIMESTAMP) ORDER BY hour`,
      [id, from],
    );
    // Series are named `<metric>:<device>` (ML contract): matched by suffix, not LIKE, so an id with
    // `_` or `%` cannot match other devices. The newest scoring run of each point wins.
    const ofDevice = this.data.dialect.endsWith("series_id", "':' || ?");
    const anomalies = await this.query(
      `SELECT series_id, ts, y, forecast, lower_bound, upper_bound, is_anomaly, distance FROM ML.ANOMALIES
       WHERE ${ofDevice} AND ts >= CAST(? AS TIMESTAMP)
       QUALIFY ROW_NUMBER() OVER (PARTITION BY series_id, ts ORDER BY scored_at DESC) = 1 ORDER BY series_id, ts`,
      [id, from],
    );
    const forecasts = await this.query(
      `SELECT series_id, ts, forecast, lower_bound, upper_bound FROM ML.FORECASTS WHERE ${ofDevice} ORDER BY series_id, ts`,
      [id],
    );
    const alerts = await this.query(
      `SELECT rule_id, severity, window_start, first_ts, last_ts, breaches FROM ${ALERT_WINDOWS} a WHERE device_id = ? ORDER BY window_start DESC LIMIT 50`,
      [id],
    );
    return { site: [known], states, hourly, anomalies, forecasts, alerts };
  }

  /**
   * The tenant's cost: the newest snapshot of OPS.TENANT_COSTS its role sees (its own rows), as the
   * reporting step wrote it; null before the first run.
   */
  async cost(): Promise<TenantCost | null> {
    return tenantCostFromRows(await this.query(LATEST_TENANT_COST_SQL));
  }

  /** Each location's latest reading, and its hourly means over the period (the AQI on them). */
  async air(now: Date): Promise<Record<string, Row[]>> {
    const from = iso(new Date(now.getTime() - PERIOD_MS));
    const d = this.data.dialect;
    const current = await this.query(
      `SELECT site_id, location_id, ts, pm25_ugm3, co2_ppm, aqi_pm25, aqi_category, co2_band FROM ANALYTICS.AIR_QUALITY_CURRENT ORDER BY site_id, location_id`,
    );
    const hourly = await this.query(
      `WITH h AS (SELECT site_id, device_id AS location_id, DATE_TRUNC('hour', ts) AS hour,
          AVG(CASE WHEN metric = 'pm25_ugm3' THEN value END) AS pm25, AVG(CASE WHEN metric = 'co2_ppm' THEN value END) AS co2
        FROM CORE.SENSOR_READINGS_NORMALIZED
        WHERE sensor_type = 'AIR_QUALITY' AND metric IN ('pm25_ugm3', 'co2_ppm') AND ts >= CAST(? AS TIMESTAMP)
        GROUP BY site_id, device_id, DATE_TRUNC('hour', ts))
      SELECT site_id, location_id, hour, pm25, co2, ${pm25AqiSql(d, "pm25")} AS aqi, ${pm25CategorySql(d, "pm25")} AS aqi_category
      FROM h ORDER BY site_id, location_id, hour`,
      [from],
    );
    return { current, hourly };
  }

  /** Bottleneck stations (how many jobs waited longest at each) and the latest jobs' paths. */
  async flow(): Promise<Record<string, Row[]>> {
    const bottlenecks = await this.query(
      `SELECT site_id, bottleneck_station AS station, COUNT(*) AS jobs, AVG(bottleneck_s) AS mean_s
       FROM ANALYTICS.PRODUCTION_FLOW WHERE bottleneck_station IS NOT NULL
       GROUP BY site_id, bottleneck_station ORDER BY jobs DESC, station LIMIT 20`,
    );
    const paths = await this.query(
      `SELECT flow_path, COUNT(*) AS jobs, AVG(cycle_time_s) AS mean_cycle_s FROM ANALYTICS.PRODUCTION_FLOW
       GROUP BY flow_path ORDER BY jobs DESC, flow_path LIMIT 20`,
    );
    const jobs = await this.query(
      `SELECT site_id, job_id, product_id, flow_path, start_ts, end_ts, cycle_time_s, bottleneck_station, bottleneck_s
       FROM ANALYTICS.PRODUCTION_FLOW ORDER BY start_ts DESC, job_id LIMIT 50`,
    );
    return { bottlenecks, paths, jobs };
  }

  /** Alert windows, newest first, each with its latest acknowledgement (who, when) if any. */
  alerts(): Promise<Row[]> {
    return this.query(
      `WITH k AS (SELECT device_id, rule_id, window_start, MAX_BY(acknowledged_by, acknowledged_at) AS acknowledged_by,
          MAX(acknowledged_at) AS acknowledged_at, MAX_BY(note, acknowledged_at) AS note
        FROM OPS.ALERT_ACKNOWLEDGEMENTS GROUP BY device_id, rule_id, window_start)
      SELECT a.site_id, a.device_id, a.rule_id, a.severity, a.window_start, a.first_ts, a.last_ts, a.breaches, a.worst_value, a.source,
        COALESCE(a.message, r.description) AS description, k.acknowledged_by, k.acknowledged_at, k.note
      FROM ${ALERT_WINDOWS} a LEFT JOIN k USING (device_id, rule_id, window_start) LEFT JOIN OPS.ALERT_RULES r ON r.rule_id = a.rule_id
      ORDER BY (k.acknowledged_at IS NULL) DESC, a.window_start DESC, a.device_id, a.rule_id LIMIT 500`,
    );
  }

  /** Whether the tenant can see this alert window (the check before it may be acknowledged). */
  async alertExists(deviceId: string, ruleId: string, windowStart: string): Promise<boolean> {
    const rows = await this.query(
      `SELECT 1 AS x FROM ${ALERT_WINDOWS} a WHERE device_id = ? AND rule_id = ? AND window_start = CAST(? AS TIMESTAMP) LIMIT 1`,
      [deviceId, ruleId, windowStart],
    );
    return rows.length > 0;
  }
}

function iso(d: Date): string {
  return d.toISOString().replace("T", " ").replace("Z", "");
}
