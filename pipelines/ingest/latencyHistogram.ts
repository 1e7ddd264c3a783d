/**
 * Sensor-to-committed latencies as a histogram of whole milliseconds: recording is two array
 * increments, and a percentile is one pass over per-second totals and then over one second's
 * buckets (≤ ~1,600 steps even at the cap), so the ingest can report p50 / p99 as
 * often as asked without sorting its samples (a sort of 200k samples per stats line cost more than
 * validating the readings did). Readings' and commits' clocks are milliseconds, so the buckets lose
 * nothing below the cap; a latency beyond the cap counts in the last bucket, and below 0 (a device
 * clock ahead of ours) in the first.
 */
const SECOND = 1000;

export class LatencyHistogram {
  private readonly buckets: Uint32Array;
  /** Per-second totals of `buckets`: a percentile skips whole seconds (the main job's simulated latencies run into minutes). */
  private readonly seconds: Uint32Array;
  private n = 0;
  /** Highest bucket used: a percentile scans no further. */
  private top = 0;

  /** `capMs`: the largest latency told apart from larger ones. Default 10 minutes. */
  constructor(readonly capMs = 600_000) {
    this.buckets = new Uint32Array(capMs + 1);
    this.seconds = new Uint32Array(Math.floor(capMs / SECOND) + 1);
  }

  record(ms: number): void {
    const bucket = ms <= 0 ? 0 : ms >= this.capMs ? this.capMs : Math.floor(ms);
    this.buckets[bucket]!++;
    this.seconds[Math.floor(bucket / SECOND)]!++;
    if (bucket > this.top) this.top = bucket;
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  /**
   * For each p (ascending), the smallest latency with more than `floor(p · count)` samples at or
   * below it (the sample at that index in sorted order, as sorting would give), in one pass; null
   * with no samples.
   */
  percentiles(ps: readonly number[]): Array<number | null> {
    if (this.n === 0) return ps.map(() => null);
    const out: Array<number | null> = [];
    let seen = 0;
    let second = 0;
    for (const p of ps) {
      const rank = Math.min(this.n - 1, Math.floor(p * this.n));
      const lastSecond = Math.floor(this.top / SECOND);
      while (seen + this.seconds[second]! <= rank && second < lastSecond) seen += this.seconds[second++]!;
      // Within the second: `within` counts from its first bucket, leaving `seen` at the second's start.
      let within = seen;
      let ms = second * SECOND;
      while (within + this.buckets[ms]! <= rank && ms < this.top) within += this.buckets[ms++]!;
      out.push(ms);
    }
    return out;
  }

  reset(): void {
    this.buckets.fill(0, 0, this.top + 1);
    this.seconds.fill(0, 0, Math.floor(this.top / SECOND) + 1);
    this.n = 0;
    this.top = 0;
  }
}
