/**
 * Cost report figures: the report over a year of hourly metering for 100 tenants × 3 warehouses
 * (~2.6 M metering rows) and 10 M query rows (target < 5 s), against DuckDB's bare scan and
 * aggregation of the same query rows in the same run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../pipelines/engine/clock.ts";
import { CONTROL_SCHEMA } from "../pipelines/engine/controlTables.ts";
import { buildCostReport } from "../pipelines/cost/costReport.ts";
import { timed, type Benchmark, type Figure } from "./harness.ts";
import { stackWhatIfInputs } from "../infra/costForecast.ts";
import { readStackConfig } from "../infra/stackFiles.ts";
import { whatIf } from "../pipelines/cost/whatIf.ts";

const TENANTS = 100;
const WAREHOUSES_PER_TENANT = 3;
const HOURS = 24 * 365;
const QUERIES = 10_000_000;

export const costReportBenchmark: Benchmark = {
  name: "cost",
  description: "cost report over a year of hourly metering for 100 tenants × 3 warehouses and 10M queries",
  async run({ scale, progress }): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), "hub-bench-cost-"));
    const start = new Date("2025-01-01T00:00:00Z");
    const engine = await EmbeddedEngine.open({ path: join(dir, "cost.duckdb"), clock: new SimulatedClock(new Date(start.getTime() + HOURS * 3_600_000)) });
    try {
      const whs = TENANTS * WAREHOUSES_PER_TENANT;
      const queries = Math.round(QUERIES * scale);
      const hours = Math.max(24, Math.round(HOURS * Math.min(1, scale)));
      const admin = await engine.admin();
      progress(`generating ${(whs * hours).toLocaleString("en")} metering rows and ${queries.toLocaleString("en")} query rows…`);
      // Generated inside DuckDB: the benchmark measures the report, not the loading.
      await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.WAREHOUSE_METERING
        SELECT 'T' || (w // ${WAREHOUSES_PER_TENANT}) || '_WH' || (w % ${WAREHOUSES_PER_TENANT}), TIMESTAMP '2025-01-01' + INTERVAL (h) HOUR,
          0.2 + ((w * 7 + h * 13) % 10) / 10.0, 0.001
        FROM range(${whs}) a(w), range(${hours}) b(h)`);
      await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.QUERY_HISTORY
        SELECT 'q' || i, 'SELECT 1', 'T' || ((i % ${whs}) // ${WAREHOUSES_PER_TENANT}) || '_WH' || ((i % ${whs}) % ${WAREHOUSES_PER_TENANT}), 'R',
          '{"tenant":"t' || ((i * 31) % ${TENANTS}) || '","job":"job' || (i % 17) || '"}',
          TIMESTAMP '2025-01-01' + INTERVAL (i % ${hours}) HOUR + INTERVAL (i % 3600) SECOND, NULL, 100 + i % 900, 'SUCCESS', NULL, NULL, 1
        FROM range(${queries}) r(i)`);
      const from = start;
      const to = new Date(start.getTime() + hours * 3_600_000);
      const warehouses = Array.from({ length: whs }, (_, w) => ({ name: `T${Math.floor(w / WAREHOUSES_PER_TENANT)}_WH${w % WAREHOUSES_PER_TENANT}`, size: "XSMALL" as const, sizeShown: "X-Small", resourceMonitor: null }));
      progress("reference: bare DuckDB aggregation of the query rows by warehouse, hour and tag…");
      const bare = await timed(() =>
        admin.query(`SELECT warehouse_name, DATE_TRUNC('hour', start_time) AS h, query_tag, SUM(total_elapsed_time) FROM ${CONTROL_SCHEMA}.QUERY_HISTORY GROUP BY ALL`),
      );
      progress("the cost report…");
      const report = await timed(() => buildCostReport(admin, { from, to, now: to, pricePerCredit: 3, warehouses, monitors: [] }));
      progress(`report ${(report.ms / 1000).toFixed(2)} s, ${report.result.tenants.length} tenants, ${report.result.allocations.length.toLocaleString("en")} allocation rows`);
      await admin.close();
      progress("what-if for the acme stack, against reading its stack files alone…");
      const readOnly = await timed(async () => readStackConfig(process.cwd(), "acme"));
      const forecast = await timed(async () => stackWhatIfInputs(process.cwd(), "acme").map(whatIf));
      return [
        {
          name: "cost.what_if_seconds",
          description: "what-if for one tenant stack (read and check its config, simulate a month per warehouse)",
          value: forecast.ms / 1000,
          unit: "s",
          reference: { name: "reading the stack's YAML files alone", value: readOnly.ms / 1000, unit: "s" },
          ratio: forecast.ms / readOnly.ms,
          ratioMeaning: "what-if time / stack file read time",
          target: { op: "<", value: 1, on: "value" },
        },
        {
          name: "cost.report_seconds",
          description: `report over ${(whs * hours).toLocaleString("en")} metering rows and ${queries.toLocaleString("en")} queries`,
          value: report.ms / 1000,
          unit: "s",
          reference: { name: "bare DuckDB group-by of the query rows", value: bare.ms / 1000, unit: "s" },
          ratio: report.ms / bare.ms,
          ratioMeaning: "report time / bare aggregation time",
          target: { op: "<", value: 5, on: "value" },
        },
      ];
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
