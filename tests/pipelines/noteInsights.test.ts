/**
 * The note flow on the twin (issue 28): notes landed in RAW.OPERATOR_NOTES become ML.NOTE_INSIGHTS
 * through OPS.ANALYSE_NOTES and the external function ML.ANALYSE_NOTE, resolved to a small
 * deterministic test backend (tests/helpers/noteTestBackend.ts); a safety concern notifies once; a
 * failing backend or an answer outside the schema loses no note: it is retried on the next run,
 * counted, and given up after NOTE_MAX_ATTEMPTS with its error, which the tenant can read.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, testEngine } from "../helpers/engine.ts";
import { testNoteBackend } from "../helpers/noteTestBackend.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { parseNote, MAX_NOTE_TEXT_CHARS } from "../../pipelines/notes/noteRecords.ts";
import { NOTE_MAX_ATTEMPTS, NOTE_SAFETY_RULE_ID } from "../../pipelines/definitions/notes.ts";
import { ANALYSE_NOTE_FUNCTION, noteAnalysisResolver } from "../../ml/notes/noteResolver.ts";
import { MAX_NOTE_CHARS } from "../../ml/notes/insightContract.ts";
import { MASKED_VALUE } from "../../pipelines/definitions/governance.ts";

let engine: EmbeddedEngine;
let clock: SimulatedClock;
const backend = testNoteBackend();

function note(tenant: string, device: string, text: string, ts: string, author = "op-12") {
  return parseNote({ site_id: "s1", device_id: device, author_id: author, note_ts: ts, kind: "maintenance", text }, tenant, "test", clock.now());
}

/** One minute on, and the due tasks run. */
async function nextRun(): Promise<void> {
  clock.advance(60_000);
  await engine.tick();
}

before(async () => {
  ({ engine, clock } = await testEngine());
  engine.resolveExternalFunction(ANALYSE_NOTE_FUNCTION, noteAnalysisResolver(() => backend));
});
after(async () => engine.close());

describe("notes to insights", () => {
  it("analyses each new note once into ML.NOTE_INSIGHTS, with the model and its latency", async () => {
    await engine.land({ notes: [
      note("acme", "m-001", "Oil leak under the press, need absorbent pads", "2026-01-05T07:50:00Z"),
      note("acme", "m-002", "Spindle broken again", "2026-01-05T07:55:00Z"),
      note("globex", "m-100", "Fuite d'huile sur la presse", "2026-01-05T07:56:00Z"),
    ] });
    await nextRun();
    const rows = await adminQuery(engine, "SELECT tenant_id, device_id, language, sentiment, safety_concern, safety_phrase, unmet_need, model, latency_ms FROM ML.NOTE_INSIGHTS ORDER BY device_id");
    assert.deepEqual(rows, [
      { tenant_id: "acme", device_id: "m-001", language: "en", sentiment: "neutral", safety_concern: true, safety_phrase: "oil leak", unmet_need: "absorbent", model: "test:rules-v1", latency_ms: 3 },
      { tenant_id: "acme", device_id: "m-002", language: "en", sentiment: "negative", safety_concern: false, safety_phrase: null, unmet_need: null, model: "test:rules-v1", latency_ms: 3 },
      { tenant_id: "globex", device_id: "m-100", language: "fr", sentiment: "neutral", safety_concern: true, safety_phrase: "fuite d'huile", unmet_need: null, model: "test:rules-v1", latency_ms: 3 },
    ]);
  });

  it("raises one CRITICAL NOTE_SAFETY notification per concerned note, carrying the phrase", async () => {
    const alerts = await adminQuery<{ tenant_id: string; device_id: string; severity: string; message: string }>(engine,
      `SELECT tenant_id, device_id, severity, message FROM OPS.ALERT_NOTIFICATIONS WHERE rule_id = '${NOTE_SAFETY_RULE_ID}' ORDER BY tenant_id`);
    assert.deepEqual(alerts.map((a) => [a.tenant_id, a.device_id, a.severity]), [["acme", "m-001", "CRITICAL"], ["globex", "m-100", "CRITICAL"]]);
    assert.match(alerts[0]!.message, /NOTE_SAFETY on m-001 at 2026-01-05 07:50:00: "oil leak" \(note [0-9a-f]{32}\)/);
  });

  it("a note sent again (same key) is neither analysed nor notified twice", async () => {
    const calls = backend.calls;
    await engine.land({ notes: [note("acme", "m-001", "Oil leak under the press, need absorbent pads", "2026-01-05T07:50:00Z")] });
    await nextRun();
    assert.equal(backend.calls, calls);
    const [n] = await adminQuery<{ n: bigint }>(engine, `SELECT COUNT(*) AS n FROM OPS.ALERT_NOTIFICATIONS WHERE rule_id = '${NOTE_SAFETY_RULE_ID}'`);
    assert.equal(Number(n!.n), 2);
    const [i] = await adminQuery<{ n: bigint }>(engine, "SELECT COUNT(*) AS n FROM ML.NOTE_INSIGHTS");
    assert.equal(Number(i!.n), 3);
  });

  it("the task does not run (SKIPPED, no warehouse) when no note and no failure is new", async () => {
    clock.advance(60_000);
    const r = await engine.tick();
    assert.deepEqual(r.tasks.filter((t) => t.name === "OPS.ANALYSE_NOTES").map((t) => t.state), ["SKIPPED"]);
  });
});

describe("failures lose no note", () => {
  it("a backend failure is recorded per note, retried on each next run and given up after NOTE_MAX_ATTEMPTS with its error", async () => {
    await engine.land({ notes: [note("acme", "m-003", "BACKEND_DOWN test", "2026-01-05T08:01:00Z"), note("acme", "m-004", "Guard removed on the saw", "2026-01-05T08:01:00Z")] });
    for (let i = 0; i < NOTE_MAX_ATTEMPTS + 2; i++) await nextRun();
    const failures = await adminQuery<{ attempt: bigint; error: string; given_up: boolean }>(engine,
      "SELECT attempt, error, given_up FROM OPS.NOTE_INSIGHT_FAILURES WHERE device_id = 'm-003' ORDER BY attempt");
    assert.deepEqual(failures.map((f) => [Number(f.attempt), f.given_up]), [[1, false], [2, false], [3, true]]);
    for (const f of failures) assert.equal(f.error, "backend unreachable");
    // The other note of the same batch was answered: a failure is per note.
    const [ok] = await adminQuery<{ safety_phrase: string }>(engine, "SELECT safety_phrase FROM ML.NOTE_INSIGHTS WHERE device_id = 'm-004'");
    assert.equal(ok!.safety_phrase, "guard removed");
  });

  // Snowflake advances a stream consumed in a transaction "to the beginning timestamp of the
  // transaction" (CREATE STREAM, usage notes): the failure rows the run wrote itself are after the
  // new offset, so the failures stream has data and the very next run retries. The twin likewise
  // advances to what the stream showed when the transaction opened.
  it("a failure the run wrote in its own transaction wakes the task on the very next run, not later", async () => {
    await engine.land({ notes: [note("acme", "m-009", "BACKEND_DOWN next-run test", "2026-01-05T09:30:00Z")] });
    const attempts = async () => (await adminQuery<{ n: bigint }>(engine, "SELECT COUNT(*) AS n FROM OPS.NOTE_INSIGHT_FAILURES WHERE device_id = 'm-009'"))[0]!.n;
    await nextRun();
    assert.equal(Number(await attempts()), 1);
    await nextRun();
    assert.equal(Number(await attempts()), 2, "the second attempt is one run later");
  });

  it("an answer outside the schema is a failure naming the field and the value", async () => {
    await engine.land({ notes: [note("acme", "m-005", "SCHEMA_BREAK", "2026-01-05T08:10:00Z")] });
    await nextRun();
    const [f] = await adminQuery<{ error: string }>(engine, "SELECT error FROM OPS.NOTE_INSIGHT_FAILURES WHERE device_id = 'm-005'");
    assert.match(f!.error, /sentiment: "furious" is not one of positive, neutral, negative/);
  });

  it("the tenant reads its own notes (author masked), insights and failures, and no other tenant's", async () => {
    await engine.grantTenantRole("acme");
    const s = await engine.session({ role: "TENANT_ACME_ROLE" });
    try {
      const notes = await s.query<{ tenant_id: string; author_id: string }>("SELECT tenant_id, author_id FROM RAW.OPERATOR_NOTES");
      assert.ok(notes.length > 0 && notes.every((n) => n.tenant_id === "acme" && n.author_id === MASKED_VALUE));
      const insights = await s.query<{ tenant_id: string }>("SELECT tenant_id FROM ML.NOTE_INSIGHTS");
      assert.ok(insights.length > 0 && insights.every((n) => n.tenant_id === "acme"));
      const failed = await s.query<{ given_up: boolean }>("SELECT given_up FROM OPS.NOTE_INSIGHT_FAILURES WHERE device_id = 'm-003' AND given_up");
      assert.equal(failed.length, 1);
    } finally {
      await s.close();
    }
  });

  it("without a backend configured, notes are recorded as failed, not lost and not a failed task", async () => {
    const { engine: bare, clock: c } = await testEngine();
    try {
      await bare.land({ notes: [parseNote({ site_id: "s1", device_id: "m-1", author_id: "op-1", note_ts: "2026-01-05T07:00:00Z", kind: "shift", text: "ok" }, "acme", "test", c.now())] });
      c.advance(60_000);
      const r = await bare.tick();
      assert.deepEqual(r.tasks.filter((t) => t.name === "OPS.ANALYSE_NOTES").map((t) => t.state), ["SUCCEEDED"]);
      const [f] = await adminQuery<{ error: string }>(bare, "SELECT error FROM OPS.NOTE_INSIGHT_FAILURES");
      assert.match(f!.error, /no backend is configured for ML.ANALYSE_NOTE/);
    } finally {
      await bare.close();
    }
  });

  it("a backend that cannot be made (the offline model missing) fails each note with that reason", async () => {
    const resolver = noteAnalysisResolver(() => { throw new Error("the model file is missing"); });
    assert.deepEqual(await resolver([["shift", "a"], ["shift", "b"]]), [
      { error: "the note-insight backend is unavailable: the model file is missing" },
      { error: "the note-insight backend is unavailable: the model file is missing" },
    ]);
  });
});

describe("a note at intake", () => {
  const now = new Date("2026-01-05T08:00:00Z");
  const good = { site_id: "s1", device_id: "m-001", author_id: "op-12", note_ts: "2026-01-05T07:00:00Z", kind: "shift", text: "fine" };
  it("the intake limit is the contract's", () => assert.equal(MAX_NOTE_TEXT_CHARS, MAX_NOTE_CHARS));
  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ["an unknown field", { ...good, operator_name: "Jo" }, /operator_name: not a field of a note/],
    ["another tenant's id", { ...good, tenant_id: "globex" }, /tenant_id: "globex" is not the tenant of the credential \(acme\)/],
    ["a device id a spreadsheet would run", { ...good, device_id: "=cmd()" }, /device_id: "=cmd\(\)" is not a device id.*formula/],
    ["a time without its zone", { ...good, note_ts: "2026-01-05T07:00:00" }, /note_ts: "2026-01-05T07:00:00" is not a UTC ISO 8601 time/],
    ["a time two days ahead", { ...good, note_ts: "2026-01-07T09:00:00Z" }, /more than a day in the future/],
    ["another kind", { ...good, kind: "memo" }, /kind: "memo" is not one of shift, maintenance/],
    ["another language", { ...good, language: "de" }, /language: "de" is not one of en, es, fr/],
    ["an empty text", { ...good, text: "  " }, /text: "  " is not a non-empty string/],
    ["a text one character too long (refused, not cut)", { ...good, text: "x".repeat(MAX_NOTE_TEXT_CHARS + 1) }, /text: 4001 characters, at most 4000/],
    ["a missing author", { ...good, author_id: undefined }, /author_id: missing is not text/],
  ];
  for (const [what, value, message] of refusals) it(`refuses ${what}`, () => assert.throws(() => parseNote(value, "acme", "http", now), message));
  it("accepts a text of exactly the limit, and keys equal notes equally", () => {
    const a = parseNote({ ...good, text: "x".repeat(MAX_NOTE_TEXT_CHARS) }, "acme", "http", now);
    const b = parseNote({ ...good, text: "x".repeat(MAX_NOTE_TEXT_CHARS), language: "en" }, "acme", "file:x", now);
    assert.equal(a.text.length, MAX_NOTE_TEXT_CHARS);
    assert.equal(a.noteId, b.noteId);
    assert.notEqual(a.noteId, parseNote(good, "globex", "http", now).noteId);
  });
});
