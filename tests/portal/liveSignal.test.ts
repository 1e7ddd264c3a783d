/**
 * The live stream's poll on Snowflake (pipelines/portal/liveSignal.ts): a tenant's warehouse is
 * read only when the metadata signal moved and the bound has passed. Here the signal and the
 * watermark are counted functions and the clock is a number the test moves; the signal as
 * Snowflake's protocol answers it is tests/portal/portalSnowflakeData.test.ts's.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gatedWatermark, pipelineSignal } from "../../pipelines/portal/liveSignal.ts";

function rig(minIntervalMs = 300_000) {
  const clock = { now: 1_000_000 };
  const state = { signal: "s0" as string | Error, reads: [] as string[], marks: new Map<string, string>() };
  const errors: string[] = [];
  const gate = gatedWatermark({
    read: async (t) => {
      state.reads.push(t);
      return state.marks.get(t) ?? `${t}-0`;
    },
    signal: async () => {
      if (state.signal instanceof Error) throw state.signal;
      return state.signal;
    },
    minIntervalMs,
    now: () => clock.now,
    onSignalError: (e) => errors.push(e.message),
  });
  return { gate, clock, state, errors };
}

describe("the live poll's gate", () => {
  it("the first poll of a tenant reads its warehouse; while the signal stands still, a poll a second for an hour reads it never again", async () => {
    const { gate, clock, state } = rig();
    assert.equal(await gate("acme"), "acme-0");
    for (let i = 0; i < 3600; i++) {
      clock.now += 1000;
      assert.equal(await gate("acme"), "acme-0");
    }
    assert.deepEqual(state.reads, ["acme"]);
  });

  it("when the signal moves, the warehouse is read once the bound has passed since the last read, and the new watermark is returned", async () => {
    const { gate, clock, state } = rig(300_000);
    await gate("acme");
    state.signal = "s1";
    state.marks.set("acme", "acme-1");
    clock.now += 299_000;
    assert.equal(await gate("acme"), "acme-0", "within the bound: the last watermark, no read");
    assert.equal(state.reads.length, 1);
    clock.now += 1_000;
    assert.equal(await gate("acme"), "acme-1");
    assert.equal(state.reads.length, 2);
    // A signal that moves every second (a refresh a second) still costs one read per bound.
    for (let i = 0; i < 900; i++) {
      clock.now += 1000;
      state.signal = `s${i + 2}`;
      await gate("acme");
    }
    assert.equal(state.reads.length, 2 + 3, "900 s of a moving signal: three more reads at 300 s apart");
  });

  it("tenants are gated apart; a forgotten tenant (an acknowledgement) reads at once", async () => {
    const { gate, clock, state } = rig();
    await gate("acme");
    await gate("globex");
    clock.now += 1000;
    await gate("acme");
    assert.deepEqual(state.reads, ["acme", "globex"]);
    gate.forget("acme");
    await gate("acme");
    await gate("globex");
    assert.deepEqual(state.reads, ["acme", "globex", "acme"]);
  });

  it("a signal that cannot be read vouches for nothing: reads fall back to the bound, and the failure is told", async () => {
    const { gate, clock, state, errors } = rig(60_000);
    await gate("acme");
    state.signal = new Error("390114: Authentication token has expired");
    clock.now += 1000;
    await gate("acme");
    assert.equal(state.reads.length, 1, "within the bound, no read even without a signal");
    clock.now += 60_000;
    await gate("acme");
    assert.equal(state.reads.length, 2);
    assert.match(errors[0]!, /390114/);
  });

  it("the signal is SHOW DYNAMIC TABLES' data_timestamp per table, in a fixed order, whatever order SHOW printed", () => {
    const a = pipelineSignal([
      { schema_name: "ANALYTICS", name: "ALERTS", data_timestamp: new Date("2026-01-05T09:00:00Z") },
      { schema_name: "CORE", name: "JOB_STATION_VISITS", data_timestamp: "2026-01-05 08:59:00.000 +0000" },
    ]);
    const b = pipelineSignal([
      { schema_name: "CORE", name: "JOB_STATION_VISITS", data_timestamp: "2026-01-05 08:59:00.000 +0000" },
      { schema_name: "ANALYTICS", name: "ALERTS", data_timestamp: new Date("2026-01-05T09:00:00Z") },
    ]);
    assert.equal(a, b);
    assert.notEqual(a, pipelineSignal([{ schema_name: "ANALYTICS", name: "ALERTS", data_timestamp: new Date("2026-01-05T09:01:00Z") }, { schema_name: "CORE", name: "JOB_STATION_VISITS", data_timestamp: "2026-01-05 08:59:00.000 +0000" }]));
  });
});
