#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/** Cost report with chargeback per tenant, from the billing twin (local) or Snowflake's ACCOUNT_USAGE. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { heartbeat } from "./lib/progressBar.ts";
import { runCommand, UserError } from "./lib/command.ts";
import { hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";
// The engine (DuckDB), the account readers (the SQL transpiler) and the report (the object
// catalog) load once every flag is checked: --help and a refused flag answer without them.
import type { FiredTrigger } from "../pipelines/cost/costReport.ts";
import type { AccountObjects } from "../pipelines/cost/readAccountObjects.ts";
import { COST_REPORT_VIEWS } from "../pipelines/cost/costQueries.ts";
// How far each usage view lags (QUERY_HISTORY 45 minutes, the meter 3 hours: their pages): the
// report's period ends where all the views it reads are complete.
import { completeUntil as usageCompleteUntil } from "../pipelines/definitions/accountUsageViews.ts";
import { formatCostReport, type CostFormat } from "../pipelines/cost/costFormats.ts";
import { CONTROL_SCHEMA } from "../pipelines/engine/controlTables.ts";
import { SimulatedClock } from "../pipelines/engine/clock.ts";
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";
import { currencyOption, dayOption, monthOption, numberOption, PROJECT_DIR, stackOption, stackTenants, tenantOption } from "./lib/optionValues.ts";
import { runningServe } from "../pipelines/serve/serveFile.ts";
import { REPORTING_ROLE } from "../pipelines/definitions/grants.ts";
import { ANALYTICS_WH } from "../pipelines/definitions/warehouses.ts";

await runCommand({
  name: "cost-report",
  description: "credits and money per tenant and warehouse, quota status and trigger forecasts, chargeback by query-time share",
  usage: "scripts/cost-report.ts [--period YYYY-MM | --from D --to D] [--tenant T] [--format table|md|csv|json|html] [--price-per-credit P] [--target local|snowflake] [--usage-latency] [--out FILE] | --what-if --stack S | --publish-tenant-costs [--target local|snowflake]",
  options: {
    period: { type: "string", description: "a calendar month, YYYY-MM" },
    from: { type: "string", description: "first day, YYYY-MM-DD (with --to)" },
    to: { type: "string", description: "last day included, YYYY-MM-DD" },
    tenant: { type: "string", description: "only this tenant's share" },
    format: { type: "string", description: "output format", choices: ["table", "md", "csv", "json", "html"], default: "table" },
    "price-per-credit": { type: "string", description: "money per credit, in --currency", default: "3" },
    currency: { type: "string", description: "ISO 4217 code of the price and every money figure", default: "USD" },
    target: { type: "string", description: "where to read usage", choices: ["local", "snowflake"], default: "local" },
    "usage-latency": { type: "boolean", description: "local: the twin's usage views lag as Snowflake's do (QUERY_HISTORY 45 min, metering 3 h); the period ends where they are complete" },
    out: { type: "string", description: "write to this file instead of stdout (html: default cost-report.html in the hub folder)" },
    home: { type: "string", description: "hub folder for --target local (default: $HUB_HOME or .hub)" },
    "what-if": { type: "boolean", description: "predict a stack's monthly credits and trigger days before deploying it (with --stack)" },
    stack: { type: "string", description: "stack for --what-if: platform or a tenant (reads Pulumi.<stack>.yaml)" },
    "publish-tenant-costs": { type: "boolean", description: "append each tenant's month-to-date figures to OPS.TENANT_COSTS (the portal's cost page) instead of printing a report; as HUB_REPORTING" },
  },
  examples: ["scripts/cost-report.ts --period 2026-01", "scripts/cost-report.ts --target snowflake --publish-tenant-costs", "scripts/cost-report.ts --what-if --stack acme", "scripts/cost-report.ts --tenant acme --format md", "scripts/cost-report.ts --format html --out cost.html"],
  run: async ({ options }) => {
    // Every flag is checked before the hub is opened. A flag given empty (`--period ""`) is a
    // mistake, not the default: hence `!== undefined` rather than truthiness throughout.
    const price = numberOption("--price-per-credit", options["price-per-credit"], { min: 0 });
    const currency = currencyOption("--currency", options.currency ?? "USD");
    if (options["what-if"]) {
      if (options.stack === undefined) throw new UserError("--what-if needs --stack (platform or a tenant stack)");
      // Any stack: the platform's shared warehouses or a tenant's own.
      const stack = stackOption("--stack", options.stack, PROJECT_DIR);
      const { printWhatIf } = await import("./lib/whatIfReport.ts");
      await printWhatIf(PROJECT_DIR, stack, price, (options.format as CostFormat) === "json", options.home);
      return;
    }
    if (options.stack !== undefined) throw new UserError("--stack applies to --what-if only");
    const publish = !!options["publish-tenant-costs"];
    if (publish && (options.period !== undefined || options.from !== undefined || options.to !== undefined || options.tenant !== undefined || options.out !== undefined)) {
      throw new UserError("--publish-tenant-costs writes every tenant's month to date: no --period, --from/--to, --tenant or --out with it");
    }
    if (options["usage-latency"] && options.target === "snowflake") throw new UserError("--usage-latency simulates Snowflake's latency on the local twin; --target snowflake has it for real");
    const given = (v: string | undefined): v is string => v !== undefined;
    if (given(options.period) && (given(options.from) || given(options.to))) throw new UserError("give --period or --from/--to, not both");
    // A tenant's share is charged to what its stack provisions (its warehouses and monitors), so
    // the tenants are those with a stack file, on either target.
    if (given(options.tenant)) tenantOption("--tenant", options.tenant, PROJECT_DIR);
    let from: Date;
    let to: Date;
    if (given(options.period)) {
      ({ from, to } = monthOption("--period", options.period));
    } else if (given(options.from) || given(options.to)) {
      if (!given(options.from) || !given(options.to)) throw new UserError("--from and --to go together");
      from = dayOption("--from", options.from);
      to = new Date(dayOption("--to", options.to).getTime() + 86_400_000);
      if (to <= from) throw new UserError(`--to ${options.to} is before --from ${options.from}`);
    } else {
      // Default: the month to date, set once "now" is known (the twin's clock is simulated).
      from = new Date(NaN);
      to = new Date(NaN);
    }
    const format = options.format as CostFormat;
    let session: Warehouse;
    let account: AccountObjects;
    // The twin's views are complete at once; Snowflake's lag (set below).
    let completeUntil: Date | undefined;
    let fired: FiredTrigger[] = [];
    let now: Date;
    let close: () => Promise<void>;
    const served = options.target === "local" ? runningServe(hubHome(options.home)) : null;
    if (served && publish) throw new UserError("serve writes the tenants' cost snapshot itself every 5 minutes (docs/portal.md); --publish-tenant-costs is for a hub at rest or --target snowflake");
    if (served) {
      // The served hub holds its file: read it as on Snowflake, through its SQL endpoint as the
      // reporting role, with the production path's own queries (SHOW, ACCOUNT_USAGE) and the
      // operator's key. Its views are complete at once, so nothing is cut for latency.
      const [{ connectSnowflake }, { snowflakeAccountObjects }] = await Promise.all([import("../pipelines/warehouse/snowflakeWarehouse.ts"), import("../pipelines/cost/readAccountObjects.ts")]);
      session = await connectSnowflake({
        account: served.account, username: served.operatorUser, role: REPORTING_ROLE, warehouse: ANALYTICS_WH.name, database: served.account,
        privateKey: readFileSync(served.operatorKey, "utf8"), accessUrl: served.http,
      });
      account = await snowflakeAccountObjects(session);
      now = new Date();
      close = () => session.close();
    } else if (options.target === "snowflake") {
      const { connectSnowflake } = await import("../pipelines/warehouse/snowflakeWarehouse.ts");
      const { snowflakeConfigFromEnv } = await import("../pipelines/warehouse/snowflakeEnv.ts");
      const { snowflakeAccountObjects } = await import("../pipelines/cost/readAccountObjects.ts");
      session = await connectSnowflake(snowflakeConfigFromEnv());
      account = await snowflakeAccountObjects(session);
      now = new Date();
      completeUntil = usageCompleteUntil(now, COST_REPORT_VIEWS);
      close = () => session.close();
    } else {
      const path = hubDatabasePath(hubHome(options.home));
      if (!existsSync(path)) throw new UserError(`there is no hub at ${path}; run \`npm start\` first or pass --home`);
      const [{ EmbeddedEngine }, { twinAccountObjects }] = await Promise.all([import("../pipelines/engine/embeddedEngine.ts"), import("../pipelines/cost/readAccountObjects.ts")]);
      // The twin's clock is simulated: "now" is where the last run left it.
      const engine = await EmbeddedEngine.open({ path, clock: new SimulatedClock(new Date(0)), simulateUsageLatency: !!options["usage-latency"] });
      const [last] = await engine.control<{ t: Date | null }>(`SELECT MAX("timestamp") AS t FROM ${CONTROL_SCHEMA}.WAREHOUSE_EVENTS_HISTORY`);
      now = last?.t ?? new Date();
      // The simulated clock stands where the last run left the hub: the views lag behind it.
      if (options["usage-latency"]) {
        (engine.clock as SimulatedClock).set(now);
        completeUntil = usageCompleteUntil(now, COST_REPORT_VIEWS);
      }
      session = await engine.admin();
      account = await twinAccountObjects(engine);
      fired = (await engine.control<{ monitor_name: string; threshold_pct: number; action: string; fired_at: Date }>(
        `SELECT monitor_name, threshold_pct, action, fired_at FROM ${CONTROL_SCHEMA}.RESOURCE_MONITOR_EVENTS`,
      )).map((e) => ({ monitor: e.monitor_name, percent: e.threshold_pct, action: e.action, at: e.fired_at }));
      close = async () => {
        await session.close();
        await engine.close();
      };
    }
    try {
      if (publish) {
        // The step behind the portal's cost page (pipelines/cost/tenantCostSnapshot.ts): the
        // session must read the usage views and insert into OPS.TENANT_COSTS (HUB_REPORTING may both).
        const { publishTenantCosts } = await import("../pipelines/cost/tenantCostSnapshot.ts");
        const written = await publishTenantCosts(session, { now, pricePerCredit: price, currency, tenants: stackTenants(PROJECT_DIR), ...account, completeUntil, firedTriggers: fired });
        console.log([...written].map(([t, n]) => `${t}: ${n} row(s)`).join("\n"));
        return;
      }
      if (Number.isNaN(from.getTime())) {
        from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
        to = new Date(now.getTime() + 1);
      }
      const { buildCostReport } = await import("../pipelines/cost/costReport.ts");
      const report = await heartbeat("reading metering and query history", buildCostReport(session, { from, to, now, pricePerCredit: price, currency, tenant: options.tenant, ...account, completeUntil, firedTriggers: fired }), { enabled: true });
      const text = await heartbeat(`rendering the ${format} report`, formatCostReport(report, format), { enabled: true });
      // An HTML report is a file, not terminal output: beside the hub it describes, not wherever
      // the command happened to run (on Snowflake, there is no hub folder: the current one).
      const out = options.out ?? (format === "html" ? join(options.target === "snowflake" ? "." : hubHome(options.home), "cost-report.html") : undefined);
      if (out) {
        writeFileSync(out, text);
        console.error(`wrote ${out}`);
      } else console.log(text);
    } finally {
      await close();
    }
  },
});
