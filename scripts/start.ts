#!/usr/bin/env -S npx tsx
/**
 * The main job on the embedded default (until the full `npm start` of the main-job issue lands):
 * a synthetic fleet streams into the local twin, the task DAG and dynamic tables run on the
 * simulated clock, and a per-tenant summary is read back through each tenant's own role.
 */
import { rmSync, existsSync } from "node:fs";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../pipelines/engine/clock.ts";
import { ensureWritableHome, hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";
import { EXAMPLE_FLEET, SyntheticFleet } from "../edge/syntheticFleet.ts";
import { tenantSummary, type TenantSummary } from "../pipelines/kpiSummary.ts";
import { CONTROL_SCHEMA } from "../pipelines/engine/controlTables.ts";

const DEFAULT_START = "2026-01-05T06:00:00Z";

await runCommand({
  name: "start",
  description: "run the hub on the embedded default: synthetic fleet → RAW → task DAG → gold, then a per-tenant summary",
  usage: "npm start -- [--hours N] [--tenants a,b] [--seed N] [--fresh] [--quiet] [--json] [--home DIR]",
  options: {
    hours: { type: "string", description: "simulated hours to run", default: "2" },
    tenants: { type: "string", description: `tenants to run (of ${EXAMPLE_FLEET.map((t) => t.tenantId).join(", ")})` },
    seed: { type: "string", description: "simulation seed; the same seed gives the same data", default: "42" },
    fresh: { type: "boolean", description: "delete the hub database and start over" },
    quiet: { type: "boolean", description: "no progress, only the summary" },
    json: { type: "boolean", description: "print the summary as JSON (implies --quiet)" },
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
    notify: { type: "string", description: "resource monitor notifications: stdout, or a JSON-lines file path (always kept in HUB_LOCAL)" },
  },
  examples: ["npm start", "npm start -- --hours 24 --tenants acme --fresh", "npm start -- --json --quiet"],
  run: async ({ options }) => {
    const hours = Number(options.hours);
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 31) throw new UserError(`--hours ${JSON.stringify(options.hours)} must be a number of hours in (0, 744]`);
    const seed = Number(options.seed);
    if (!Number.isInteger(seed)) throw new UserError(`--seed ${JSON.stringify(options.seed)} must be an integer`);
    const wanted = options.tenants?.split(",").map((t) => t.trim()).filter(Boolean);
    const specs = wanted ? EXAMPLE_FLEET.filter((t) => wanted.includes(t.tenantId)) : EXAMPLE_FLEET;
    const unknown = wanted?.filter((t) => !EXAMPLE_FLEET.some((s) => s.tenantId === t)) ?? [];
    if (unknown.length) throw new UserError(`--tenants: unknown tenant ${unknown.join(", ")} (known: ${EXAMPLE_FLEET.map((t) => t.tenantId).join(", ")})`);
    const quiet = options.quiet || options.json;

    const home = hubHome(options.home);
    ensureWritableHome(home);
    const path = hubDatabasePath(home);
    if (options.fresh) for (const f of [path, `${path}.wal`]) if (existsSync(f)) rmSync(f);

    const clock = new SimulatedClock(DEFAULT_START);
    const notifications = options.notify === undefined ? "none" : options.notify === "stdout" ? "stdout" : { jsonl: options.notify };
    const engine = await EmbeddedEngine.open({ path, clock, notifications });
    let stop = false;
    const onSigint = () => {
      stop = true;
      if (!quiet) process.stderr.write("\nstopping after the current simulated minute…\n");
    };
    process.once("SIGINT", onSigint);
    try {
      // A second run continues where the last one ended.
      const last = await engine.control<{ t: Date | null }>(`SELECT MAX(last_scheduled_at) AS t FROM ${CONTROL_SCHEMA}.TASKS`);
      if (last[0]?.t && last[0].t > clock.now()) clock.set(last[0].t);
      const from = clock.now();
      const until = new Date(from.getTime() + hours * 3_600_000);
      for (const s of specs) await engine.grantTenantRole(s.tenantId, { piiAccess: false });
      const fleet = new SyntheticFleet(specs, seed, from);
      const t0 = performance.now();
      let landed = 0;
      while (clock.now() < until && !stop) {
        const next = new Date(Math.min(until.getTime(), clock.now().getTime() + 60_000));
        const readings = fleet.readingsUntil(next);
        const scans = fleet.scansUntil(next);
        clock.set(next);
        await engine.land({ readings, scans });
        landed += readings.length;
        await engine.tick();
        if (!quiet) {
          const done = (next.getTime() - from.getTime()) / (until.getTime() - from.getTime());
          process.stderr.write(`\r  ${(done * 100).toFixed(0).padStart(3)}%  simulated ${next.toISOString().slice(0, 16)}  readings ${landed.toLocaleString("en")}  `);
        }
      }
      // Let the last dynamic-table lags run out so the summary sees every landed reading.
      await engine.runUntil(new Date(clock.now().getTime() + 5 * 60_000));
      const wallS = (performance.now() - t0) / 1000;
      if (!quiet) process.stderr.write(`\n  ${hours} simulated h in ${wallS.toFixed(1)} s wall\n\n`);
      const summaries: TenantSummary[] = [];
      for (const s of specs) {
        const session = await engine.session({ role: `TENANT_${s.tenantId.toUpperCase()}_ROLE` });
        summaries.push(await tenantSummary(session, s.tenantId));
        await session.close();
      }
      if (options.json) {
        console.log(JSON.stringify({ simulatedFrom: from, simulatedUntil: clock.now(), wallSeconds: wallS, tenants: summaries }, null, 2));
      } else {
        console.log(textTable(summaries.map((s) => ({
          tenant: s.tenantId, readings: s.rawReadings, metrics: s.normalizedMetrics, quarantined: s.quarantined, duplicates: s.duplicates,
          machines: s.machines, utilization: s.utilization, oee: s.oee, kwh: s.kwh, aqi: s.worstAqiCategory, co2: s.worstCo2Band,
          jobs: s.jobs, bottleneck: s.bottleneckStation, alerts: s.alerts,
        }))));
        console.log(`\nThe hub is in ${home}. Query it: scripts/sql.ts "SELECT * FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY LIMIT 10"`);
      }
    } finally {
      process.off("SIGINT", onSigint);
      await engine.close();
    }
  },
});
