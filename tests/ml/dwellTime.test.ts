/**
 * The stop-length (dwell-time) detector: fitted on a machine's state sequence, it flags a stay that
 * lasts far longer than that state's stays do, once, while it is still going.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SeriesError } from "../../ml/contract.ts";
import { DwellStays, DwellTimeDetector, fitStateTail, DEFAULT_DWELL_LEVEL, DEFAULT_MAX_GAP_MS, loadDwellTimeModel, survival, type DwellTimeModel } from "../../ml/trainers/index.ts";
import { seededRandom } from "../../ml/trainers/random.ts";

const DAY = 86_400_000;
const T0 = Date.parse("2026-01-05T00:00:00Z");

/** Stays of a simple machine, as the simulator's: RUNNING (mean 1500 s) → DOWN (4 %, mean 200 s) or IDLE (mean 240 s) → RUNNING. */
function machineStays(seed: number, days: number, o: { breakdowns?: number } = {}): { state: string; seconds: number }[] {
  const r = seededRandom(seed);
  const exp = (mean: number) => Math.max(1, Math.round(-mean * Math.log(1 - r.next())));
  const out: { state: string; seconds: number }[] = [];
  let total = 0;
  let broken = 0;
  while (total < (days * DAY) / 1000) {
    const run = exp(1500);
    out.push({ state: "RUNNING", seconds: run });
    total += run;
    const down = r.next() < 0.04;
    // Breakdowns: a few DOWN stays of 1–4 h, spread over the sequence.
    const breakdown = down && broken < (o.breakdowns ?? 0) && r.next() < 0.4;
    const stay = breakdown ? 3600 + Math.round(r.next() * 3 * 3600) : exp(down ? 200 : 240);
    if (breakdown) broken++;
    out.push({ state: down ? "DOWN" : "IDLE", seconds: stay });
    total += stay;
  }
  return out;
}

/** Feed stays to `fn` as 1 Hz readings from `start`; returns the end time. */
function at1Hz(stays: readonly { state: string; seconds: number }[], start: number, fn: (ts: number, state: string) => void): number {
  let ts = start;
  for (const s of stays) {
    for (let i = 0; i < s.seconds; i++, ts += 1000) fn(ts, s.state);
  }
  return ts;
}

function fitted(seed: number, days: number, o: { breakdowns?: number; level?: number } = {}): { model: DwellTimeModel; end: number; stays: DwellStays } {
  const stays = new DwellStays("m-1");
  const end = at1Hz(machineStays(seed, days, o), T0, (ts, s) => stays.observe(ts, s));
  return { model: new DwellTimeDetector({ level: o.level }).fitStays(stays), end, stays };
}

describe("dwell-time detector", () => {
  it("fits each state's stay length near the truth even with breakdowns in the training window", () => {
    const { model, stays } = fitted(1, 21, { breakdowns: 3 });
    const down = stays.stays("DOWN");
    assert.equal(down.filter((s) => s >= 3600).length, 3, "the training window holds breakdowns");
    const mean = down.reduce((a, b) => a + b, 0) / down.length;
    assert.ok(mean > 2 * 200, `the plain mean is pulled up by them: ${mean}`);
    const tail = model.tailOf("DOWN")!;
    assert.equal(tail.p0, 0, "few stays: one exponential from 0");
    const clean = fitStateTail(down.filter((s) => s < 3600));
    assert.ok(Math.abs(tail.scale / clean.scale - 1) < 0.2, `DOWN scale ${tail.scale} with the breakdowns, ${clean.scale} without`);
    assert.ok(Math.abs(tail.scale - 200) < 70, `DOWN scale ${tail.scale} near 200 s (${down.length} stays)`);
    // The threshold sits where an exponential with the true mean puts it (ln(1e4) · 200 s ≈ 31 min), not at the mean's.
    assert.ok(Math.abs(model.thresholdSeconds("DOWN") - 200 * Math.log(1 / (1 - DEFAULT_DWELL_LEVEL))) < 400, `threshold ${model.thresholdSeconds("DOWN")}`);
    const run = model.tailOf("RUNNING")!;
    assert.ok(run.p0 > 0.9 && Math.abs(run.scale - 1500) < 400, `RUNNING: many stays, tail beyond p0 ${run.p0} with scale ${run.scale} near 1500 s`);
    assert.ok(Math.abs(survival(run, run.u) - (1 - run.p0)) < 1e-12 && survival(run, 0) === 1, "the body and the tail meet at u");
  });

  it("flags a long stop once, while it is still going, when it crosses the threshold", () => {
    const { model, end } = fitted(2, 14);
    const threshold = model.thresholdSeconds("DOWN");
    const flags: { ts: number; stayStart: number; percentile: number; distance: number }[] = [];
    let t = at1Hz([{ state: "RUNNING", seconds: 600 }], end, () => {});
    const stopStart = t;
    model.update(end, "RUNNING");
    t = at1Hz([{ state: "DOWN", seconds: 2 * 3600 }, { state: "SETUP", seconds: 60 }], stopStart, (ts, s) => {
      const r = model.update(ts, s);
      if (r.is_anomaly) flags.push({ ts: r.ts, stayStart: r.stayStart, percentile: r.percentile, distance: r.distance });
    });
    assert.equal(flags.length, 1, JSON.stringify(flags));
    const f = flags[0]!;
    assert.equal(f.stayStart, stopStart);
    assert.equal(f.ts, stopStart + Math.ceil(threshold) * 1000, "flagged on the first reading past the threshold");
    assert.ok(f.ts < stopStart + 2 * 3600 * 1000, "while the stop is going");
    assert.ok(f.percentile >= DEFAULT_DWELL_LEVEL && f.distance >= 0 && f.distance < 0.01, JSON.stringify(f));
  });

  it("raises nothing on a fortnight of natural stays at the default level", () => {
    const { model, end } = fitted(3, 14);
    let flags = 0;
    let readings = 0;
    at1Hz(machineStays(4, 14), end, (ts, s) => {
      readings++;
      if (model.update(ts, s).is_anomaly) flags++;
    });
    assert.ok(readings > 14 * 86_000, `${readings} readings`);
    assert.equal(flags, 0);
  });

  it("refuses a state with too few completed stays, naming the device, the state and the count", () => {
    const stays = new DwellStays("acme-m-7");
    at1Hz(machineStays(5, 4), T0, (ts, s) => stays.observe(ts, s));
    const n = stays.counts()["DOWN"] ?? 0;
    assert.ok(n < 15, `${n} DOWN stays`);
    assert.throws(() => new DwellTimeDetector({ states: ["DOWN", "RUNNING"] }).fitStays(stays), (e: unknown) => {
      assert.ok(e instanceof SeriesError && e.code === "TOO_SHORT");
      assert.match(e.message, new RegExp(`state:acme-m-7: state DOWN has ${n} completed stays, fitting its stay length needs at least 15`));
      return true;
    });
    // Without `states`, the states with enough stays are fitted and the others are named.
    const model = new DwellTimeDetector().fitStays(stays);
    assert.deepEqual(model.states().sort(), ["IDLE", "RUNNING"]);
    assert.equal(model.toJSON().unfitted["DOWN"], n);
    assert.throws(() => new DwellTimeDetector().fit("acme-m-8", [{ ts: T0, state: "RUNNING" }, { ts: T0 + 1000, state: "DOWN" }, { ts: T0 + 2000, state: "RUNNING" }]), /state:acme-m-8: no state has 15 completed stays.*DOWN 1/);
  });

  it("refuses a state whose stays are all the same length: there is no tail to fit", () => {
    const readings: { ts: number; state: string }[] = [];
    // 60 stays a state, each exactly 60 s: the tail would start at 60 s with nothing above it.
    for (let i = 0; i < 122; i++) readings.push({ ts: T0 + i * 60_000, state: i % 2 ? "DOWN" : "RUNNING" });
    assert.throws(() => new DwellTimeDetector().fit("acme-m-9", readings), (e: unknown) => {
      assert.ok(e instanceof SeriesError && e.code === "CONSTANT", String(e));
      assert.match(e.message, /state:acme-m-9: state (DOWN|RUNNING): its 60 completed stays leave no spread above 60 s to fit a stay length on/);
      return true;
    });
  });

  it("a state never seen in training is followed but never flagged", () => {
    const { model, end } = fitted(6, 14);
    let flags = 0;
    let last = model.update(end, "MAINTENANCE");
    at1Hz([{ state: "MAINTENANCE", seconds: 6 * 3600 }], end + 1000, (ts, s) => {
      last = model.update(ts, s);
      if (last.is_anomaly) flags++;
    });
    assert.equal(flags, 0);
    assert.equal(last.modelled, false);
    assert.ok(Number.isNaN(last.percentile) && Number.isNaN(last.threshold), JSON.stringify(last));
    assert.equal(last.staySeconds, 6 * 3600);
  });

  it("saved mid-stop and reloaded, it scores the rest exactly as the original", () => {
    const { model, end } = fitted(7, 14);
    const rest: { state: string; seconds: number }[] = [{ state: "DOWN", seconds: 50 * 60 }, ...machineStays(8, 1), { state: "DOWN", seconds: 3600 }];
    at1Hz([{ state: "DOWN", seconds: 600 }], end, (ts, s) => model.update(ts, s));
    const copy = loadDwellTimeModel(JSON.parse(JSON.stringify(model.toJSON())));
    const a: string[] = [];
    const b: string[] = [];
    at1Hz(rest, end + 600_000, (ts, s) => {
      a.push(JSON.stringify(model.update(ts, s)));
      b.push(JSON.stringify(copy.update(ts, s)));
    });
    assert.deepEqual(b, a);
    assert.equal(a.filter((x) => x.includes('"is_anomaly":true')).length, 2, "the stop that was going when saved, and the later one");
    assert.throws(() => loadDwellTimeModel({ ...model.toJSON(), version: 9 } as never), /unknown version 9/);
  });

  it("counts a gap in the readings only up to maxGapMs, in training and in scoring", () => {
    const stays = new DwellStays("m-gap");
    stays.observe(T0, "RUNNING");
    stays.observe(T0 + 1000, "DOWN");
    stays.observe(T0 + 11_000, "DOWN");
    stays.observe(T0 + 11_000 + 3 * 3_600_000, "DOWN"); // 3 h without a reading
    stays.observe(T0 + 11_000 + 3 * 3_600_000 + 1000, "RUNNING");
    assert.deepEqual(stays.stays("DOWN"), [(10_000 + DEFAULT_MAX_GAP_MS + 1000) / 1000]);

    const { model, end } = fitted(9, 14);
    const threshold = model.thresholdSeconds("DOWN");
    let flagged = 0;
    model.update(end, "DOWN");
    // A reading every 10 min: each gap adds 2 min, so the stop is flagged after ~threshold / 2 min readings, not on the second.
    let ts = end;
    let readingsToFlag = 0;
    for (let i = 1; i <= 60 && flagged === 0; i++) {
      ts += 600_000;
      const r = model.update(ts, "DOWN");
      readingsToFlag = i;
      if (r.is_anomaly) flagged++;
      assert.equal(r.staySeconds, (i * DEFAULT_MAX_GAP_MS) / 1000);
    }
    assert.equal(flagged, 1);
    assert.equal(readingsToFlag, Math.ceil(threshold / (DEFAULT_MAX_GAP_MS / 1000)));
    // A late or repeated reading is ignored.
    assert.equal(model.update(ts - 1, "RUNNING").is_anomaly, false);
    assert.equal(model.update(ts + 1000, "DOWN").state, "DOWN");
  });

  it("refuses a level outside (0.95, 1)", () => {
    assert.throws(() => new DwellTimeDetector({ level: 1 }), /level must be in \(0.95, 1\), got 1/);
    assert.throws(() => new DwellTimeDetector({ level: 0.5 }), /got 0.5/);
  });
});
