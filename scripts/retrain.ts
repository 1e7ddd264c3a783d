#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Scripted ML retraining (issue 5): train, gate and register per tenant and model; roll back;
 * check drift; score new machine readings with the approved streaming detector; list versions.
 *
 * Exit codes: 0 every requested model was trained (registered Approved, Rejected by the gate or
 * pending approval, or judged in a dry run: a rejection is a result, not a failure); 1 a mistake
 * in the request (unknown tenant, bad flag, no hub), nothing done; 2 a bug; 3 at least one
 * requested model could not be trained (bad training data, a non-finite metric, a failed SageMaker
 * job): the others were, and stderr has one line per model that was not.
 */
import { codeVersion } from "../ml/codeVersion.ts";
import { existsSync, readFileSync } from "node:fs";
import { runCommand, UserError, type Parsed } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { progressBar } from "./lib/progressBar.ts";
import { hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";
import { PIPELINE_ROLE } from "../pipelines/definitions/governance.ts";
import { TRANSFORM_WH } from "../pipelines/definitions/warehouses.ts";
import { runningServe } from "../pipelines/serve/serveFile.ts";
import { numberOption, PROJECT_DIR, tenantOption, timeOption } from "./lib/optionValues.ts";
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";
import type { ModelKind, ModelRecord } from "../ml/contract.ts";
// The engine (DuckDB), the registries with their AWS SDK clients, the trainers and the stream
// scorer load once every flag is checked: --help and a refused flag answer without them.
import { MODEL_KINDS, RegistryError, type Registry } from "../ml/registry/registry.ts";
import type { ServingChange } from "../ml/registry/index.ts";
import type { RetrainOutcome } from "../ml/retrainFlow.ts";
import { outcomeRows, driftRows } from "../ml/retrainReport.ts";
import { DEFAULT_PSI_THRESHOLD, driftReport, type DriftReport } from "../ml/drift.ts";
import { HOUR_MS, tenantsWithData, windowEndingAt } from "../ml/features.ts";
import type { SageMakerTrainingConfig } from "../ml/sagemaker/trainingJob.ts";
import { BUILT_IN_ALGORITHMS, builtInImage, UnknownRegionError } from "../ml/sagemaker/images.ts";
import { quietNodeVersionNotice } from "../pipelines/awsSdkNotice.ts";

const COMMANDS = ["train", "rollback", "drift", "stream", "list"] as const;
/** At least one requested model could not be trained (see the header). */
const EXIT_NOT_TRAINED = 3;

const options = {
  tenant: { type: "string", description: "one tenant (id as in the stack, e.g. acme)" },
  all: { type: "boolean", description: "every tenant with data in the window" },
  model: { type: "string", description: "which model", choices: ["forecast", "anomaly", "segments", "all"], default: "all" },
  target: { type: "string", description: "where models train and register: local trainers + .hub/models, or SageMaker", choices: ["local", "sagemaker"], default: "local" },
  warehouse: { type: "string", description: "where features are read and scores written: the local hub (DuckDB) or Snowflake (SNOWFLAKE_* variables)", choices: ["local", "snowflake"], default: "local" },
  "dry-run": { type: "boolean", description: "train and judge, register and write nothing" },
  json: { type: "boolean", description: "results as JSON on stdout (implies --quiet)" },
  quiet: { type: "boolean", description: "no progress bar" },
  margin: { type: "string", description: "relative margin a challenger must beat the champion by (default per model: 0.02 forecast/anomaly, 0.05 segments)" },
  "window-days": { type: "string", description: "days of history to train on", default: "28" },
  now: { type: "string", description: "end of the training window, ISO 8601, UTC unless an offset is given (default: local hub: the hour after its last gold row; Snowflake: now)" },
  to: { type: "string", description: "rollback: the version to make champion (default: the Approved one before the champion)" },
  reason: { type: "string", description: "rollback: why (recorded on the versions it changes)", default: "manual rollback" },
  threshold: { type: "string", description: `drift: PSI above which a feature has drifted (default ${DEFAULT_PSI_THRESHOLD})` },
  "recent-days": { type: "string", description: "drift: days of recent data compared with the champion's training window", default: "7" },
  trigger: { type: "boolean", description: "drift: retrain the models past the threshold" },
  home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
  region: { type: "string", description: "sagemaker: AWS region (default $AWS_REGION)" },
  bucket: { type: "string", description: "sagemaker: the archive bucket (default $HUB_ARCHIVE_BUCKET)" },
  "role-arn": { type: "string", description: "sagemaker: the tenant stack's retrainingRoleArn (default $HUB_RETRAINING_ROLE_ARN)" },
} as const;

type Opts = Parsed<typeof options>;

function int(name: string, v: string | undefined, min: number): number {
  return numberOption(`--${name}`, v, { integer: true, min });
}

function fraction(name: string, v: string | undefined): number | undefined {
  return v === undefined ? undefined : numberOption(`--${name}`, v, { min: 0, below: 1 });
}

function threshold(o: Opts): number {
  return o.threshold === undefined ? DEFAULT_PSI_THRESHOLD : numberOption("--threshold", o.threshold, { above: 0 });
}

/**
 * Every flag that names a value, checked before the registry or the hub is opened. The tenant is
 * one with a stack file: its stack declares the tenant's model package groups and retraining role.
 */
function checkFlags(o: Opts): void {
  if (o.tenant !== undefined) tenantOption("--tenant", o.tenant, PROJECT_DIR);
  if (o.now !== undefined) timeOption("--now", o.now);
  int("window-days", o["window-days"], 1);
  int("recent-days", o["recent-days"], 1);
  fraction("margin", o.margin);
  threshold(o);
  if (o.to !== undefined) int("to", o.to, 1);
}

function models(o: Opts): ModelKind[] {
  return o.model === "all" || !o.model ? [...MODEL_KINDS] : [o.model as ModelKind];
}

interface Hub {
  wh: Warehouse;
  registry: Registry;
  sagemaker?: SageMakerTrainingConfig;
  close(): Promise<void>;
}

function sageMakerSettings(o: Opts): { region: string; bucket: string; roleArn: string } {
  const region = o.region ?? process.env["AWS_REGION"];
  const bucket = o.bucket ?? process.env["HUB_ARCHIVE_BUCKET"];
  const roleArn = o["role-arn"] ?? process.env["HUB_RETRAINING_ROLE_ARN"];
  const missing = [!region && "--region / AWS_REGION", !bucket && "--bucket / HUB_ARCHIVE_BUCKET", !roleArn && "--role-arn / HUB_RETRAINING_ROLE_ARN"].filter(Boolean);
  if (missing.length) throw new UserError(`--target sagemaker needs ${missing.join(", ")}`);
  // A region with no built-in images is a mistake in the request, said before anything is opened.
  for (const a of BUILT_IN_ALGORITHMS) {
    try {
      builtInImage(a, region!);
    } catch (e) {
      if (e instanceof UnknownRegionError) throw new UserError(`--region: ${e.message}`);
      throw e;
    }
  }
  return { region: region!, bucket: bucket!, roleArn: roleArn! };
}

/** The registry (and SageMaker clients); checked before anything is opened, so bad flags fail fast. */
async function openRegistry(o: Opts): Promise<{ registry: Registry; sagemaker?: SageMakerTrainingConfig }> {
  if (o.target === "local") {
    const { LocalRegistry } = await import("../ml/registry/localRegistry.ts");
    return { registry: new LocalRegistry(hubHome(o.home)) };
  }
  const { region, bucket, roleArn } = sageMakerSettings(o);
  const { SageMakerRegistry } = await import("../ml/registry/sagemakerRegistry.ts");
  const { SageMakerClient } = await import("@aws-sdk/client-sagemaker");
  const { S3Client } = await import("@aws-sdk/client-s3");
  quietNodeVersionNotice();
  const sagemaker = new SageMakerClient({ region });
  const s3 = new S3Client({ region });
  return { registry: new SageMakerRegistry({ sagemaker, s3, bucket }), sagemaker: { sagemaker, s3, bucket, region, roleArn } };
}

async function openHub(o: Opts): Promise<Hub> {
  const reg = await openRegistry(o);
  if (o.warehouse === "snowflake") {
    const { connectSnowflake } = await import("../pipelines/warehouse/snowflakeWarehouse.ts");
    const { snowflakeConfigFromEnv } = await import("../pipelines/warehouse/snowflakeEnv.ts");
    const wh = await connectSnowflake(snowflakeConfigFromEnv());
    return { ...reg, wh, close: () => wh.close() };
  }
  const served = runningServe(hubHome(o.home));
  if (served) {
    // The served hub holds its file: features are read and scores written through its SQL
    // endpoint, with the same Snowflake SQL and driver as `--warehouse snowflake`.
    const { connectSnowflake } = await import("../pipelines/warehouse/snowflakeWarehouse.ts");
    const wh = await connectSnowflake({
      account: served.account, username: served.operatorUser, role: PIPELINE_ROLE, warehouse: TRANSFORM_WH.name, database: served.account,
      privateKey: readFileSync(served.operatorKey, "utf8"), accessUrl: served.http, defaultTag: { job: "ml:retrain" },
    });
    return { ...reg, wh, close: () => wh.close() };
  }
  const path = hubDatabasePath(hubHome(o.home));
  if (!existsSync(path)) throw new UserError(`there is no hub at ${path}; run \`npm start\` first or pass --home`);
  const { EmbeddedEngine } = await import("../pipelines/engine/embeddedEngine.ts");
  const engine = await EmbeddedEngine.open({ path });
  const wh = await engine.session({ role: PIPELINE_ROLE, tag: { job: "ml:retrain" } });
  return {
    ...reg,
    wh,
    close: async () => {
      await wh.close();
      await engine.close();
    },
  };
}

/** The hour after the last gold row (the local hub runs on simulated time), or now. */
async function defaultNow(o: Opts, wh: Warehouse): Promise<Date> {
  if (o.now !== undefined) return timeOption("--now", o.now);
  if (o.warehouse === "snowflake") return new Date();
  const [r] = await wh.query<{ h: Date | null }>(
    "SELECT MAX(h) AS h FROM (SELECT MAX(hour) AS h FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY UNION ALL SELECT MAX(hour) FROM ANALYTICS.ENERGY_HOURLY) x",
  );
  return r?.h ? new Date(new Date(r.h).getTime() + HOUR_MS) : new Date();
}

async function tenants(o: Opts, wh: Warehouse, now: Date, days: number): Promise<string[]> {
  if (o.tenant !== undefined && o.all) throw new UserError("give --tenant T or --all, not both");
  if (o.tenant !== undefined) return [tenantOption("--tenant", o.tenant, PROJECT_DIR)];
  if (!o.all) throw new UserError("say which tenants: --tenant T or --all");
  const list = await tenantsWithData(wh, windowEndingAt(now, days));
  if (list.length === 0) throw new UserError(`no tenant has gold data in the ${days} days before ${now.toISOString()}`);
  return list;
}

function print(o: Opts, json: unknown, table: string): void {
  if (o.json) console.log(JSON.stringify(json, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2));
  else console.log(table);
}

async function train(o: Opts, hub: Hub, list?: { tenants: string[]; models: ModelKind[] }): Promise<void> {
  const days = int("window-days", o["window-days"], 1);
  const now = await defaultNow(o, hub.wh);
  const ts = list?.tenants ?? (await tenants(o, hub.wh, now, days));
  const ms = list?.models ?? models(o);
  const bar = progressBar({ total: ts.length * ms.length, enabled: !o.quiet && !o.json });
  const { retrain } = await import("../ml/retrainFlow.ts");
  const outcomes = await retrain({
    warehouse: hub.wh, registry: hub.registry, tenants: ts, models: ms, now, windowDays: days, margin: fraction("margin", o.margin),
    dryRun: o["dry-run"], codeVersion: codeVersion(), sagemaker: hub.sagemaker, onProgress: (p) => bar.update(p.done, p.label),
  });
  bar.finish();
  const reasons = outcomes.map((x) => `${x.tenantId}/${x.model}: ${x.reason}${x.excluded.length ? ` [left out: ${x.excluded.join("; ")}]` : ""}`);
  print(o, outcomes, `${textTable(outcomeRows(outcomes))}\n\n${reasons.join("\n")}`);
  reportNotTrained(outcomes);
}

/** One line per requested model that could not be trained, and exit code 3 (see the header). */
function reportNotTrained(outcomes: readonly RetrainOutcome[]): void {
  const failed = outcomes.filter((x) => x.failure !== null);
  for (const x of failed) console.error(`retrain: ${x.tenantId}/${x.model} was not trained: ${x.reason.replace(/\s*\n\s*/g, " ")}`);
  if (failed.length) process.exitCode = EXIT_NOT_TRAINED;
}

async function rollback(o: Opts, hub: Pick<Hub, "registry">): Promise<void> {
  if (o.tenant === undefined || o.all) throw new UserError("rollback needs --tenant T");
  if (!o.model || o.model === "all") throw new UserError("rollback needs --model forecast|anomaly|segments");
  const to = o.to === undefined ? undefined : int("to", o.to, 1);
  try {
    const r: ModelRecord & { serving?: ServingChange } = await hub.registry.rollback(o.tenant, o.model as ModelKind, { to, why: o.reason ?? "manual rollback" });
    // On SageMaker the endpoint follows (or the line says a deploy is needed); locally, `stream` reads the champion.
    print(o, r, `${o.tenant}/${o.model}: champion is now v${r.version} (${r.approvalStatus}): ${r.reason}${r.serving ? `\n${r.serving.message}` : ""}`);
  } catch (e) {
    if (e instanceof RegistryError) throw new UserError(`${o.tenant}/${o.model}: ${e.message}`);
    throw e;
  }
}

async function drift(o: Opts, hub: Hub): Promise<void> {
  const now = await defaultNow(o, hub.wh);
  const recentDays = int("recent-days", o["recent-days"], 1);
  const psi = threshold(o);
  const ts = await tenants(o, hub.wh, now, int("window-days", o["window-days"], 1));
  const reports: DriftReport[] = [];
  for (const t of ts) {
    for (const m of models(o)) reports.push(await driftReport(hub.wh, await hub.registry.champion(t, m), { tenantId: t, model: m, recent: windowEndingAt(now, recentDays), threshold: psi }));
  }
  print(o, reports, textTable(driftRows(reports)));
  const due = reports.filter((r) => r.recommendation === "retrain");
  if (o.trigger && due.length) {
    for (const t of [...new Set(due.map((r) => r.tenantId))]) {
      await train({ ...o, now: now.toISOString() }, hub, { tenants: [t], models: due.filter((r) => r.tenantId === t).map((r) => r.model) });
    }
  } else if (due.length && !o.json) {
    console.log(`\n${due.length} model(s) drifted past PSI ${psi}: run again with --trigger to retrain them.`);
  }
}

/**
 * `stream` scores with the champion's streaming detector stored in the registry (a local model).
 * A SageMaker champion is a Random Cut Forest model.tar.gz served by its endpoint: refused, with
 * where its scores come from, rather than scoring nothing and printing zeros.
 */
function refuseStreamOnSageMaker(o: Opts): void {
  if (o.target !== "sagemaker") return;
  throw new UserError(
    "stream --target sagemaker: the anomaly model trained on SageMaker (Random Cut Forest) has no streaming detector to run here; " +
      "its scores come from its endpoint: scripts/score.ts --tenant T --model anomaly (deployed by hub:servedModels). " +
      "stream scores with the local champion: run it without --target sagemaker",
  );
}

async function stream(o: Opts, hub: Hub): Promise<void> {
  // Every reading in silver (up to --now when given); scored_at is the hub's time, as for retraining.
  const now = await defaultNow(o, hub.wh);
  const ts = await tenants(o, hub.wh, now, int("window-days", o["window-days"], 1));
  const results = [];
  const { scoreStream } = await import("../ml/streamScoring.ts");
  for (const t of ts) results.push(await scoreStream(hub.wh, hub.registry, t, { now, until: o.now ? now : undefined }));
  print(o, results, textTable(results.map((r) => ({ tenant: r.tenantId, champion: r.championVersion === null ? "-" : `v${r.championVersion}`, devices: r.devices, scored: r.scored, flagged: r.flagged }))));
}

async function list(o: Opts, hub: Pick<Hub, "registry">): Promise<void> {
  if (o.tenant === undefined) throw new UserError("list needs --tenant T");
  const records = [];
  for (const m of models(o)) records.push(...(await hub.registry.list(o.tenant, m)));
  print(o, records, textTable(records.map((r) => ({ model: r.model, version: r.version, status: r.approvalStatus, algorithm: r.algorithm, from: r.trainingWindow.from, to: r.trainingWindow.to, rows: r.rowCount, created: r.createdAt, reason: r.reason }))));
}

await runCommand({
  name: "retrain",
  description: "retrain, gate and register models per tenant; roll back; check drift; score the machine stream",
  usage: "scripts/retrain.ts [train|rollback|drift|stream|list] [--tenant T | --all] [--model forecast|anomaly|segments|all] [--target local|sagemaker] [--dry-run] [--json]",
  options,
  examples: [
    "scripts/retrain.ts --all",
    "scripts/retrain.ts --tenant acme --model forecast --dry-run",
    "scripts/retrain.ts rollback --tenant acme --model forecast --to 3 --reason \"v4 over-forecasts nights\"",
    "scripts/retrain.ts drift --all --threshold 0.25 --trigger",
    "scripts/retrain.ts stream --all",
    "scripts/retrain.ts --tenant acme --target sagemaker --region eu-west-1 --bucket hub-archive --role-arn arn:aws:iam::123456789012:role/acme-retraining",
  ],
  run: async ({ options: o, positionals }) => {
    const cmd = (positionals[0] ?? "train") as (typeof COMMANDS)[number];
    if (!COMMANDS.includes(cmd) || positionals.length > 1) throw new UserError(`unknown command ${JSON.stringify(positionals.join(" "))}; commands: ${COMMANDS.join(", ")}`);
    if (o.tenant !== undefined && o.all) throw new UserError("give --tenant T or --all, not both");
    checkFlags(o);
    if (cmd === "stream") refuseStreamOnSageMaker(o);
    // Rollback and list touch only the registry: no warehouse is opened.
    if (cmd === "rollback" || cmd === "list") return (cmd === "rollback" ? rollback : list)(o, await openRegistry(o));
    const hub = await openHub(o);
    try {
      await { train: () => train(o, hub), drift: () => drift(o, hub), stream: () => stream(o, hub) }[cmd]();
    } finally {
      await hub.close();
    }
  },
});
