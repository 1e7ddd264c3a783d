/**
 * Event-level scoring of anomaly flags against labelled windows (issue 5, section 2; the rule in
 * data/nab-dev/README.md): a window counts as detected if any flag falls inside it; every flag outside
 * all windows is a false flag; precision = detected / (detected + false flags), recall = detected /
 * windows. Flags may have a span (an hourly point covers [ts, ts + 1 h)): a flag falls inside a
 * window when the two intervals overlap.
 */
import { groupBy } from "../../pipelines/groupBy.ts";
export interface Window {
  readonly start: Date;
  readonly end: Date;
}

export interface EventScore {
  readonly windows: number;
  readonly detected: number;
  readonly falseFlags: number;
  readonly flags: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** `flagSpanMs` 0 treats flags as instants and windows as closed [start, end]. */
export function scoreEvents(flags: readonly Date[], windows: readonly Window[], flagSpanMs = 0): EventScore {
  const detected = new Set<number>();
  let falseFlags = 0;
  for (const f of flags) {
    const a = f.getTime();
    const b = a + flagSpanMs;
    let inside = false;
    for (let w = 0; w < windows.length; w++) {
      const s = windows[w]!.start.getTime();
      const e = windows[w]!.end.getTime();
      const hit = flagSpanMs > 0 ? a < e && b > s : a >= s && a <= e;
      if (hit) {
        inside = true;
        detected.add(w);
      }
    }
    if (!inside) falseFlags++;
  }
  return fromCounts(windows.length, detected.size, falseFlags, flags.length);
}

/** A flag raised on one device. */
export interface DeviceFlag {
  readonly deviceId: string;
  readonly at: Date;
}

/** A labelled window on one device. */
export interface DeviceWindow extends Window {
  readonly deviceId: string;
}

/**
 * Each device's flags against that device's windows only (a flag of one device never finds
 * another's fault), summed over every device that has either.
 */
export function scoreEventsPerDevice(flags: readonly DeviceFlag[], windows: readonly DeviceWindow[], flagSpanMs = 0): EventScore {
  const f = groupBy(flags, (x) => x.deviceId);
  const w = groupBy(windows, (x) => x.deviceId);
  const devices = new Set([...f.keys(), ...w.keys()]);
  return sumEventScores([...devices].map((d) => scoreEvents((f.get(d) ?? []).map((x) => x.at), w.get(d) ?? [], flagSpanMs)));
}

/** Sums several series' scores (micro-average: counts add up, then the ratios are taken). */
export function sumEventScores(scores: readonly EventScore[]): EventScore {
  let windows = 0, detected = 0, falseFlags = 0, flags = 0;
  for (const s of scores) {
    windows += s.windows;
    detected += s.detected;
    falseFlags += s.falseFlags;
    flags += s.flags;
  }
  return fromCounts(windows, detected, falseFlags, flags);
}

function fromCounts(windows: number, detected: number, falseFlags: number, flags: number): EventScore {
  // No flags and no windows: nothing was missed and nothing was wrong.
  const precision = detected + falseFlags === 0 ? (windows === 0 ? 1 : 0) : detected / (detected + falseFlags);
  const recall = windows === 0 ? 1 : detected / windows;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { windows, detected, falseFlags, flags, precision, recall, f1 };
}
