/**
 * The engine's notion of now. Locally everything (task schedules, target lags, auto-suspend,
 * billing) runs on a simulated clock so a day of factory data can be processed in seconds and
 * tests are exact; `SystemClock` follows the wall clock for a hub that runs live.
 */
export interface Clock {
  now(): Date;
}

export class SimulatedClock implements Clock {
  private ms: number;

  constructor(start: Date | string = "2026-01-05T00:00:00Z") {
    this.ms = new Date(start).getTime();
    if (Number.isNaN(this.ms)) throw new Error(`clock start ${JSON.stringify(start)} is not a valid date`);
  }

  now(): Date {
    return new Date(this.ms);
  }

  set(to: Date | string): void {
    const ms = new Date(to).getTime();
    if (Number.isNaN(ms)) throw new Error(`clock time ${JSON.stringify(to)} is not a valid date`);
    if (ms < this.ms) throw new Error(`the clock only moves forward: ${new Date(ms).toISOString()} is before ${this.now().toISOString()}`);
    this.ms = ms;
  }

  advance(ms: number): Date {
    if (!(ms >= 0)) throw new Error(`cannot advance the clock by ${ms} ms`);
    this.ms += ms;
    return this.now();
  }
}

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/** `YYYY-MM-DD HH:MM:SS.mmm` for DuckDB TIMESTAMP literals (UTC, no zone). */
export function sqlTimestamp(d: Date): string {
  return d.toISOString().replace("T", " ").replace("Z", "");
}
