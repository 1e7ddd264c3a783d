#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Score with a served model: read the tenant's recent features from the hub, call its SageMaker
 * serverless endpoint (`hub:servedModels` in the tenant stack) with InvokeEndpoint, or with
 * `--target local` the local registry's champion through the same request and answer
 * (ml/serving/localEndpoint.ts), and print the rows in the ML tables' shape (printed; the
 * retraining flow is what writes the tables).
 */
import { existsSync } from "node:fs";
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";
import { PIPELINE_ROLE } from "../pipelines/definitions/governance.ts";
import { numberOption, PROJECT_DIR, tenantOption } from "./lib/optionValues.ts";
import { servingEndpointName } from "../infra/naming.ts";
import type { ModelKind } from "../ml/contract.ts";
import type { Warehouse } from "../pipelines/warehouse/warehouse.ts";
import { HOUR_MS, hourlySeries, machineProfiles, trimmed, windowEndingAt } from "../ml/features.ts";
// The engine (DuckDB), the models and the AWS SDK's clients load once every flag is checked:
// --help and a refused flag answer without them.
import type { EndpointInput } from "../ml/sagemaker/endpointScoring.ts";
import { quietNodeVersionNotice } from "../pipelines/awsSdkNotice.ts";

async function input(wh: Warehouse, tenantId: string, model: ModelKind, now: Date, hours: number): Promise<EndpointInput> {
  const w = { from: new Date(now.getTime() - hours * HOUR_MS), to: now };
  if (model === "forecast") return { kind: "series", series: (await hourlySeries(wh, tenantId, "kwh", w)).map(trimmed).filter((s) => s.points.length > 0) };
  if (model === "segments") {
    const ps = (await machineProfiles(wh, tenantId, windowEndingAt(now, Math.max(1, Math.round(hours / 24))))).filter((p) => p.features.every(Number.isFinite));
    return { kind: "rows", ids: ps.map((p) => `machine:${p.machineId}`), rows: ps.map((p) => p.features) };
  }
  const { machineReadings } = await import("../ml/streamScoring.ts");
  const byDevice = await machineReadings(wh, tenantId, { since: w.from, until: new Date(now.getTime() + 1), limitPerDevice: 60 });
  const ids: string[] = [];
  const rows: number[][] = [];
  for (const [d, list] of byDevice) for (const r of list) (ids.push(d), rows.push(r));
  return { kind: "rows", ids, rows };
}

await runCommand({
  name: "score",
  description: "score a tenant's recent data with its served model (SageMaker serverless endpoint, or the local registry's champion)",
  usage: "scripts/score.ts --tenant T --model forecast|anomaly|segments [--target sagemaker|local] [--endpoint NAME] [--region R] [--hours N] [--json] [--home DIR]",
  options: {
    tenant: { type: "string", description: "tenant id: a tenant with a stack file (its stack deploys the endpoint)" },
    model: { type: "string", description: "which model", choices: ["forecast", "anomaly", "segments"] },
    target: { type: "string", description: "sagemaker: the tenant's endpoint; local: the champion in the hub's registry, same request and answer", choices: ["sagemaker", "local"], default: "sagemaker" },
    endpoint: { type: "string", description: "endpoint name (default hub-<tenant>-<model>, as the tenant stack names it)" },
    region: { type: "string", description: "AWS region (default $AWS_REGION)" },
    hours: { type: "string", description: "hours of recent data sent", default: "168" },
    json: { type: "boolean", description: "rows as JSON" },
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
  },
  examples: ["scripts/score.ts --tenant acme --model forecast --region eu-west-1", "scripts/score.ts --tenant acme --model anomaly --hours 1 --json", "scripts/score.ts --tenant acme --model forecast --target local"],
  run: async ({ options: o }) => {
    if (o.tenant === undefined) throw new UserError("--tenant T is required");
    // The served endpoint is the tenant stack's (hub:servedModels), so the tenant is one with a stack.
    tenantOption("--tenant", o.tenant, PROJECT_DIR);
    if (!o.model) throw new UserError("--model forecast|anomaly|segments is required");
    const hours = numberOption("--hours", o.hours, { integer: true, min: 1, what: "a whole number of hours" });
    const local = o.target === "local";
    const region = o.region ?? process.env["AWS_REGION"];
    if (!local && !region) throw new UserError("--region (or AWS_REGION) is required");
    const home = hubHome(o.home);
    const path = hubDatabasePath(home);
    if (!existsSync(path)) throw new UserError(`there is no hub at ${path}; run \`npm start\` first or pass --home`);
    const { EmbeddedEngine } = await import("../pipelines/engine/embeddedEngine.ts");
    const engine = await EmbeddedEngine.open({ path });
    try {
      const wh = await engine.session({ role: PIPELINE_ROLE, tag: { tenant: o.tenant, job: "ml:score" } });
      const [r] = await wh.query<{ h: Date | null }>("SELECT MAX(hour) AS h FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE tenant_id = ?", { binds: [o.tenant] });
      const now = r?.h ? new Date(new Date(r.h).getTime() + HOUR_MS) : engine.clock.now();
      const data = await input(wh, o.tenant, o.model as ModelKind, now, hours);
      await wh.close();
      let rows;
      if (local) {
        const [{ invokeLocalModel, LocalEndpoint, LocalEndpointError }, { LocalRegistry }] = await Promise.all([import("../ml/serving/localEndpoint.ts"), import("../ml/registry/localRegistry.ts")]);
        rows = await invokeLocalModel(new LocalEndpoint(new LocalRegistry(home)), o.tenant, o.model as ModelKind, data).catch((e: Error) => {
          // A refused request (no champion, a series it has no model for) is the user's to fix; anything else is a bug.
          if (e instanceof LocalEndpointError || /nothing to score/.test(e.message)) throw new UserError(`local ${o.tenant}/${o.model}: ${e.message}`);
          throw e;
        });
      } else {
        const { SageMakerRuntimeClient } = await import("@aws-sdk/client-sagemaker-runtime");
        const { invokeModel } = await import("../ml/sagemaker/endpointScoring.ts");
        quietNodeVersionNotice();
        rows = await invokeModel(new SageMakerRuntimeClient({ region }), o.endpoint ?? servingEndpointName(o.tenant, o.model), o.model as ModelKind, data).catch((e: Error) => {
          throw new UserError(`${o.endpoint ?? servingEndpointName(o.tenant!, o.model!)}: ${e.message}`);
        });
      }
      if (o.json) console.log(JSON.stringify(rows, null, 2));
      else console.log(textTable(rows as Record<string, unknown>[]));
    } finally {
      await engine.close();
    }
  },
});
