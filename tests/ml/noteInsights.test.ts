/**
 * The offline note-insight backend (issue 28): the contract on every labelled note, the issue's
 * accuracy target on the held-back notes (fixed data, so a fixed answer), hostile inputs and
 * determinism. No timings here: notes per second is in `npm run bench -- --only notes`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_NOTE_CHARS, NOTE_LANGUAGES, NoteInsightError, parseNoteInsight, type NoteInput, type NoteInsightResult } from "../../ml/notes/insightContract.ts";
import { createOfflineNoteBackend, loadNoteModel, OFFLINE_MODEL_NAME } from "../../ml/notes/offlineBackend.ts";
import { evaluateNoteBackend, SAFETY_TARGET } from "../../ml/notes/evaluateNoteBackend.ts";
import { loadNoteSet, splitNoteSet } from "../../ml/notes/noteSet.ts";

const backend = createOfflineNoteBackend();
const model = loadNoteModel();
const notes = loadNoteSet();

async function one(text: string, kind: NoteInput["kind"] = "shift"): Promise<NoteInsightResult> {
  const [r] = await backend.analyse([{ kind, text }]);
  return r!;
}

function insightOf(r: NoteInsightResult) {
  const { model: _m, latency_ms: _l, ...insight } = r;
  return insight;
}

describe("offline note backend: the contract", () => {
  it("answers every note of the labelled set, in order, each answer accepted by parseNoteInsight", async () => {
    const answers = await backend.analyse(notes.map((n) => ({ kind: n.kind, text: n.text })));
    assert.equal(answers.length, notes.length);
    for (const [i, a] of answers.entries()) {
      assert.equal(a.model, OFFLINE_MODEL_NAME);
      assert.ok(a.latency_ms >= 0 && Number.isFinite(a.latency_ms), `${notes[i]!.id}: latency ${a.latency_ms}`);
      assert.deepEqual(parseNoteInsight(insightOf(a), notes[i]!.text), insightOf(a), notes[i]!.id);
    }
  });

  it("meets the issue's target on the held-back notes: safety recall >= 0.9 at precision >= 0.7", async () => {
    const { heldBack } = splitNoteSet(notes);
    const e = await evaluateNoteBackend(backend, heldBack);
    assert.ok(e.safety.recall >= SAFETY_TARGET.recall, `recall ${e.safety.recall}`);
    assert.ok(e.safety.precision >= SAFETY_TARGET.precision, `precision ${e.safety.precision}`);
    // Floors a little under what the shipped model measures (docs/note-insights-model.md), so a
    // retrained model that gets clearly worse fails here rather than in a reader's hands.
    assert.ok(e.languageAccuracy >= 0.97, `language ${e.languageAccuracy}`);
    for (const lang of NOTE_LANGUAGES) assert.ok(e.sentimentAccuracy[lang] >= 0.75, `sentiment ${lang} ${e.sentimentAccuracy[lang]}`);
    assert.ok(e.unmetNeedAccuracy >= 0.9, `unmet need ${e.unmetNeedAccuracy}`);
  });
});

describe("offline note backend: what it answers", () => {
  it("quotes the safety phrase from the note's own words, case kept, even across line breaks and odd spaces", async () => {
    const text = "Press 2 handover.\nFound the Guard \n\t  was   REMOVED on press 2, put back.";
    const r = await one(text);
    assert.equal(r.safety_concern, true);
    assert.equal(r.safety_phrase, "Guard was REMOVED");
    assert.ok(!/[\r\n]/.test(r.summary));
  });

  it("tells a negated check from a hazard in all three languages", async () => {
    for (const text of ["Compressor C2 oil changed, no leaks found.", "Revisión hecha, sin fugas.", "Contrôle fait, pas de fuite.", "No safety issues this shift, all guards in place."]) {
      assert.equal((await one(text, "maintenance")).safety_concern, false, text);
    }
    for (const text of ["Contractor on the roof with no harness.", "Un operario sin gafas en la amoladora.", "Un intérimaire sans lunettes à la meuleuse."]) {
      assert.equal((await one(text)).safety_concern, true, text);
    }
  });

  it("flags a breakdown without a hazard as negative but not a safety concern, with the part it waits for", async () => {
    const r = await one("Conveyor 9 gearbox seized, line down, waiting for a spare gearbox from the supplier.");
    assert.deepEqual([r.safety_concern, r.sentiment, r.unmet_need], [false, "negative", "spare parts"]);
  });

  it("answers an empty, blank or emoji-only note without inventing anything", async () => {
    for (const text of ["", "   \n\t ", "🔥🔥🔥"]) {
      const r = await one(text);
      assert.deepEqual([r.language, r.sentiment, r.safety_concern, r.safety_phrase, r.unmet_need], ["en", "neutral", false, null, null], JSON.stringify(text));
      assert.ok(r.summary.length > 0);
    }
    assert.equal(model.language("").confidence, 0);
  });

  it("takes a note of exactly the longest length and refuses a longer one by field", async () => {
    const long = "Guard removed on press 3. ".repeat(200).slice(0, MAX_NOTE_CHARS);
    const r = await one(long);
    assert.equal(r.safety_concern, true);
    assert.ok(r.summary.length <= 200);
    await assert.rejects(backend.analyse([{ kind: "shift", text: `${long}x` }]), (e: unknown) => e instanceof NoteInsightError && e.field === "text" && /4001 characters, at most 4000/.test(e.message));
  });

  it("reads markup and SQL as words: the phrase and summary still come from the note", async () => {
    const text = "<b>guard removed</b> on press 4'; DROP TABLE ML.NOTE_INSIGHTS; -- <script>alert(1)</script>";
    const r = await one(text);
    assert.equal(r.safety_concern, true);
    assert.ok(text.toLowerCase().includes(r.safety_phrase!.toLowerCase()));
    assert.ok(r.summary.length <= 200 && !/[\r\n]/.test(r.summary));
  });

  it("answers a note in another language with the closest of en/es/fr, less sure than for a note in one of them", async () => {
    const german = model.language("Die Schutzhaube an der Presse wurde entfernt und nicht wieder angebracht.");
    const english = model.language("The guard on press 3 was removed and not put back.");
    assert.ok((NOTE_LANGUAGES as readonly string[]).includes(german.language));
    assert.ok(german.confidence < 0.6, `German confidence ${german.confidence}`);
    assert.ok(english.confidence > 0.9 && english.language === "en", `English ${JSON.stringify(english)}`);
  });

  it("reads shouting, typos and shorthand", async () => {
    assert.equal((await one("LATHE 4 RUNNING W/O CHIP SHIELD")).safety_concern, true);
    assert.equal((await one("compresor C3 trip on high temp x2, agian")).sentiment, "negative");
    assert.equal((await one("RAS")).safety_concern, false);
  });

  it("gives the same answer to the same note, from one backend or two", async () => {
    const input = notes.slice(0, 40).map((n) => ({ kind: n.kind, text: n.text }));
    const a = (await backend.analyse(input)).map(insightOf);
    const b = (await backend.analyse(input)).map(insightOf);
    const c = (await createOfflineNoteBackend().analyse(input)).map(insightOf);
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
  });

  it("names the file and the script when the shipped model is missing", () => {
    assert.throws(() => createOfflineNoteBackend({ modelPath: "/nonexistent/note-model.json" }), /\/nonexistent\/note-model\.json: .*scripts\/train-note-model\.ts/);
  });
});
