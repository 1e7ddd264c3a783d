/** Progress where stderr is a log (CI): lines every few seconds on long work, silence on short. */
import { it } from "node:test";
import assert from "node:assert/strict";
import { heartbeat, progressBar, type ProgressStream } from "../../scripts/lib/progressBar.ts";

function logStream(): ProgressStream & { lines: string[] } {
  const lines: string[] = [];
  return { isTTY: false, lines, write: (t: string) => lines.push(t) };
}

/** Resolves once `cond` holds (checked every few ms), or rejects after `ms`. */
async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 2));
  }
}

it("a bar in a log writes plain lines at most every interval, and its last state at the end of a long run", () => {
  const log = logStream();
  // The bar's own clock: on the wall clock a loaded machine can spend the whole 30 ms between two
  // statements, and "within the first interval" no longer holds (seen under CPU load: a 0/3 line).
  let t = 0;
  const bar = progressBar({ total: 3, enabled: true, stream: log, logEveryMs: 30, width: 6, now: () => t });
  bar.update(0, "acme/forecast"); // within the first interval: nothing yet
  t = 29;
  bar.update(1, "acme/anomaly");
  assert.deepEqual(log.lines, []);
  t = 30;
  bar.update(1, "acme/anomaly");
  assert.deepEqual(log.lines, ["[##----] 1/3 acme/anomaly\n"]);
  t = 59;
  bar.update(2, "acme/segments"); // within the interval after the line: held
  bar.finish();
  assert.deepEqual(log.lines, ["[##----] 1/3 acme/anomaly\n", "[####--] 2/3 acme/segments\n"]);
  assert.ok(log.lines.every((l: string) => !l.includes("\r")), "no carriage returns in a log");
});

it("a short run in a log writes nothing, and a disabled bar nothing at all", () => {
  const log = logStream();
  const bar = progressBar({ total: 2, enabled: true, stream: log, logEveryMs: 60_000 });
  bar.update(1);
  bar.update(2);
  bar.finish();
  const off = progressBar({ total: 2, enabled: false, stream: log, logEveryMs: 0 });
  off.update(1);
  off.finish();
  assert.deepEqual(log.lines, []);
});

it("a heartbeat names the step and its seconds while the work runs, and stops when it settles", async () => {
  const log = logStream();
  let finish!: (v: string) => void;
  const work = new Promise<string>((r) => (finish = r));
  const done = heartbeat("restoring acme", work, { enabled: true, stream: log, everyMs: 10 });
  await until(() => log.lines.length >= 2);
  finish("ok");
  assert.equal(await done, "ok");
  const seen = log.lines.length;
  assert.ok(log.lines.every((l) => /^restoring acme… \d+ s\n$/.test(l)), JSON.stringify(log.lines));
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(log.lines.length, seen, "no line after the work settled");
  assert.equal(await heartbeat("quiet", Promise.resolve(1), { enabled: false, stream: log, everyMs: 1 }), 1);
});
