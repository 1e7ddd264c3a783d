/**
 * The validate task, per run: statements, and rows read from the readings stream, judging once
 * (the judged units in a temporary table, read by the statements that route them) against judging
 * in every statement (the form Snowflake's body had before issue 27: the judgement inlined in each
 * of the four routing statements), both rendered in the same run.
 *
 * - Statements and stream reads are counted on the Snowflake body, parsed (@polyglot-sql/sdk):
 *   stream rows read per run = Σ over statements of (references to RAW.SENSOR_READINGS_STREAM)
 *   × (rows in the stream). That is what a Snowflake run scans of the stream; it is computed from
 *   the plan, not measured on Snowflake (there is no account here).
 * - The time of each form is measured on the twin (DuckDB), same batch, same run: the old form's
 *   body is the current one with the judgement inlined instead of materialised.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock, sqlTimestamp } from "../pipelines/engine/clock.ts";
import { VALIDATE_READINGS } from "../pipelines/definitions/tasks.ts";
import { duckdbDialect, snowflakeDialect, DUCKDB_VARIABLES, type Dialect } from "../pipelines/dialect/index.ts";
import { tableReferences } from "../pipelines/sql/snowflakeAst.ts";
import { SyntheticFleet, type TenantFleetSpec } from "../edge/syntheticFleet.ts";
import { median, type Benchmark, type Figure } from "./harness.ts";

/** About one busy minute of readings for a large tenant (a run's batch). */
const TARGET_READINGS = 100_000;
const ROUNDS = 3;
const STREAM = "RAW.SENSOR_READINGS_STREAM";

/** A dialect that inlines a materialised query in every statement that reads it: the old Snowflake form. */
// No alias of its own: the statements give the relation theirs where they need one.
const inlined = (d: Dialect): Dialect => ({ ...d, materialize: (_table, _columns, query) => ({ setup: [], create: [], ref: `(${query})`, drop: [] }) });

interface Form {
  readonly name: string;
  readonly snowflake: readonly string[];
  readonly duckdb: readonly string[];
}

function form(name: string, sf: Dialect, dk: Dialect): Form {
  return {
    name,
    snowflake: [...(VALIDATE_READINGS.setup?.(sf) ?? []), ...VALIDATE_READINGS.body(sf)],
    duckdb: [...(VALIDATE_READINGS.setup?.(dk) ?? []), ...VALIDATE_READINGS.body(dk)],
  };
}

const SPEC: TenantFleetSpec[] = ["acme", "globex"].map((tenantId) => ({
  tenantId,
  sites: [{ siteId: `${tenantId}-p1`, machines: 40, energyMeters: 4, airSensors: 4, stations: ["a", "b", "c"], jobsPerHour: 30 }],
}));

export const validatePassBenchmark: Benchmark = {
  name: "validate",
  description: "validate task per run: statements and readings-stream rows read, judging once vs in every statement (before issue 27)",
  async run({ scale, progress }): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), "hub-bench-validate-"));
    const clock = new SimulatedClock("2026-01-05T08:00:00Z");
    const engine = await EmbeddedEngine.open({ path: join(dir, "bench.duckdb"), clock });
    try {
      const fleet = new SyntheticFleet(SPEC, 7, clock.now());
      const target = Math.max(1_000, Math.round(TARGET_READINGS * scale));
      let landed = 0;
      while (landed < target) {
        const next = new Date(clock.now().getTime() + 30_000);
        const readings = fleet.readingsUntil(next);
        clock.set(next);
        await engine.land({ readings });
        landed += readings.length;
      }
      progress(`${landed} readings in the stream`);
      const conn = await engine.rawConnection();
      const streamRows = Number((await conn.runAndReadAll(`SELECT COUNT(*) FROM ${STREAM}`)).getRowsJS()[0]![0]);
      await conn.run(`SET VARIABLE ${DUCKDB_VARIABLES.now} = TIMESTAMP '${sqlTimestamp(clock.now())}'`);

      const forms = [form("judged in every statement (before)", inlined(snowflakeDialect), inlined(duckdbDialect)), form("judged once (after)", snowflakeDialect, duckdbDialect)];
      const measured = [];
      for (const f of forms) {
        const reads = f.snowflake.reduce((s, sql) => s + tableReferences(sql, STREAM), 0);
        const times: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          // Each round sees the same stream: the work is rolled back.
          const t0 = performance.now();
          await conn.run("BEGIN TRANSACTION");
          for (const sql of f.duckdb) await conn.run(sql);
          times.push(performance.now() - t0);
          await conn.run("ROLLBACK");
        }
        const judging = f.snowflake.filter((sql) => tableReferences(sql, STREAM) > 0).length;
        measured.push({ statements: f.snowflake.length, judging, reads, scanned: reads * streamRows, ms: median(times) });
        progress(`${f.name}: ${f.snowflake.length} statements, ${reads} stream reads, ${median(times).toFixed(0)} ms on the twin`);
      }
      conn.closeSync();
      const [before, after] = measured as [(typeof measured)[0], (typeof measured)[0]];
      return [
        {
          name: "validate.statements_per_run",
          value: after.statements,
          unit: "statements",
          description: "statements of one validate run on Snowflake (setup + transaction), judging once",
          reference: { name: "judged in every statement", value: before.statements, unit: "statements" },
          ratio: after.statements / before.statements,
          ratioMeaning: "statements now / before (one more: the temporary table's CREATE and its INSERT)",
        },
        {
          name: "validate.judging_statements_per_run",
          value: after.judging,
          unit: "statements",
          description: `statements of one Snowflake run that read ${STREAM} and evaluate the judgement`,
          reference: { name: "judged in every statement", value: before.judging, unit: "statements" },
          ratio: after.judging / before.judging,
          ratioMeaning: "judging statements now / before",
          target: { op: "<=", value: 0.25 },
        },
        {
          name: "validate.stream_rows_read_per_run",
          value: after.scanned,
          unit: "rows",
          description: `rows of ${STREAM} read by one Snowflake run of ${streamRows} readings (references in the parsed body × stream rows)`,
          reference: { name: "judged in every statement", value: before.scanned, unit: "rows" },
          ratio: after.scanned / before.scanned,
          ratioMeaning: "stream rows read now / before",
          target: { op: "<=", value: 0.5 },
        },
        {
          name: "validate.twin_run_ms",
          value: after.ms,
          unit: "ms",
          description: `one validate run of ${streamRows} readings on the twin (median of ${ROUNDS}, rolled back each time)`,
          reference: { name: "judged in every statement", value: before.ms, unit: "ms" },
          ratio: after.ms / before.ms,
          ratioMeaning: "time now / before, same batch",
        },
      ];
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
