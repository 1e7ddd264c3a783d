/**
 * ChannelLanding on its own, on a real DuckDB file: the committed-offset path a late or
 * redelivered message takes once its channel has committed (one micro-batch after another, not
 * all in one), the rollback of a commit that fails part-way, the dedup window's edge, and what
 * survives a restart. The values are worked out by hand from the batches below.
 *
 * One in-memory engine serves every test but the first (each on channels and sources of its own):
 * a landing closed and made again on it (ChannelLanding.onEngine) loads its state from the tables,
 * as after a restart. The first test uses a file, as the streaming ingest does.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { ChannelLanding, DEDUP_WINDOW, LEDGER_TABLE, OFFSETS_TABLE, type ChannelBatch } from "../../pipelines/ingest/channelLanding.ts";
import type { RawReading } from "../../pipelines/ingest/rawRecords.ts";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { removeDir, tempDir } from "./edgeStack.ts";

const AT = new Date("2026-01-05T08:00:00.000Z");
const CH = "mqtt:acme/acme-m-001/0";

function reading(seq: number, channel: string): RawReading {
  return {
    tenantId: "acme", siteId: "plant1", deviceId: "acme-m-001", sensorType: "MACHINE", ts: new Date(AT.getTime() + seq * 1000), seq, messageId: null,
    payload: `{"schema":1,"metrics":{"state":"IDLE","period_s":1}}`, channel, channelOffset: seq, source: "mqtt",
  };
}

/** A batch of messages, one reading each, on `channel`. */
function batch(seqs: readonly number[], channel = CH, ledger: string | null = null): ChannelBatch {
  return {
    readings: seqs.map((s) => reading(s, channel)), scans: [], quarantine: [],
    messages: seqs.map((seq) => ({ channel, seq, hash: 1000 + seq })),
    ...(ledger ? { ledger: { source: ledger, messages: seqs.length, readings: seqs.length, scans: 0, quarantined: 0, quarantineRows: 0, duplicates: 0 } } : {}),
  };
}

/** Run `sql` on the file with the landing closed; the landing holds the only writer otherwise. */
async function onFile<T>(db: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(db);
  try {
    const c = await instance.connect();
    const r = (await c.runAndReadAll(sql)).getRowObjectsJS() as T[];
    c.closeSync();
    return r;
  } finally {
    instance.closeSync();
  }
}

describe("channel landing: offsets, late messages and failed commits", () => {
  const dir = tempDir("landing-");
  let engine: EmbeddedEngine;
  before(async () => {
    engine = await EmbeddedEngine.open();
  });
  after(async () => {
    await engine.close();
    removeDir(dir);
  });

  /** Rows of the engine's database, read on a connection of its own. */
  async function onEngine<T>(sql: string): Promise<T[]> {
    const c = await engine.rawConnection();
    try {
      return (await c.runAndReadAll(sql)).getRowObjectsJS() as T[];
    } finally {
      c.closeSync();
    }
  }

  it("a late message, after its channel committed a higher seq, lands; the offset stays at the highest; both are known after a restart", async () => {
    const db = join(dir, "late.duckdb");
    const landing = await ChannelLanding.open(db);
    try {
      assert.equal(landing.committed(CH), -1, "a channel never committed");
      assert.equal(landing.isCommitted(CH, 0), false);
      await landing.commit(batch([5]), AT);
      assert.equal(landing.committed(CH), 5);
      assert.equal(landing.isCommitted(CH, 5), true);
      assert.equal(landing.isCommitted(CH, 4), false, "4 has not been seen: it is late, not a redelivery");
      assert.equal(landing.knownHash(CH, 5), 1005);
      assert.equal(landing.knownHash(CH, 4), undefined);
      // The late message, in a micro-batch of its own after 5 committed.
      await landing.commit(batch([4]), AT);
      assert.equal(landing.committed(CH), 5, "a late message does not move the offset back");
      assert.equal(landing.isCommitted(CH, 4), true);
      assert.equal(landing.knownHash(CH, 4), 1004);
      // A batch whose highest seq is not its last one.
      await landing.commit(batch([9, 7]), AT);
      assert.equal(landing.committed(CH), 9);
      assert.equal(landing.isCommitted(CH, 8), false);
    } finally {
      await landing.close();
    }
    const rows = await onFile<{ seq: bigint; channel_offset: bigint }>(db, "SELECT seq, channel_offset FROM RAW.SENSOR_READINGS ORDER BY seq");
    assert.deepEqual(rows.map((r) => [Number(r.seq), Number(r.channel_offset)]), [[4, 4], [5, 5], [7, 7], [9, 9]]);
    assert.deepEqual((await onFile<{ committed_offset: bigint }>(db, `SELECT committed_offset FROM ${OFFSETS_TABLE} WHERE channel = '${CH}'`)).map((r) => Number(r.committed_offset)), [9]);
    const again = await ChannelLanding.open(db);
    try {
      assert.equal(again.committed(CH), 9);
      assert.deepEqual([4, 5, 6, 7, 8, 9].map((s) => again.isCommitted(CH, s)), [true, true, false, true, false, true]);
      assert.deepEqual([4, 5, 7, 9].map((s) => again.knownHash(CH, s)), [1004, 1005, 1007, 1009]);
    } finally {
      await again.close();
    }
  });

  /** A landing on the shared engine; made again, it is the landing after a restart. */
  const landingOn = () => ChannelLanding.onEngine(engine);

  it("channels of one batch each move to their own highest seq", async () => {
    const one = "mqtt:t2/d1/0";
    const other = "mqtt:t2/d2/0";
    const landing = await landingOn();
    try {
      await landing.commit(batch([3], one), AT);
      const b = batch([2, 1], one);
      const c = batch([10, 12, 11], other);
      await landing.commit({ readings: [...b.readings, ...c.readings], scans: [], quarantine: [], messages: [...b.messages, ...c.messages] }, AT);
      assert.equal(landing.committed(one), 3, "the batch's seqs on this channel are all below its committed offset");
      assert.equal(landing.committed(other), 12);
      assert.deepEqual([...landing.channels].filter(([k]) => k.startsWith("mqtt:t2/")).sort(), [[one, 3], [other, 12]]);
    } finally {
      await landing.close();
    }
    const offsets = await onEngine<{ channel: string; committed_offset: bigint }>(`SELECT channel, committed_offset FROM ${OFFSETS_TABLE} WHERE channel LIKE 'mqtt:t2/%' ORDER BY channel`);
    assert.deepEqual(offsets.map((o) => [o.channel, Number(o.committed_offset)]), [[one, 3], [other, 12]]);
  });

  it("a commit that fails part-way leaves nothing: no rows, no offset, no remembered seq, no ledger; the batch then lands once", async () => {
    const ch = "mqtt:t3/d1/0";
    const landing = await landingOn();
    try {
      await landing.commit(batch([1], ch, "t3"), AT);
      const good = batch([2, 3], ch, "t3");
      // The failure is injected after the readings are appended, inside the transaction: a message
      // whose seq is not an integer cannot be written to the channel's message table.
      const failing: ChannelBatch = { ...good, messages: [...good.messages, { channel: ch, seq: Number.NaN, hash: 1 }] };
      await assert.rejects(landing.commit(failing, AT), RangeError);
      assert.equal(landing.committed(ch), 1, "the offset did not move");
      assert.equal(landing.isCommitted(ch, 2), false, "2 is not remembered: its redelivery must land");
      assert.equal(landing.knownHash(ch, 3), undefined);
      assert.deepEqual(await landing.ledger("t3"), { messages: 1, readings: 1, scans: 0, quarantined: 0, quarantineRows: 0, duplicates: 0 });
      // The connection is usable again (not left inside the failed transaction), and the redelivered batch lands.
      await landing.commit(good, AT);
      assert.equal(landing.committed(ch), 3);
      assert.deepEqual(await landing.ledger("t3"), { messages: 3, readings: 3, scans: 0, quarantined: 0, quarantineRows: 0, duplicates: 0 });
    } finally {
      await landing.close();
    }
    const rows = await onEngine<{ seq: bigint }>(`SELECT seq FROM RAW.SENSOR_READINGS WHERE channel = '${ch}' ORDER BY seq`);
    assert.deepEqual(rows.map((r) => Number(r.seq)), [1, 2, 3], "each reading once");
    const stored = await onEngine<{ n: bigint }>(`SELECT COUNT(*) AS n FROM ${OFFSETS_TABLE} WHERE channel = '${ch}' AND committed_offset = 3`);
    assert.equal(Number(stored[0]!.n), 1);
    const ledgerRows = await onEngine<{ n: bigint }>(`SELECT COUNT(*) AS n FROM ${LEDGER_TABLE} WHERE source = 't3'`);
    assert.equal(Number(ledgerRows[0]!.n), 2, "one ledger row per committed batch until a restart folds them");
  });

  it("a restart folds the ledger into one row per source, with the same totals", async () => {
    const ch = "mqtt:t4/d1/0";
    const landing = await landingOn();
    try {
      await landing.commit(batch([1, 2], ch, "t4"), AT);
      await landing.commit(batch([3], ch, "t4"), AT);
      await landing.commit({ ...batch([4], ch), ledger: { source: "t4-file", messages: 1, readings: 1, scans: 2, quarantined: 3, quarantineRows: 4, duplicates: 5 } }, AT);
      assert.deepEqual(await landing.ledger("t4"), { messages: 3, readings: 3, scans: 0, quarantined: 0, quarantineRows: 0, duplicates: 0 });
    } finally {
      await landing.close();
    }
    const count = async () => Number((await onEngine<{ n: bigint }>(`SELECT COUNT(*) AS n FROM ${LEDGER_TABLE} WHERE source LIKE 't4%'`))[0]!.n);
    assert.equal(await count(), 3);
    const again = await landingOn();
    try {
      assert.equal(await count(), 2, "folded on open: one row per source");
      assert.deepEqual(await again.ledger("t4"), { messages: 3, readings: 3, scans: 0, quarantined: 0, quarantineRows: 0, duplicates: 0 });
      assert.deepEqual(await again.ledger("t4-file"), { messages: 1, readings: 1, scans: 2, quarantined: 3, quarantineRows: 4, duplicates: 5 });
      assert.deepEqual(await again.ledger("nobody"), { messages: 0, readings: 0, scans: 0, quarantined: 0, quarantineRows: 0, duplicates: 0 });
    } finally {
      await again.close();
    }
  });

  it("at the dedup window's edge: a seq a window below the offset counts as landed, one above it is judged by its hash", async () => {
    const ch = "mqtt:t5/d1/0";
    const high = 3 * DEDUP_WINDOW;
    const landing = await landingOn();
    try {
      await landing.commit(batch([0, high - DEDUP_WINDOW + 1], ch), AT);
      await landing.commit(batch([high], ch), AT);
      assert.equal(landing.isCommitted(ch, high - DEDUP_WINDOW), true, "at the window's floor: counted as landed");
      assert.equal(landing.knownHash(ch, high - DEDUP_WINDOW), undefined, "below or at the floor the hash is no longer known");
      assert.equal(landing.isCommitted(ch, high - DEDUP_WINDOW + 1), true);
      assert.equal(landing.knownHash(ch, high - DEDUP_WINDOW + 1), 1000 + high - DEDUP_WINDOW + 1);
      assert.equal(landing.isCommitted(ch, high - DEDUP_WINDOW + 2), false, "inside the window and never sent");
      assert.equal(landing.isCommitted(ch, 0), true);
    } finally {
      await landing.close();
    }
    const kept = async () => (await onEngine<{ seq: bigint }>(`SELECT seq FROM HUB_LOCAL.INGEST_CHANNEL_MESSAGES WHERE channel = '${ch}' ORDER BY seq`)).map((r) => Number(r.seq));
    assert.deepEqual(await kept(), [0, high - DEDUP_WINDOW + 1, high], "pruned on the next open, not before");
    const again = await landingOn();
    try {
      assert.deepEqual(await kept(), [high - DEDUP_WINDOW + 1, high], "what fell out of the window is no longer kept");
      assert.equal(again.committed(ch), high);
      assert.equal(again.knownHash(ch, high - DEDUP_WINDOW + 1), 1000 + high - DEDUP_WINDOW + 1);
      assert.equal(again.isCommitted(ch, high - DEDUP_WINDOW + 2), false);
    } finally {
      await again.close();
    }
  });

  it("keeps at most two windows of a channel's seqs in memory: past that, what fell below the window is forgotten", async () => {
    const ch = "mqtt:t6/d1/0";
    const landing = await landingOn();
    try {
      const seqs = Array.from({ length: 2 * DEDUP_WINDOW }, (_, i) => i);
      await landing.commit({ readings: [], scans: [], quarantine: [], messages: seqs.map((seq) => ({ channel: ch, seq, hash: null })) }, AT);
      assert.equal(landing.rememberedSeqs(ch), 2 * DEDUP_WINDOW, "two windows: nothing forgotten yet");
      // Offset 2W - 1, floor W - 1: W - 1 is still in memory, but at the floor it is no longer known.
      assert.equal(landing.knownHash(ch, DEDUP_WINDOW - 1), undefined);
      assert.equal(landing.knownHash(ch, DEDUP_WINDOW), null);
      assert.equal(landing.knownHash("mqtt:t6/never/0", 3), undefined, "a channel never seen");
      await landing.commit({ readings: [], scans: [], quarantine: [], messages: [{ channel: ch, seq: 2 * DEDUP_WINDOW, hash: 7 }] }, AT);
      // Offset 2W: seqs 0..W are at or below the floor (2W - W) and go; W+1..2W stay.
      assert.equal(landing.rememberedSeqs(ch), DEDUP_WINDOW);
      assert.equal(landing.isCommitted(ch, DEDUP_WINDOW), true, "at the floor: counted as landed");
      assert.equal(landing.knownHash(ch, DEDUP_WINDOW + 1), null, "inside the window: known, landed without a hash");
      assert.equal(landing.knownHash(ch, 2 * DEDUP_WINDOW), 7);
      assert.equal(landing.rememberedSeqs("mqtt:t6/none/0"), 0);
    } finally {
      await landing.close();
    }
  });

  it("a batch without messages lands its rows and moves no offset; a message without a hash is remembered without one", async () => {
    const ch = "mqtt:t8/d1/0";
    const landing = await landingOn();
    try {
      await landing.commit(batch([4], ch), AT);
      const quarantine = [{ tenantId: "acme", source: "t8", reason: "t8: refused", raw: "{}", deviceId: "d1", metric: null }];
      await landing.commit({ readings: [reading(9, ch)], scans: [], quarantine, messages: [] }, AT);
      assert.equal(landing.committed(ch), 4);
      await landing.commit({ readings: [], scans: [], quarantine: [], messages: [{ channel: ch, seq: 5 }] }, AT);
      assert.equal(landing.knownHash(ch, 5), null);
    } finally {
      await landing.close();
    }
    const q = await onEngine<{ n: bigint }>(`SELECT COUNT(*) AS n FROM RAW.QUARANTINE WHERE reason = 't8: refused'`);
    assert.equal(Number(q[0]!.n), 1);
    const r = await onEngine<{ seq: bigint }>(`SELECT seq FROM RAW.SENSOR_READINGS WHERE channel = '${ch}' ORDER BY seq`);
    assert.deepEqual(r.map((x) => Number(x.seq)), [4, 9]);
    const o = await onEngine<{ committed_offset: bigint; committed_at: Date }>(`SELECT committed_offset, committed_at FROM ${OFFSETS_TABLE} WHERE channel = '${ch}'`);
    assert.deepEqual(o.map((x) => [Number(x.committed_offset), x.committed_at.toISOString()]), [[5, AT.toISOString()]], "the offset and when it was committed");
    const again = await landingOn();
    try {
      assert.equal(again.knownHash(ch, 5), null, "after a restart too");
      assert.equal(again.knownHash(ch, 4), 1004);
    } finally {
      await again.close();
    }
  });

  it("a closed landing refuses to commit, and closing twice is harmless", async () => {
    const landing = await landingOn();
    await landing.close();
    await landing.close();
    await assert.rejects(landing.commit(batch([1], "mqtt:t7/d1/0"), AT), /the landing is closed/);
  });

  it("refuses an in-memory database: its offsets would not survive a crash", async () => {
    await assert.rejects(ChannelLanding.open(":memory:"), /needs a warehouse file/);
  });
});
