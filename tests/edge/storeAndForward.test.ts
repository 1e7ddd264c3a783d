import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ACK_SAVE_INTERVAL_MS, StoreAndForward, type QueuedMessage } from "../../edge/storeAndForward.ts";
import { backoffDelay } from "../../edge/gateway.ts";
import { removeDir, tempDir } from "./edgeStack.ts";

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
    await new Promise((r) => setTimeout(r, ACK_SAVE_INTERVAL_MS + 100));
    // Reopened without close(), as after a crash: the head was saved by then.
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
