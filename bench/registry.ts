/** Every benchmark `npm run bench` knows; other issues append theirs. */
import type { Benchmark } from "./harness.ts";
import { warehouseRefreshBenchmark } from "./warehouseRefresh.bench.ts";
import { costReportBenchmark } from "./costReport.bench.ts";
import { edgeIngestBenchmark } from "./edgeIngest.bench.ts";
import { simulatorBenchmark } from "./simulator.bench.ts";
import { archiveBenchmark } from "./archive.bench.ts";
import { mlBenchmark } from "./ml.bench.ts";
import { mainJobBenchmark } from "./mainJob.bench.ts";
import { fileLoadBenchmark } from "./fileLoad.bench.ts";
import { snowflakeSqlBenchmark } from "./snowflakeSql.bench.ts";
import { validatePassBenchmark } from "./validatePass.bench.ts";
import { deviceTlsBenchmark } from "./deviceTls.bench.ts";
import { serveBenchmark } from "./serve.bench.ts";
import { portalBenchmark } from "./portal.bench.ts";
import { notesBenchmark } from "./notes.bench.ts";
import { alertDeliveryBenchmark } from "./alertDelivery.bench.ts";
import { commandStartupBenchmark } from "./commandStartup.bench.ts";

export const BENCHMARKS: readonly Benchmark[] = [warehouseRefreshBenchmark, costReportBenchmark, edgeIngestBenchmark, archiveBenchmark, simulatorBenchmark, mlBenchmark, mainJobBenchmark, fileLoadBenchmark, snowflakeSqlBenchmark, validatePassBenchmark, deviceTlsBenchmark, serveBenchmark, portalBenchmark, notesBenchmark, alertDeliveryBenchmark, commandStartupBenchmark];
