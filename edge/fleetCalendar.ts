/**
 * Shift calendar: how busy a site is at a given instant, 0 (closed) to 1 (full early shift on a
 * weekday). Staffing per shift times a factor per weekday gives a load per hour of the week; that
 * one number drives machine use, job releases, base energy and the air (CO2, VOC, dust, heat), so
 * the simulated data has the daily and the weekly season a forecaster must beat seasonal-naive on.
 */
import type { CalendarSpec } from "./fleetSpec.ts";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

const HOUR_MS = 3_600_000;
/** 1970-01-01 was a Thursday: hours from Monday 00:00 to the epoch. */
const EPOCH_HOUR_OF_WEEK = 3 * 24;

/** Hour of the week (Monday 00:00 UTC = 0) of an epoch-millisecond instant. */
export function hourOfWeek(ts: number): number {
  return (Math.floor(ts / HOUR_MS) + EPOCH_HOUR_OF_WEEK) % 168;
}

/**
 * The load by UTC hour of the week (168 values) and, by local hour of day, the index of the shift
 * on duty (-1: none). Shifts may not overlap; hours no shift covers have load 0.
 */
export function weeklyLoadTable(calendar: CalendarSpec, where: string): { load: Float64Array; shiftByHour: number[] } {
  const shiftByHour = new Array<number>(24).fill(-1);
  calendar.shifts.forEach((s, i) => {
    if (s.start === s.end % 24) throw new Error(`${where} calendar.shifts[${i}]: ${JSON.stringify(s)} is not valid: a shift cannot start when it ends`);
    for (let h = s.start; h !== s.end % 24; h = (h + 1) % 24) {
      const other = shiftByHour[h]!;
      if (other >= 0) throw new Error(`${where} calendar.shifts[${i}]: ${JSON.stringify(s.name)} is not valid: hour ${h} is also in shift ${calendar.shifts[other]!.name}`);
      shiftByHour[h] = i;
    }
  });
  const offset = calendar.utcOffsetHours ?? 0;
  const load = new Float64Array(168);
  for (let utc = 0; utc < 168; utc++) {
    const local = (utc + offset + 168) % 168;
    const shift = shiftByHour[local % 24]!;
    const day = WEEKDAYS[Math.floor(local / 24)]!;
    load[utc] = shift < 0 ? 0 : calendar.shifts[shift]!.staffing * (calendar.dayFactors?.[day] ?? 1);
  }
  return { load, shiftByHour };
}
