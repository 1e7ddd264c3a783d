/**
 * The main job's count of operator notes (issue 28), per tenant, for the run's period: notes
 * written, analysed into ML.NOTE_INSIGHTS, failed (a failure recorded and no insight yet), given up
 * (the last attempt failed), and the NOTE_SAFETY alerts they raised. The summary says them beside
 * the alerts; `npm start` analyses with the offline model (docs/notes.md).
 */
import type { EmbeddedEngine } from "../../../pipelines/engine/embeddedEngine.ts";
import { NOTE_SAFETY_RULE_ID } from "../../../pipelines/definitions/notes.ts";
import { quoteString } from "../../../pipelines/dialect/index.ts";

export interface NoteRunCounts {
  readonly tenantId: string;
  readonly notes: number;
  readonly analysed: number;
  readonly failed: number;
  readonly givenUp: number;
  readonly safetyAlerts: number;
}

/** Counts over the notes written from `from` on, for each of `tenants` (a tenant without notes: zeros). */
export async function noteRunCounts(engine: EmbeddedEngine, tenants: readonly string[], from: Date): Promise<NoteRunCounts[]> {
  const since = quoteString(from.toISOString().replace("T", " ").replace("Z", ""));
  const rows = await engine.control<{ tenant_id: string; notes: bigint; analysed: bigint; failed: bigint; given_up: bigint; safety_alerts: bigint }>(`
    WITH n AS (SELECT DISTINCT note_id, tenant_id FROM RAW.OPERATOR_NOTES WHERE note_ts >= ${since}),
    f AS (SELECT note_id, BOOL_OR(given_up) AS given_up FROM OPS.NOTE_INSIGHT_FAILURES GROUP BY note_id)
    SELECT n.tenant_id, COUNT(*) AS notes,
      COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM ML.NOTE_INSIGHTS i WHERE i.note_id = n.note_id)) AS analysed,
      COUNT(*) FILTER (WHERE f.note_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ML.NOTE_INSIGHTS i WHERE i.note_id = n.note_id)) AS failed,
      COUNT(*) FILTER (WHERE f.given_up) AS given_up,
      (SELECT COUNT(*) FROM OPS.ALERT_NOTIFICATIONS a WHERE a.tenant_id = n.tenant_id AND a.rule_id = '${NOTE_SAFETY_RULE_ID}' AND a.window_start >= ${since}) AS safety_alerts
    FROM n LEFT JOIN f ON f.note_id = n.note_id GROUP BY n.tenant_id`);
  const by = new Map(rows.map((r) => [r.tenant_id, r]));
  return tenants.map((tenantId) => {
    const r = by.get(tenantId);
    return { tenantId, notes: Number(r?.notes ?? 0), analysed: Number(r?.analysed ?? 0), failed: Number(r?.failed ?? 0), givenUp: Number(r?.given_up ?? 0), safetyAlerts: Number(r?.safety_alerts ?? 0) };
  });
}

/** One line: each tenant's notes, analysed, failed and the safety alerts; nothing without notes. */
export function noteSummaryLine(counts: readonly NoteRunCounts[]): string {
  if (!counts.some((c) => c.notes > 0)) return "";
  const f = (v: number) => v.toLocaleString("en");
  return `\nOperator notes, this run: ${counts
    .map((c) => `${c.tenantId} ${f(c.notes)} (${f(c.analysed)} analysed, ${f(c.failed)} failed${c.givenUp ? `, ${f(c.givenUp)} given up` : ""}; ${f(c.safetyAlerts)} safety alerts)`)
    .join(", ")}.`;
}
