/**
 * The archive command's work (`scripts/archive.ts`): export, restore, verify. It runs in the
 * command's own process on the hub's file, or inside a running `serve` on the engine it holds
 * (POST /v1/admin/archive), which is why its output goes through `io` rather than the console.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { didYouMean } from "./didYouMean.ts";
import { UserError } from "./command.ts";
import { textTable } from "./textTable.ts";
import { heartbeat } from "./progressBar.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { ensureWritableHome, hubDatabasePath, hubHome } from "../../pipelines/hubHome.ts";
import { LAYERS, RESTORABLE_LAYERS, type Layer } from "../../pipelines/archive/archivedTables.ts";
import { LocalArchiveStore, type ArchiveStore } from "../../pipelines/archive/archiveStore.ts";
import type { RunExport } from "../../pipelines/archive/exportArchive.ts";
import { checkTenantId } from "../../pipelines/archive/archiveKeys.ts";
// The engine (DuckDB), the S3 store (the AWS SDK) and the export, restore and verify (their
// manifests' schemas, zod) load where they are used, once the flags are checked: --help and a
// refused flag answer without them.
import { TENANT_ID_PATTERN } from "../../pipelines/definitions/governance.ts";
import { dayOption, notOneOf, PROJECT_DIR, stackOption } from "./optionValues.ts";
import { PULUMI_INSTALL, pulumiErrorLine, pulumiOnPath } from "./pulumiCli.ts";


export interface ArchiveIo {
  /** The hub to work on; `release` after (closes a file it opened, nothing for serve's engine). */
  openHub(home: string, create: boolean): Promise<{ readonly engine: EmbeddedEngine; release(): Promise<void> }>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Set when the command's result is a failure to report (verify found problems). */
  setExitCode(code: number): void;
}

/** The archive command's flags, as parsed (and, for serve, as sent in the request). */
export interface ArchiveFlags extends TargetFlags {
  readonly tenant?: string;
  readonly all?: boolean;
  readonly layer?: string;
  readonly from?: string;
  readonly to?: string;
  readonly "snowflake-stage"?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export const COMMANDS = ["export", "restore", "verify"] as const;
export type Command = (typeof COMMANDS)[number];

export interface TargetFlags {
  target?: string;
  "archive-dir"?: string;
  bucket?: string;
  "kms-key"?: string;
  endpoint?: string;
  region?: string;
  stack?: string;
  home?: string;
}

/** The S3 bucket and KMS key: from the flags, else from the platform stack's outputs. */
async function s3Settings(f: TargetFlags): Promise<{ bucket: string; kmsKeyId: string }> {
  if (f.bucket && f["kms-key"]) return { bucket: f.bucket, kmsKeyId: f["kms-key"] };
  const stack = f.stack ?? "platform";
  const cannot = `cannot read the archive bucket and KMS key from stack ${stack}'s outputs`;
  if (!pulumiOnPath()) throw new UserError(`${cannot}: no \`pulumi\` on PATH (${PULUMI_INSTALL}); or pass --bucket and --kms-key`);
  let outputs: Record<string, { value: unknown }>;
  try {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
    outputs = await (await LocalWorkspace.selectStack({ stackName: stack, workDir: PROJECT_DIR })).outputs();
  } catch (e) {
    throw new UserError(`${cannot} (${pulumiErrorLine(e)}); pass --bucket and --kms-key`);
  }
  const bucket = f.bucket ?? String(outputs["archiveBucketName"]?.value ?? "");
  const kmsKeyId = f["kms-key"] ?? String(outputs["kmsKeyArn"]?.value ?? "");
  if (!bucket || !kmsKeyId) throw new UserError(`stack ${stack} has no archiveBucketName/kmsKeyArn outputs; pass --bucket and --kms-key`);
  return { bucket, kmsKeyId };
}

async function openStore(f: TargetFlags): Promise<ArchiveStore> {
  if ((f.target ?? "local") === "local") {
    for (const k of ["bucket", "kms-key", "endpoint", "stack"] as const) if (f[k] !== undefined) throw new UserError(`--${k} applies to --target s3 only`);
    return new LocalArchiveStore(f["archive-dir"] ?? join(hubHome(f.home), "archive"));
  }
  if (f["archive-dir"]) throw new UserError("--archive-dir applies to --target local only");
  const { bucket, kmsKeyId } = await s3Settings(f);
  const { S3ArchiveStore } = await import("../../pipelines/archive/s3ArchiveStore.ts");
  try {
    return new S3ArchiveStore({ bucket, kmsKeyId, region: f.region, endpoint: f.endpoint });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/** Restore and verify know the tenants the archive holds (whatever the hub or the stacks say). */
async function archivedTenantOption(store: ArchiveStore, tenant: string): Promise<void> {
  const { archivedTenants } = await import("../../pipelines/archive/archiveReader.ts");
  const archived = await archivedTenants(store);
  if (!archived.includes(tenant)) {
    store.close?.();
    throw notOneOf("--tenant", tenant, `is not a tenant in the archive at ${store.location}`, "archived tenants", archived);
  }
}

function userErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

function layersOf(v: string | undefined, fallback: string): Layer[] {
  const l = v ?? fallback;
  if (l === "all") return [...LAYERS];
  if (!(LAYERS as readonly string[]).includes(l)) throw notOneOf("--layer", l, "is not a layer", "layers", [...LAYERS, "all"]);
  return [l as Layer];
}

/** The hub's file, opened by the command itself (no `serve` holds it). */
export async function openHubFile(home: string, create: boolean): Promise<EmbeddedEngine> {
  const path = hubDatabasePath(home);
  if (!create && !existsSync(path)) throw new UserError(`there is no hub at ${path}; run \`npm start\` first or pass --home`);
  if (create) ensureWritableHome(home);
  const { EmbeddedEngine } = await import("../../pipelines/engine/embeddedEngine.ts");
  return EmbeddedEngine.open({ path, clock: new SimulatedClock() });
}

/** Move the reopened hub's clock to just past its last commit (as `npm start` continues from its last run). */
async function catchUpClock(engine: EmbeddedEngine): Promise<Date> {
  const s = await engine.admin();
  const { quiescentAsOf } = await import("../../pipelines/archive/exportArchive.ts");
  try {
    const asOf = await quiescentAsOf(s);
    // A served hub runs on the wall clock, already past its last commit.
    if (!(engine.clock instanceof SimulatedClock)) return asOf;
    const clock = engine.clock;
    if (asOf > clock.now()) clock.set(asOf);
    return clock.now();
  } finally {
    await s.close();
  }
}

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2);

/** The engine behind `io`, on a simulated clock when the command opened the file itself. */
export async function runArchive(positionals: readonly string[], o: ArchiveFlags, io: ArchiveIo): Promise<void> {
    const command = positionals[0] as Command | undefined;
    if (!command) throw new UserError(`give one command: ${COMMANDS.join(", ")}`);
    if (!COMMANDS.includes(command)) throw new UserError(`unknown command ${JSON.stringify(positionals[0])} (commands: ${COMMANDS.join(", ")})${didYouMean(positionals[0]!, COMMANDS)}`);
    if (positionals.length > 1) throw new UserError(`give one command, not ${positionals.length} (${positionals.map((p) => JSON.stringify(p)).join(" ")}): ${COMMANDS.join(", ")}`);
    const quiet = o.quiet || o.json;
    const progress = quiet ? undefined : (m: string) => io.err(`${m}\n`);
    if (o.tenant !== undefined) userErrors(() => checkTenantId(o.tenant!));
    // The stack is one with a stack file; only the S3 target reads it (refused with local, below).
    if (o.stack !== undefined) stackOption("--stack", o.stack, PROJECT_DIR);
    const home = hubHome(o.home);

    if (command === "export") {
      if (o.from || o.to || o["snowflake-stage"]) throw new UserError("--from, --to and --snowflake-stage apply to restore only");
      if (!!o.tenant === !!o.all) throw new UserError("give --tenant T or --all");
      const layers = layersOf(o.layer, "all");
      const store = await openStore(o);
      const hub = await io.openHub(home, false);
      const engine = hub.engine;
      try {
        const { exportTenant, knownTenants } = await import("../../pipelines/archive/exportArchive.ts");
        const asOf = await catchUpClock(engine);
        const s = await engine.admin();
        const known = await knownTenants(s);
        // The tenants an export knows are the hub's (rows or a role), stack file or not.
        if (o.tenant !== undefined && !known.includes(o.tenant)) throw notOneOf("--tenant", o.tenant, "is not a tenant in this hub", "tenants in this hub", known);
        // A tenant id that cannot name an archive prefix (data loaded under a malformed id) is
        // skipped with a warning rather than stopping every other tenant's export.
        const valid = known.filter((t) => TENANT_ID_PATTERN.test(t));
        for (const t of known.filter((x) => !valid.includes(x))) io.err(`archive: skipping tenant id ${JSON.stringify(t)}: it does not match ${TENANT_ID_PATTERN}\n`);
        const tenants = o.tenant ? [o.tenant] : valid;
        const runs: RunExport[] = [];
        const t0 = performance.now();
        for (const tenant of tenants) runs.push(...(await exportTenant({ session: s, files: await engine.files(), store, tenant, layers, asOf, progress })));
        const seconds = (performance.now() - t0) / 1000;
        await s.close();
        const rows = runs.reduce((a, r) => a + r.rows, 0);
        if (o.json) io.out(json({ archive: store.location, asOf, seconds, runs }));
        else {
          io.out(`archive ${store.location}, rows committed before ${asOf.toISOString()}`);
          io.out(textTable(runs.flatMap((r) => r.tables.map((t) => ({ tenant: r.tenant, layer: r.layer, table: t.table, files: t.files, rows: t.rows, bytes: t.bytes, run: r.runId ?? "-" })))));
          io.out(`${rows.toLocaleString("en")} rows in ${runs.reduce((a, r) => a + r.files, 0)} files, ${seconds.toFixed(1)} s`);
        }
      } finally {
        await hub.release();
        store.close?.();
      }
      return;
    }

    if (command === "restore") {
      if (o.all) throw new UserError("restore takes one --tenant, not --all");
      if (!o.tenant) throw new UserError("restore needs --tenant T");
      if (!o.from || !o.to) throw new UserError("restore needs --from YYYY-MM-DD and --to YYYY-MM-DD");
      dayOption("--from", o.from);
      dayOption("--to", o.to);
      if (o.from > o.to) throw new UserError(`--from ${o.from} is after --to ${o.to}`);
      const layers = layersOf(o.layer, "bronze");
      if (layers.some((l) => !RESTORABLE_LAYERS.includes(l))) {
        throw new UserError(`--layer ${o.layer}: only bronze is restored; silver and gold are rebuilt from it by the task graph and the dynamic tables`);
      }
      const [{ restoreTenant, snowflakeRestoreSql }, { CorruptArchiveError }] = await Promise.all([import("../../pipelines/archive/restoreArchive.ts"), import("../../pipelines/archive/archiveReader.ts")]);
      if (o["snowflake-stage"]) {
        io.out(userErrors(() => snowflakeRestoreSql(o["snowflake-stage"]!, o.tenant!, o.from!, o.to!)).join("\n"));
        return;
      }
      const store = await openStore(o);
      // Before the hub is created: a restore of a tenant the archive does not hold makes nothing.
      await archivedTenantOption(store, o.tenant);
      const hub = await io.openHub(home, true);
      const engine = hub.engine;
      try {
        const s = await engine.admin();
        let report;
        try {
          report = await heartbeat(`restoring ${o.tenant}`, restoreTenant({ session: s, files: await engine.files(), store, tenant: o.tenant, from: o.from, to: o.to, progress }), { enabled: !quiet });
        } catch (e) {
          if (e instanceof CorruptArchiveError || /^unknown tenant|^manifest /.test((e as Error).message)) throw new UserError((e as Error).message);
          throw e;
        }
        await s.close();
        // Rebuild silver and gold from the restored rows, as the hub would on its next minute.
        await catchUpClock(engine);
        progress?.("running the task graph and refreshing the dynamic tables…");
        const tick = await heartbeat("rebuilding silver and gold", engine.tick(), { enabled: !quiet });
        if (o.json) io.out(json({ archive: store.location, hub: hubDatabasePath(home), ...report, pipeline: { tasks: tick.tasks.length, refreshes: tick.refreshes.length } }));
        else {
          io.out(`restored tenant ${report.tenant}, ${report.from} to ${report.to}, from ${store.location} into ${hubDatabasePath(home)}`);
          if (report.tables.every((t) => t.files === 0)) io.out(`the archive holds no bronze partition of ${report.tenant} between ${report.from} and ${report.to}`);
          io.out(textTable(report.tables.map((t) => ({ table: t.table, files: t.files, archived_rows: t.archivedRows, restored_rows: t.restoredRows, already_present: t.archivedRows - t.restoredRows }))));
        }
      } finally {
        await hub.release();
        store.close?.();
      }
      return;
    }

    if (o.all || o.from || o.to || o["snowflake-stage"]) throw new UserError("verify takes only --tenant and the target flags");
    const store = await openStore(o);
    if (o.tenant !== undefined) await archivedTenantOption(store, o.tenant);
    const path = hubDatabasePath(home);
    const hub = existsSync(path) ? await io.openHub(home, false) : null;
    const engine = hub?.engine ?? null;
    try {
      const session = engine ? await engine.admin() : undefined;
      let report;
      const { verifyArchive } = await import("../../pipelines/archive/verifyArchive.ts");
      try {
        report = await verifyArchive({ store, tenant: o.tenant, session, progress });
      } catch (e) {
        if (/^unknown tenant|^manifest /.test((e as Error).message)) throw new UserError((e as Error).message);
        throw e;
      }
      await session?.close();
      if (o.json) io.out(json({ ...report, warehouse: engine ? path : null }));
      else {
        io.out(`archive ${report.archive}: ${report.tenants.length} tenant(s), ${report.manifests} manifests, ${report.files} files, ${report.rows.toLocaleString("en")} rows`);
        if (!engine) io.out(`no hub at ${path}: row counts were not compared with a warehouse`);
        if (report.problems.length) io.out(textTable(report.problems.map((p) => ({ problem: p.kind, tenant: p.tenant, detail: p.detail }))));
        io.out(report.ok ? "ok" : "PROBLEMS FOUND");
      }
      if (!report.ok) io.setExitCode(1);
    } finally {
      await hub?.release();
      store.close?.();
    }
}
