/**
 * The labelled note set, its fixed split, and the training of the offline note model (issue 28):
 * the held-back part is the one the docs report on, so it may not drift; the shipped model is what
 * training on the training part gives, byte for byte.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { NOTE_MODEL_PATH } from "../../ml/notes/offlineBackend.ts";
import { chooseThreshold, trainNoteModel } from "../../ml/notes/noteModel.ts";
import { evaluateNoteBackend } from "../../ml/notes/evaluateNoteBackend.ts";
import type { NoteInsightBackend } from "../../ml/notes/insightContract.ts";
import { heldBackScenarios, loadNoteSet, NoteSetError, splitNoteSet } from "../../ml/notes/noteSet.ts";
import { SoftmaxScorer, trainSoftmax } from "../../ml/notes/softmaxRegression.ts";

const notes = loadNoteSet();

describe("the labelled operator notes", () => {
  it("hold at least 300 notes, at least 100 per language, with concerns and needs in each", () => {
    assert.ok(notes.length >= 300, `${notes.length} notes`);
    for (const lang of ["en", "es", "fr"] as const) {
      const mine = notes.filter((n) => n.language === lang);
      assert.ok(mine.length >= 100, `${lang}: ${mine.length}`);
      assert.ok(mine.filter((n) => n.safety_concern).length >= 30, `${lang}: concerns`);
      assert.ok(mine.filter((n) => n.unmet_need !== null).length >= 15, `${lang}: needs`);
    }
  });

  it("hold back the same 39 scenarios as when the model was built, never splitting a scenario", () => {
    // The figures in docs/note-insights-model.md are on exactly these; changing the rule or the set's
    // scenarios must be a visible decision, not a side effect.
    assert.deepEqual([...heldBackScenarios(notes)].sort(), ["s004", "s005", "s008", "s009", "s010", "s011", "s012", "s013", "s018", "s019", "s056", "s058", "s059", "s060", "s061", "s062", "s063", "s068", "s069", "s070", "s071", "s072", "s073", "s074", "s075", "s076", "s078", "s079", "s080", "s081", "s082", "s083", "s084", "s085", "s086", "s087", "s088", "s089", "s210"]);
    const { training, heldBack } = splitNoteSet(notes);
    const trainScenarios = new Set(training.map((n) => n.scenario));
    assert.ok(heldBack.every((n) => !trainScenarios.has(n.scenario)));
    assert.equal(training.length + heldBack.length, notes.length);
    assert.ok(heldBack.filter((n) => n.safety_concern).length >= 30);
  });

  it("refuse a malformed line by line number, field and value", () => {
    const dir = mkdtempSync(join(tmpdir(), "notes-"));
    try {
      const good = JSON.stringify(notes[0]);
      const cases: [string, RegExp][] = [
        [JSON.stringify({ ...notes[0], language: "de" }), /line 1: language "de" is not one of en, es, fr/],
        [JSON.stringify({ ...notes[0], safety_concern: "yes" }), /line 1: safety_concern "yes" is not true or false/],
        [JSON.stringify({ ...notes[0], unmet_need: "coffee" }), /line 1: unmet_need "coffee" is not null or one of/],
        [`${good}\n${good}`, /line 2: id en-001 appears twice/],
        [JSON.stringify({ ...notes[0], safety_concern: true, safety_phrase: "not in the text" }), /line 1: safety_phrase "not in the text" is not in the text/],
      ];
      for (const [content, message] of cases) {
        const path = join(dir, "set.jsonl");
        writeFileSync(path, content);
        assert.throws(() => loadNoteSet(path), (e: unknown) => e instanceof NoteSetError && message.test(e.message), String(message));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("training the note model", () => {
  it("chooses the threshold with the best precision among those reaching the recall target", () => {
    const scored = [
      { p: 0.9, positive: true }, { p: 0.8, positive: true }, { p: 0.7, positive: false },
      { p: 0.6, positive: true }, { p: 0.4, positive: false }, { p: 0.3, positive: true },
    ];
    // Recall 1 needs t = 0.3 (precision 4/6); 0.75 is reached at 0.6 (3/4), the better precision.
    assert.deepEqual(chooseThreshold(scored, 0.75), { threshold: 0.6, recall: 0.75, precision: 0.75 });
    assert.equal(chooseThreshold(scored, 1).threshold, 0.3);
    assert.throws(() => chooseThreshold([{ p: 0.5, positive: false }], 0.9), /no positive examples/);
  });

  it("learns a separable problem and refuses a label outside its classes", () => {
    const ex = (words: string[], label: string) => ({ features: new Set(words), label });
    const data = [ex(["guard", "off"], "c"), ex(["guard", "removed"], "c"), ex(["all", "ok"], "n"), ex(["ok", "done"], "n"), ex(["guard", "off", "now"], "c"), ex(["done", "all"], "n")];
    const m = new SoftmaxScorer(trainSoftmax(data, ["n", "c"], { minCount: 1 }));
    assert.ok(m.probabilities(new Set(["guard"]))[1]! > 0.5);
    assert.ok(m.probabilities(new Set(["ok"]))[1]! < 0.5);
    assert.throws(() => trainSoftmax([ex(["a"], "x")], ["n", "c"]), /example 0: label "x" is not one of n, c/);
  });

  it("train-note-model refuses a bad notes file by line and field, with exit code 1 and nothing written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "notes-cli-"));
    try {
      const bad = join(dir, "bad.jsonl");
      writeFileSync(bad, `${JSON.stringify(notes[0])}\n${JSON.stringify({ ...notes[1], sentiment: "angry" })}\n`);
      const out = join(dir, "model.json");
      const r = await promisify(execFile)(join(process.cwd(), "scripts", "train-note-model.ts"), ["--notes", bad, "--out", out]).then(
        () => ({ code: 0, stderr: "" }),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /--notes .*bad\.jsonl: line 2: sentiment "angry" is not one of positive, neutral, negative/);
      assert.throws(() => readFileSync(out), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ships exactly the model that training on the training part gives", () => {
    const fresh = `${JSON.stringify(trainNoteModel(splitNoteSet(notes).training))}\n`;
    assert.ok(fresh === readFileSync(NOTE_MODEL_PATH, "utf8"), "the shipped model is stale: run ./scripts/train-note-model.ts");
  });
});

describe("evaluating a backend", () => {
  it("counts precision, recall and per-language sentiment the way the docs report them", async () => {
    const set = [notes.find((n) => n.language === "en" && n.safety_concern)!, notes.find((n) => n.language === "en" && !n.safety_concern)!, notes.find((n) => n.language === "es" && n.safety_concern)!, notes.find((n) => n.language === "fr" && !n.safety_concern)!];
    // Flags everything, says "negative", "en", no need: 2 true and 2 false flags, no concern missed.
    const flagsAll: NoteInsightBackend = {
      model: "test:flags-all",
      analyse: async (input) => input.map((n) => ({ language: "en", sentiment: "negative", safety_concern: true, safety_phrase: n.text.slice(0, 5), unmet_need: null, summary: "x", model: "test:flags-all", latency_ms: 0 })),
    };
    const e = await evaluateNoteBackend(flagsAll, set);
    assert.deepEqual([e.safety.tp, e.safety.fp, e.safety.fn, e.safety.tn], [2, 2, 0, 0]);
    assert.equal(e.safety.recall, 1);
    assert.equal(e.safety.precision, 0.5);
    assert.equal(e.safety.meetsTarget, false);
    assert.equal(e.languageAccuracy, 0.5);
    const expectNegative = (lang: string) => set.filter((n) => n.language === lang && n.sentiment === "negative").length / set.filter((n) => n.language === lang).length;
    assert.equal(e.sentimentAccuracy.en, expectNegative("en"));
    assert.equal(e.sentimentAccuracy.fr, expectNegative("fr"));
    assert.ok(e.misses.some((m) => m.field === "language" && m.expected === "es"));
  });

  it("refuses a backend that answers fewer notes than it was given", async () => {
    const short: NoteInsightBackend = { model: "test:short", analyse: async () => [] };
    await assert.rejects(evaluateNoteBackend(short, notes.slice(0, 3)), /test:short: 0 answers for 3 notes/);
  });
});
