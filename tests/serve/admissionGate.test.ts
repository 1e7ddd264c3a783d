/**
 * The served twin's admission gate on its own (no engine): places per warehouse and in all,
 * first come first served, a wait bounded by the statement's timeout, a waiter that leaves
 * freeing its turn; and the threadpool arithmetic serve sizes it by. Order is observed, never time.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AdmissionAborted, AdmissionGate, QueuedTooLong, defaultMaxConcurrency, reservedWorkers, tenantCapacity, threadpoolSize } from "../../pipelines/sql/admissionGate.ts";

/** Resolves on the next turn of the event loop: admissions made by a release have happened by then. */
const settle = () => new Promise((r) => setImmediate(r));

describe("admission gate", () => {
  it("lets a second statement of a warehouse in only when the first ends, in the order they came", async () => {
    const gate = new AdmissionGate({ perWarehouse: 1, total: 3 });
    const order: string[] = [];
    const first = await gate.admit("ACME_WH");
    const second = gate.admit("ACME_WH").then((r) => (order.push("second"), r));
    const third = gate.admit("ACME_WH").then((r) => (order.push("third"), r));
    await settle();
    assert.deepEqual(order, [], "nothing passes the statement that runs");
    assert.deepEqual([...gate.queued()], [["ACME_WH", 2]]);
    first();
    const r2 = await second;
    await settle();
    assert.deepEqual(order, ["second"], "one place: the third still waits");
    r2();
    (await third)();
    assert.deepEqual(order, ["second", "third"]);
    assert.equal(gate.queued().size, 0);
    assert.equal(gate.runningNow().size, 0);
  });

  it("lets another warehouse's statement in while one warehouse is full", async () => {
    const gate = new AdmissionGate({ perWarehouse: 1, total: 3 });
    const acme = await gate.admit("ACME_WH");
    const acmeWaits = gate.admit("ACME_WH");
    const globex = await gate.admit("GLOBEX_WH");
    assert.deepEqual([...gate.runningNow()].sort(), [["ACME_WH", 1], ["GLOBEX_WH", 1]]);
    globex();
    acme();
    (await acmeWaits)();
  });

  it("never lets more than `total` run across warehouses, and then serves the oldest waiter first", async () => {
    const gate = new AdmissionGate({ perWarehouse: 2, total: 2 });
    const a1 = await gate.admit("A");
    const a2 = await gate.admit("A");
    const order: string[] = [];
    const b = gate.admit("B").then((r) => (order.push("B"), r));
    const c = gate.admit("C").then((r) => (order.push("C"), r));
    await settle();
    assert.deepEqual(order, [], "the two places are taken");
    a1();
    const rb = await b;
    await settle();
    assert.deepEqual(order, ["B"]);
    a2();
    (await c)();
    rb();
    assert.deepEqual(order, ["B", "C"]);
  });

  it("fails a statement that waits past its timeout without ever letting it in, and the next in line keeps its turn", async () => {
    const gate = new AdmissionGate({ perWarehouse: 1, total: 1 });
    const held = await gate.admit("ACME_WH");
    let admitted = false;
    const late = gate.admit("ACME_WH", { timeoutMs: 20 }).then((r) => ((admitted = true), r));
    const next = gate.admit("ACME_WH");
    await assert.rejects(late, (e) => e instanceof QueuedTooLong && e.waitedMs >= 0);
    assert.equal(admitted, false);
    assert.deepEqual([...gate.queued()], [["ACME_WH", 1]], "only the next statement waits");
    held();
    (await next)();
  });

  it("frees the place of a statement whose client went away while it waited", async () => {
    const gate = new AdmissionGate({ perWarehouse: 1, total: 1 });
    const held = await gate.admit("ACME_WH");
    const gone = new AbortController();
    const leaving = gate.admit("ACME_WH", { signal: gone.signal });
    const order: string[] = [];
    const after = gate.admit("ACME_WH").then((r) => (order.push("after"), r));
    gone.abort();
    await assert.rejects(leaving, AdmissionAborted);
    assert.deepEqual([...gate.queued()], [["ACME_WH", 1]]);
    held();
    (await after)();
    assert.deepEqual(order, ["after"]);
    await assert.rejects(gate.admit("ACME_WH", { signal: gone.signal }), AdmissionAborted, "a statement whose client is already gone is not queued");
    assert.equal(gate.queued().size, 0);
  });

  it("releases a place once, however often its release is called", async () => {
    const gate = new AdmissionGate({ perWarehouse: 1, total: 2 });
    const r = await gate.admit("A");
    r();
    r();
    const x = await gate.admit("A");
    const waits = gate.admit("A");
    await settle();
    assert.deepEqual([...gate.queued()], [["A", 1]], "a second release did not make room for two");
    x();
    (await waits)();
  });

  it("refuses limits that are not whole numbers of at least 1, naming them", () => {
    assert.throws(() => new AdmissionGate({ perWarehouse: 0, total: 3 }), /perWarehouse 0 must be a whole number of at least 1/);
    assert.throws(() => new AdmissionGate({ perWarehouse: 2, total: 1.5 }), /total 1.5 must be/);
  });
});

describe("threadpool sizing", () => {
  it("reads UV_THREADPOOL_SIZE as libuv does", () => {
    assert.equal(threadpoolSize({}), 4);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: "" }), 4);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: "8" }), 8);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: "0" }), 1);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: "abc" }), 1, "atoi reads 0, and 0 is 1");
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: "12abc" }), 12);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: "5000" }), 1024);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: "-2" }), 1024, "an unsigned count: a negative wraps past the ceiling");
  });

  it("keeps at least one worker for the hub and leaves tenants the rest", () => {
    for (const pool of [2, 3, 4, 8, 16, 64]) {
      assert.ok(reservedWorkers(pool) >= 1);
      assert.equal(tenantCapacity(pool), pool - reservedWorkers(pool), `pool ${pool}`);
      assert.ok(defaultMaxConcurrency(pool) < tenantCapacity(pool) || tenantCapacity(pool) === 1, `pool ${pool}: one warehouse leaves room for another`);
    }
    assert.deepEqual([tenantCapacity(4), defaultMaxConcurrency(4)], [3, 2], "Node's default pool");
    assert.equal(defaultMaxConcurrency(64), 8, "Snowflake's MAX_CONCURRENCY_LEVEL default where the pool allows it");
  });
});
