/**
 * The portal's models page for one tenant (pipelines/portal/portalSources.ts `TenantModels`): every
 * registered version, newest first, with the gate's decision and its reason as
 * `scripts/retrain.ts list` shows them, the champion marked, and the champion's drift over the last
 * day as `scripts/retrain.ts drift` computes it (PSI per feature, ml/drift.ts). The drift reads the
 * gold tables through a session of the tenant's own role, like every portal read. Here, not in
 * pipelines/portal, because the registry and the drift check live in ml/, which pipelines/ must not import.
 */
import { MODEL_KINDS, type Registry } from "../../../ml/registry/index.ts";
import { driftReport } from "../../../ml/drift.ts";
import type { ModelRecord } from "../../../ml/contract.ts";
import type { Warehouse } from "../../../pipelines/warehouse/warehouse.ts";
import type { TenantModels } from "../../../pipelines/portal/portalSources.ts";

const DAY_MS = 86_400_000;

export function portalModels(o: { registry: Pick<Registry, "list">; tenantSession: (tenant: string) => Promise<Warehouse>; now: () => Date }): (tenant: string) => Promise<TenantModels> {
  return async (tenant) => {
    const versions: Array<TenantModels["versions"][number]> = [];
    let session: Warehouse | null = null;
    try {
      for (const model of MODEL_KINDS) {
        const records = await o.registry.list(tenant, model);
        const champion = [...records].reverse().find((r) => r.approvalStatus === "Approved") ?? null;
        let drift: string | null = null;
        if (champion) {
          session ??= await o.tenantSession(tenant);
          const now = o.now();
          const d = await driftReport(session, champion, { tenantId: tenant, model, recent: { from: new Date(now.getTime() - DAY_MS), to: now } });
          drift = d.features.length === 0 ? `no data in the last day (${d.recommendation})` : `${d.recommendation}: ${d.features.map((f) => `${f.feature} PSI ${f.psi.toFixed(2)}`).join(", ")}`;
        }
        for (const r of [...records].reverse()) versions.push(row(r, r === champion, r === champion ? drift : null));
      }
    } finally {
      await session?.close();
    }
    return { versions };
  };
}

function row(r: ModelRecord, champion: boolean, drift: string | null): TenantModels["versions"][number] {
  return {
    model: r.model, version: r.version, algorithm: r.algorithm, status: r.approvalStatus, reason: r.reason, createdAt: r.createdAt,
    metrics: { ...r.metrics }, baseline: { ...r.baselineMetrics }, champion, drift,
  };
}
