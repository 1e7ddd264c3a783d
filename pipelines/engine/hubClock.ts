/**
 * Where a hub's clock stands when it is opened again: the last moment its pipeline ran (the task
 * graph's last slot, the last warehouse event), so that a tool opening it afterwards (scripts/sql.ts,
 * the cost report) sees the data as of that moment and CURRENT_TIMESTAMP() there is "now" for the
 * data. A hub that never ran stands at the wall clock.
 */
import type { EmbeddedEngine } from "./embeddedEngine.ts";
import { CONTROL_SCHEMA } from "./controlTables.ts";

export async function hubClockTime(engine: EmbeddedEngine, fallback = new Date()): Promise<Date> {
  const [r] = await engine.control<{ t: Date | null }>(
    `SELECT MAX(t) AS t FROM (SELECT MAX(last_scheduled_at) AS t FROM ${CONTROL_SCHEMA}.TASKS ` +
      `UNION ALL SELECT MAX("timestamp") FROM ${CONTROL_SCHEMA}.WAREHOUSE_EVENTS_HISTORY) x`,
  );
  return r?.t ?? fallback;
}
