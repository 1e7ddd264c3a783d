/**
 * Snowflake SQL on the twin:
 * - translation time per statement (median and p99 over every function sample and the everyday
 *   queries below), against the time DuckDB takes to run the same translated statements;
 * - what translation costs a query: everyday Snowflake queries over 1 M raw readings, run through a
 *   SnowflakeSession, against the same queries written by hand in DuckDB SQL, in the same run. The
 *   hand-written QUALIFY orders `DESC` as a DuckDB user writes it (NULLS LAST); the translation keeps
 *   Snowflake's NULLS FIRST through an ordering DuckDB's top-1-per-group shortcut still takes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../pipelines/engine/clock.ts";
import { SnowflakeSession } from "../pipelines/sql/snowflakeSession.ts";
import { translate, type SessionFacts } from "../pipelines/sql/snowflakeTranslator.ts";
import { generateKeyPairSync } from "node:crypto";
import { SnowflakeEndpoint } from "../pipelines/serve/snowflakeEndpoint.ts";
import { connectSnowflake } from "../pipelines/warehouse/snowflakeWarehouse.ts";
import { SAMPLES } from "../tests/pipelines/snowflakeFunctionSamples.ts";
import { median, type Benchmark, type Figure } from "./harness.ts";

const READINGS = 1_000_000;
const ROUNDS = 5;
const NOW = new Date("2026-01-05T12:00:00Z");

/** Everyday queries a data engineer writes, each with the DuckDB SQL a person would write for it. */
const PAIRS: ReadonlyArray<{ name: string; snowflake: string; duckdb: string }> = [
  {
    name: "hourly machine load (paths, TIME_SLICE, COUNT_IF, DATEADD)",
    snowflake: `SELECT device_id, TIME_SLICE(ts, 1, 'HOUR') AS hour, AVG(payload:metrics:spindle_load_pct::FLOAT) AS load,
      COUNT_IF(payload:metrics:state::STRING = 'RUNNING') AS running
      FROM RAW.SENSOR_READINGS WHERE sensor_type = 'MACHINE' AND ts >= DATEADD(hour, -12, CURRENT_TIMESTAMP())
      GROUP BY 1, 2 ORDER BY 1, 2`,
    duckdb: `SELECT device_id, time_bucket(INTERVAL 1 HOUR, ts, TIMESTAMP '1970-01-01') AS hour, AVG(CAST(payload ->> '$.metrics.spindle_load_pct' AS DOUBLE)) AS load,
      count(*) FILTER (WHERE payload ->> '$.metrics.state' = 'RUNNING') AS running
      FROM RAW.SENSOR_READINGS WHERE sensor_type = 'MACHINE' AND ts >= TIMESTAMP '2026-01-05 00:00:00'
      GROUP BY 1, 2 ORDER BY 1, 2`,
  },
  {
    name: "latest reading per meter (QUALIFY, IFF, NVL)",
    snowflake: `SELECT device_id, ts, IFF(NVL(payload:metrics:power_kw::FLOAT, 0) > 40, 'HIGH', 'NORMAL') AS band
      FROM RAW.SENSOR_READINGS WHERE sensor_type = 'ENERGY'
      QUALIFY ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY ts DESC) = 1`,
    duckdb: `SELECT device_id, ts, CASE WHEN coalesce(CAST(payload ->> '$.metrics.power_kw' AS DOUBLE), 0) > 40 THEN 'HIGH' ELSE 'NORMAL' END AS band
      FROM RAW.SENSOR_READINGS WHERE sensor_type = 'ENERGY'
      QUALIFY row_number() OVER (PARTITION BY device_id ORDER BY ts DESC) = 1`,
  },
  {
    name: "energy per device and day (DATE_TRUNC, DIV0, DATEDIFF)",
    snowflake: `SELECT device_id, DATE_TRUNC('day', ts) AS day, SUM(payload:metrics:power_kw::FLOAT) AS kw,
      DIV0(SUM(payload:metrics:power_kw::FLOAT), DATEDIFF('second', MIN(ts), MAX(ts))) AS kw_per_s
      FROM RAW.SENSOR_READINGS WHERE sensor_type = 'ENERGY' GROUP BY 1, 2`,
    duckdb: `SELECT device_id, date_trunc('day', ts) AS day, SUM(CAST(payload ->> '$.metrics.power_kw' AS DOUBLE)) AS kw,
      CASE WHEN date_diff('second', MIN(ts), MAX(ts)) = 0 THEN 0 ELSE SUM(CAST(payload ->> '$.metrics.power_kw' AS DOUBLE)) / date_diff('second', MIN(ts), MAX(ts)) END AS kw_per_s
      FROM RAW.SENSOR_READINGS WHERE sensor_type = 'ENERGY' GROUP BY 1, 2`,
  },
];

function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

export const snowflakeSqlBenchmark: Benchmark = {
  name: "sql",
  description: "Snowflake SQL on the twin: translation time per statement, and translated queries against hand-written DuckDB SQL over 1M readings",
  async run({ scale, progress }): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), "hub-bench-sql-"));
    const engine = await EmbeddedEngine.open({ path: join(dir, "sql.duckdb"), clock: new SimulatedClock(NOW) });
    try {
      const admin = await engine.admin();
      const session = await SnowflakeSession.open(engine, { user: "BENCH", role: "HUB_ADMIN", warehouse: null });
      const facts: SessionFacts = { role: "HUB_ADMIN", user: "BENCH", database: "HUB", schema: null, warehouse: null, now: NOW };

      // 1. Translation time per statement, and DuckDB's time to run what it produced.
      const statements = [...Object.values(SAMPLES).map(([expression]) => `SELECT ${expression}`), ...PAIRS.map((p) => p.snowflake)];
      progress(`translating ${statements.length} statements ${ROUNDS} times each…`);
      // The transpiler's WebAssembly module compiles on first use: once, before anything is timed.
      translate("SELECT 1", facts);
      const perStatement: number[] = [];
      const runs: number[] = [];
      for (const sql of statements) {
        const times: number[] = [];
        let duckdb = "";
        for (let r = 0; r < ROUNDS; r++) {
          const t0 = performance.now();
          const [t] = translate(sql, facts);
          times.push(performance.now() - t0);
          if (t?.kind === "query") duckdb = t.duckdb;
        }
        perStatement.push(median(times));
        if (duckdb && !sql.includes("RAW.SENSOR_READINGS") && !sql.includes("SYSTEM$")) {
          const t0 = performance.now();
          await admin.query(duckdb);
          runs.push(performance.now() - t0);
        }
      }

      // 2. Translated against hand-written, over generated readings.
      const n = Math.round(READINGS * scale);
      progress(`generating ${n.toLocaleString("en")} raw readings…`);
      await admin.execute(`INSERT INTO RAW.SENSOR_READINGS
        SELECT 'acme', 'acme-p1', 'dev-' || (i % 60), CASE WHEN i % 3 = 0 THEN 'ENERGY' ELSE 'MACHINE' END,
          TIMESTAMP '2026-01-05 12:00:00' - INTERVAL (i % 172800) SECOND, i, 'm' || (i // 100),
          CASE WHEN i % 3 = 0 THEN json_object('schema', 'energy.v1', 'metrics', json_object('power_kw', (i % 500) / 10.0))
               ELSE json_object('schema', 'machine.v1', 'metrics', json_object('spindle_load_pct', (i % 1000) / 10.0, 'state', CASE WHEN i % 4 = 0 THEN 'IDLE' ELSE 'RUNNING' END)) END,
          'bench', i, TIMESTAMP '2026-01-05 12:00:00', 'bench'
        FROM range(${n}) r(i)`);
      const ratios: number[] = [];
      const translatedMs: number[] = [];
      const handMs: number[] = [];
      for (const pair of PAIRS) {
        progress(`${pair.name}: ${ROUNDS} rounds each way…`);
        const t: number[] = [];
        const h: number[] = [];
        // Alternated, so a slow moment of the machine falls on both.
        for (let r = 0; r < ROUNDS; r++) {
          let t0 = performance.now();
          const [a] = await session.execute(pair.snowflake);
          t.push(performance.now() - t0);
          t0 = performance.now();
          // queryTable: the reader a SnowflakeSession uses, so both sides pay the same per-statement work.
          const b = (await admin.queryTable(pair.duckdb)).rows;
          h.push(performance.now() - t0);
          if (r === 0 && a!.rows.length !== b.length) throw new Error(`${pair.name}: the translated query gave ${a!.rows.length} rows, the hand-written ${b.length}`);
        }
        translatedMs.push(median(t));
        handMs.push(median(h));
        ratios.push(median(t) / median(h));
      }
      // 3. The same queries through the SQL endpoint: snowflake-sdk over HTTP on loopback, JSON results.
      progress("the same queries through the Snowflake-protocol endpoint (snowflake-sdk over loopback)…");
      const key = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
      const endpoint = await SnowflakeEndpoint.start({ engine, users: [{ name: "bench", publicKeys: [key.publicKey], roles: ["HUB_ADMIN"], defaultRole: "HUB_ADMIN" }] });
      const remote = await connectSnowflake({ account: "hub", username: "bench", role: "HUB_ADMIN", warehouse: "HUB_ANALYTICS_WH", database: "HUB", privateKey: key.privateKey, accessUrl: endpoint.url });
      const viaEndpoint: number[] = [];
      const viaSession: number[] = [];
      for (const pair of PAIRS) {
        const e: number[] = [];
        const d: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          let t0 = performance.now();
          await remote.query(pair.snowflake);
          e.push(performance.now() - t0);
          t0 = performance.now();
          await session.execute(pair.snowflake);
          d.push(performance.now() - t0);
        }
        viaEndpoint.push(median(e));
        viaSession.push(median(d));
      }
      await remote.close();
      await endpoint.close();
      await session.close();
      await admin.close();
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      return [
        {
          name: "sql.translate_median_ms",
          value: median(perStatement),
          unit: "ms",
          description: `translation time per statement, median over ${statements.length} statements`,
          reference: { name: "DuckDB running the translated statement (median)", value: median(runs), unit: "ms" },
          ratio: median(perStatement) / median(runs),
          ratioMeaning: "translation time / DuckDB's run time of the same statement",
        },
        {
          name: "sql.translate_p99_ms",
          value: percentile(perStatement, 0.99),
          unit: "ms",
          description: `translation time per statement, 99th percentile over ${statements.length} statements`,
          reference: { name: "DuckDB running the translated statement (p99)", value: percentile(runs, 0.99), unit: "ms" },
          ratio: percentile(perStatement, 0.99) / percentile(runs, 0.99),
          ratioMeaning: "translation time / DuckDB's run time of the same statement",
        },
        {
          name: "sql.translated_vs_duckdb",
          value: sum(translatedMs),
          unit: "ms",
          description: `${PAIRS.length} everyday Snowflake queries over ${n.toLocaleString("en")} readings through a SnowflakeSession (medians of ${ROUNDS})`,
          reference: { name: "the same queries written in DuckDB SQL", value: sum(handMs), unit: "ms" },
          ratio: sum(translatedMs) / sum(handMs),
          ratioMeaning: `translated / hand-written (1 = no cost); per query ${ratios.map((r) => r.toFixed(2)).join(", ")}`,
        },
        {
          name: "sql.endpoint_overhead",
          value: sum(viaEndpoint),
          unit: "ms",
          description: `the ${PAIRS.length} queries through the Snowflake-protocol endpoint with snowflake-sdk (login once; medians of ${ROUNDS})`,
          reference: { name: "the same queries through a SnowflakeSession in the process", value: sum(viaSession), unit: "ms" },
          ratio: sum(viaEndpoint) / sum(viaSession),
          ratioMeaning: "endpoint / in-process session (1 = no cost)",
        },
        {
          name: "sql.endpoint_vs_duckdb",
          value: sum(viaEndpoint),
          unit: "ms",
          description: `the ${PAIRS.length} queries in Snowflake SQL through the endpoint with snowflake-sdk (translation, grants, protocol)`,
          reference: { name: "the same queries written in DuckDB SQL, run on DuckDB directly", value: sum(handMs), unit: "ms" },
          ratio: sum(viaEndpoint) / sum(handMs),
          ratioMeaning: "endpoint / DuckDB directly (1 = no cost)",
        },
      ];
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
