import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StoreAndForward, type QueuedMessage } from "../../edge/storeAndForward.ts";
import { backoffDelay } from "../../edge/gateway.ts";
import { removeDir, tempDir } from "./edgeStack.ts";
import { waitFor } from "../helpers/waitFor.ts";

const msg = (seq: number, readings = 10, size = 100): QueuedMessage => ({ topic: "dt/hub/acme/s1/machine/m1", payload: "x".repeat(size), seq, readings });

describe("store-and-forward queue", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir("saf-");
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach(removeDir));

  it("keeps messages in order across a restart, removing only what was acknowledged", () => {
    const d = dir();
    const q = StoreAndForward.open(d);
    for (let i = 0; i < 5; i++) assert.equal(q.enqueue(msg(q.nextSeq())), true);
    q.ack(0);
    q.ack(1);
    q.close();
    const again = StoreAndForward.open(d);
    assert.equal(again.length, 3);
    assert.equal(again.peek()!.seq, 2);
    assert.equal(again.nextSeq(), 5);
    again.close();
  });

  it("after a crash (no close), acknowledgements older than the save interval are not sent again", async () => {
    const d = dir();
    const q = StoreAndForward.open(d);
    for (let i = 0; i < 5; i++) q.enqueue(msg(q.nextSeq()));
    q.ack(0);
    q.ack(1);
    // The head is saved within ACK_SAVE_INTERVAL_MS of the acknowledgement: wait until state.json
    // says so (it is replaced atomically, so a read sees the old state or the new one).
    await waitFor(() => (JSON.parse(readFileSync(join(d, "state.json"), "utf8")) as { deliveredMessages: number }).deliveredMessages === 2, "state.json to record the two acknowledgements");
    // Reopened without close(), as after a crash.
    const again = StoreAndForward.open(d);
    assert.equal(again.length, 3);
    assert.equal(again.peek()!.seq, 2);
    again.close();
    q.close();
  });

  it("drop-oldest: when full, the oldest go, and every dropped reading is counted, across a restart", () => {
    const d = dir();
    const q = StoreAndForward.open(d, { maxBytes: 1_000, policy: "drop-oldest" });
    for (let i = 0; i < 20; i++) q.enqueue(msg(q.nextSeq()));
    assert.ok(q.bytes <= 1_000);
    const kept = q.length;
    assert.equal(q.counters.droppedMessages, 20 - kept);
    assert.equal(q.counters.droppedReadings, (20 - kept) * 10);
    assert.equal(q.peek()!.seq, 20 - kept, "the newest are kept");
    q.close();
    const again = StoreAndForward.open(d, { maxBytes: 1_000, policy: "drop-oldest" });
    assert.equal(again.counters.droppedReadings, (20 - kept) * 10);
    assert.equal(again.length, kept);
    assert.equal(again.nextSeq(), 20);
    again.close();
  });

  it("reject-new: when full, the new message is refused and counted", () => {
    const q = StoreAndForward.open(dir(), { maxBytes: 1_000, policy: "reject-new" });
    let accepted = 0;
    for (let i = 0; i < 20; i++) if (q.enqueue(msg(q.nextSeq(), 3))) accepted++;
    assert.equal(q.length, accepted);
    assert.equal(q.peek()!.seq, 0, "the oldest are kept");
    assert.equal(q.counters.rejectedMessages, 20 - accepted);
    assert.equal(q.counters.rejectedReadings, (20 - accepted) * 3);
    q.close();
  });

  it("a message dropped while in flight and then acknowledged is not counted as dropped", () => {
    const q = StoreAndForward.open(dir(), { maxBytes: 500, policy: "drop-oldest" });
    q.enqueue(msg(q.nextSeq()));
    q.markInFlight(0);
    for (let i = 0; i < 5; i++) q.enqueue(msg(q.nextSeq()));
    const dropped = q.counters.droppedReadings;
    assert.ok(dropped >= 10);
    q.ack(0);
    assert.equal(q.counters.droppedReadings, dropped - 10);
    q.close();
  });

  it("cuts a torn last line (a crash mid-append) on open", () => {
    const d = dir();
    const q = StoreAndForward.open(d);
    q.enqueue(msg(0));
    q.enqueue(msg(1));
    q.close();
    const log = readdirSync(d).find((f) => f.endsWith(".log"))!;
    appendFileSync(join(d, log), '{"topic":"dt/hub/acme/s1/machine/m1","payl');
    const again = StoreAndForward.open(d);
    assert.equal(again.length, 2);
    again.enqueue(msg(2));
    again.close();
    assert.equal(StoreAndForward.open(d).length, 3);
  });

  it("a queue created fresh starts a new epoch, kept across a reopen; wiped, it numbers from 0 in another", () => {
    const d = dir();
    const q = StoreAndForward.open(d);
    const epoch = q.epoch;
    assert.ok(epoch !== null && Number.isSafeInteger(epoch) && epoch >= 0);
    for (let i = 0; i < 3; i++) q.enqueue(msg(q.nextSeq()));
    q.ack(0);
    q.close();
    const again = StoreAndForward.open(d);
    assert.deepEqual(again.nextNumber(), { epoch, seq: 3 }, "the same epoch after a restart, numbering on");
    assert.equal(again.peek()!.epoch, epoch, "each queued message keeps its epoch");
    again.close();
    removeDir(d);
    const wiped = StoreAndForward.open(d);
    assert.notEqual(wiped.epoch, epoch);
    assert.deepEqual(wiped.nextNumber(), { epoch: wiped.epoch, seq: 0 });
    wiped.close();
  });

  it("a queue from before epochs starts one when opened; what it still holds keeps no epoch and is sent first", () => {
    const d = dir();
    writeFileSync(join(d, "state.json"), JSON.stringify({ generation: 0, headOffset: 0, lastSeq: 41, droppedMessages: 0, droppedReadings: 0, rejectedMessages: 0, rejectedReadings: 0 }));
    writeFileSync(join(d, "queue-0.log"), `${JSON.stringify({ topic: "dt/hub/acme/s1/machine/m1", payload: "old", seq: 42, readings: 3 })}\n`);
    const q = StoreAndForward.open(d);
    const epoch = q.epoch;
    assert.ok(epoch !== null);
    assert.deepEqual(q.nextNumber(), { epoch, seq: 0 }, "numbering starts again, in the new epoch");
    q.enqueue(msg(0));
    assert.deepEqual([q.peek()!.seq, q.peek()!.epoch ?? null], [42, null], "the old message first, on the epoch-less channel");
    q.markInFlight(42);
    q.ack(42);
    assert.deepEqual(q.nextNumber(), { epoch, seq: 1 }, "delivering the old one does not disturb the new numbering");
    q.close();
    const again = StoreAndForward.open(d);
    assert.equal(again.epoch, epoch, "the epoch was saved");
    again.close();
  });

  it("drop-oldest never numbers a message more than maxSeqAhead past the last one delivered in its epoch: a new epoch starts", () => {
    const d = dir();
    const q = StoreAndForward.open(d, { maxBytes: 1_000, policy: "drop-oldest", maxSeqAhead: 10 });
    const first = q.epoch;
    q.enqueue(msg(q.nextSeq()));
    q.markInFlight(0);
    q.ack(0);
    // The broker is gone: messages pile up and the oldest are dropped, their numbers skipped.
    const numbers: Array<{ epoch: number | null; seq: number }> = [];
    for (let i = 0; i < 25; i++) {
      const n = q.nextNumber();
      numbers.push(n);
      q.enqueue({ ...msg(n.seq), epoch: n.epoch });
    }
    assert.ok(q.counters.droppedMessages > 0);
    const inFirst = numbers.filter((n) => n.epoch === first);
    assert.deepEqual(inFirst.map((n) => n.seq), Array.from({ length: 10 }, (_, i) => i + 1), "seq 1-10: at most 10 past the delivered 0");
    const second = numbers[10]!.epoch;
    assert.ok(second !== null && second !== first);
    assert.deepEqual(numbers.slice(10, 20).map((n) => [n.epoch, n.seq]), Array.from({ length: 10 }, (_, i) => [second, i]), "then 0-9 in a new epoch (none delivered in it: -1 + 10)");
    assert.notEqual(numbers[20]!.epoch, second);
    q.close();
    const again = StoreAndForward.open(d, { maxBytes: 1_000, policy: "drop-oldest", maxSeqAhead: 10 });
    assert.equal(again.epoch, numbers[24]!.epoch, "the epoch switch is on disk");
    again.close();
  });

  it("with confirmations, a sent message stays queued until the ingest confirms it, and is sent again after a crash", () => {
    const d = dir();
    const q = StoreAndForward.open(d, { confirmations: true });
    const epoch = q.epoch;
    for (let i = 0; i < 4; i++) q.enqueue(msg(q.nextSeq()));
    for (const seq of [0, 1, 2]) {
      assert.equal(q.peek()!.seq, seq);
      q.markInFlight(seq);
      q.ack(seq);
    }
    assert.deepEqual([q.length, q.unconfirmed, q.peek()!.seq], [4, 3, 3], "acknowledged by the broker, still held, not sent again");
    q.confirm(epoch, 1);
    assert.equal(q.length, 4, "1 waits for 0: the head on disk stays a prefix of the log");
    q.confirm(epoch, 0);
    assert.deepEqual([q.length, q.unconfirmed], [2, 1]);
    assert.equal(q.lifetime.deliveredReadings, 20);
    q.close();
    // Reopened as after a crash: 2 was sent but not confirmed, so it is sent again.
    const again = StoreAndForward.open(d, { confirmations: true });
    assert.deepEqual([again.length, again.peek()!.seq], [2, 2]);
    // A confirm for a message not sent yet (the broker redelivered an older copy) skips sending it.
    again.confirm(epoch, 2);
    assert.deepEqual([again.length, again.peek()!.seq], [1, 3]);
    again.close();
  });

  it("its lifetime counts, read from disk at any point (crash or not), add up to everything handed to it", () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const policy of ["drop-oldest", "reject-new"] as const) {
      for (const confirmations of [false, true]) {
        let d = dir();
        let q = StoreAndForward.open(d, { maxBytes: 2_000, policy, confirmations });
        const crashed: StoreAndForward[] = [];
        let handed = 0;
        const sent: Array<{ epoch: number | null; seq: number }> = [];
        for (let step = 0; step < 400; step++) {
          const r = rnd();
          if (r < 0.45) {
            const readings = 1 + Math.floor(rnd() * 9);
            const n = q.nextNumber();
            q.enqueue({ ...msg(n.seq, readings, 50 + Math.floor(rnd() * 400)), epoch: n.epoch });
            handed += readings;
          } else if (r < 0.75) {
            const m = q.peek();
            if (m) {
              q.markInFlight(m.seq);
              q.ack(m.seq);
              sent.push({ epoch: m.epoch ?? null, seq: m.seq });
            }
          } else if (r < 0.9) {
            const m = sent.shift();
            if (m) q.confirm(m.epoch, m.seq);
          } else if (r < 0.95) {
            // A crash: the files as they are now, opened by a new process (a copy, so the old
            // instance's pending save cannot write into it); the old one is never used again.
            const copy = dir();
            cpSync(d, copy, { recursive: true });
            crashed.push(q);
            d = copy;
            q = StoreAndForward.open(d, { maxBytes: 2_000, policy, confirmations });
            sent.length = 0;
          } else {
            q.close();
            q = StoreAndForward.open(d, { maxBytes: 2_000, policy, confirmations });
            sent.length = 0;
          }
          const l = StoreAndForward.inspect(d);
          const total = l.deliveredReadings + l.droppedReadings + l.rejectedReadings + l.heldReadings;
          assert.equal(total, handed, `${policy}${confirmations ? ", confirmations" : ""}, step ${step}: ${JSON.stringify(l)}`);
        }
        q.close();
        for (const c of crashed) c.close();
      }
    }
  });

  it("compacts its log once most of it was acknowledged, and still reopens", () => {
    const d = dir();
    const q = StoreAndForward.open(d);
    for (let i = 0; i < 120; i++) q.enqueue(msg(i, 1, 50_000));
    for (let i = 0; i < 100; i++) q.ack(i);
    q.close();
    assert.ok(readdirSync(d).some((f) => f !== "queue-0.log" && f.endsWith(".log")), "a new generation was written");
    const again = StoreAndForward.open(d);
    assert.equal(again.length, 20);
    assert.equal(again.peek()!.seq, 100);
    again.close();
  });
});

describe("reconnect backoff", () => {
  it("grows exponentially to the cap, with full jitter", () => {
    const max = (attempt: number) => backoffDelay(attempt, { baseMs: 100, capMs: 5_000 }, () => 0.999999);
    assert.deepEqual([0, 1, 2, 3, 6, 20].map(max), [99, 199, 399, 799, 4999, 4999]);
    assert.equal(backoffDelay(5, { baseMs: 100, capMs: 5_000 }, () => 0), 0);
  });
});
