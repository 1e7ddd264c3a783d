import { tenantApi } from "../api.ts";
import { useLive } from "../live.ts";
import { money, num, pct, time } from "../format.ts";
import { PageState } from "./PageState.tsx";

interface Cost {
  from: string; to: string; currency: string; pricePerCredit: number; credits: number; money: number;
  /** When the figures were computed (the cost snapshot's time). */
  computedAt: string;
  warehouses: Array<{
    warehouse: string; monitor: string | null; credits: number; money: number; quotaCredits: number | null; quotaMoney: number | null;
    pctOfQuota: number | null; burnPerHour: number; triggers: Array<{ percent: number; action: string; firedAt: string | null; projectedAt: string | null }>;
  }>;
}

export function CostPage(p: { tenant: string }) {
  const live = useLive<{ cost: Cost | { error: string } | null }>(tenantApi(p.tenant, "cost"));
  const c = live.data?.cost;
  return (
    <>
      <h1>Cost</h1>
      <PageState live={live} />
      {live.data && !c && <p>No cost figures yet: the hub computes them from the metering every few minutes (hourly in production).</p>}
      {c && "error" in c && <p role="alert" className="error">Cost is unavailable: {c.error}</p>}
      {c && !("error" in c) && (
        <>
          <p>
            {time(c.from)} to {time(c.to)}: <strong>{num(c.credits, 3)} credits, {money(c.money, c.currency)}</strong> at {money(c.pricePerCredit, c.currency)} per credit
            (your share of the shared warehouses included). Computed {time(c.computedAt)}; metering arrives up to 3 hours late, so the
            period ends where it is complete.
          </p>
          <table>
            <caption>Your warehouses against their quotas</caption>
            <thead><tr><th scope="col">Warehouse</th><th scope="col">Credits</th><th scope="col">Money</th><th scope="col">Quota</th><th scope="col">Used</th><th scope="col">Burn per hour</th><th scope="col">Triggers</th></tr></thead>
            <tbody>
              {c.warehouses.map((w) => (
                <tr key={w.warehouse}>
                  <td>{w.warehouse}</td><td>{num(w.credits, 3)}</td><td>{money(w.money, c.currency)}</td>
                  <td>{w.quotaMoney === null ? "none" : `${money(w.quotaMoney, c.currency)} (${num(w.quotaCredits, 0)} credits)`}</td>
                  <td>{pct(w.pctOfQuota === null ? null : w.pctOfQuota / 100)}</td><td>{num(w.burnPerHour, 3)}</td>
                  <td>
                    <ul className="plain">
                      {w.triggers.map((t) => (
                        <li key={t.percent}>{t.percent} % {t.action.toLowerCase()}: {t.firedAt ? `fired ${time(t.firedAt)}` : t.projectedAt ? `projected ${time(t.projectedAt)}` : "not this period"}</li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {c.warehouses.length === 0 && <p className="empty">Your stack has no warehouse of its own; your queries run on shared ones.</p>}
        </>
      )}
    </>
  );
}
