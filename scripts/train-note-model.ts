#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Rebuild the offline note-triage model (issue 28) from the training part of the labelled notes:
 * deterministic, so running it on an unchanged set rewrites the shipped file byte for byte.
 * `--check` compares instead of writing (exit 1 when the shipped model is stale).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { runCommand, UserError } from "./lib/command.ts";
import { NOTE_MODEL_PATH } from "../ml/notes/offlineBackend.ts";
import { trainNoteModel } from "../ml/notes/noteModel.ts";
import { loadNoteSet, NOTE_SET_PATH, NoteSetError, splitNoteSet } from "../ml/notes/noteSet.ts";
import { PROJECT_DIR } from "./lib/optionValues.ts";

/** The defaults are the package's own files, wherever the script is run from; a path given is the caller's (relative to the working directory). */
const shown = (p: string) => relative(PROJECT_DIR, p);

await runCommand({
  name: "train-note-model",
  description: "retrain the offline note-triage model from the training part of the labelled notes (the held-back part is never read for training)",
  usage: "./scripts/train-note-model.ts [--notes FILE] [--out FILE] [--check]",
  options: {
    notes: { type: "string", description: `labelled notes, JSON lines (default: ${shown(NOTE_SET_PATH)})` },
    out: { type: "string", description: `where to write the model (default: ${shown(NOTE_MODEL_PATH)})` },
    check: { type: "boolean", description: "do not write: exit 1 if the file at --out differs from a fresh training" },
  },
  examples: ["./scripts/train-note-model.ts", "./scripts/train-note-model.ts --check"],
  run: async ({ options }) => {
    const notesPath = options.notes ? resolve(options.notes) : NOTE_SET_PATH;
    const outPath = options.out ? resolve(options.out) : NOTE_MODEL_PATH;
    let notes;
    try {
      notes = loadNoteSet(notesPath);
    } catch (e) {
      if (e instanceof NoteSetError || (e as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`--notes ${notesPath}: ${(e as Error).message}`);
      throw e;
    }
    const { training, heldBack } = splitNoteSet(notes);
    const model = trainNoteModel(training);
    const text = `${JSON.stringify(model)}\n`;
    const cv = model.safety.cv;
    const line = `trained on ${training.length} notes (${heldBack.length} held back); safety threshold ${model.safety.threshold.toFixed(4)} from ${cv.folds}-fold CV: recall ${cv.recall}, precision ${cv.precision} (target recall ≥ ${cv.recallTarget})`;
    if (options.check) {
      let shipped = "";
      try {
        shipped = readFileSync(outPath, "utf8");
      } catch {
        // missing counts as stale
      }
      if (shipped !== text) throw new UserError(`${outPath} is not what training gives now; run ./scripts/train-note-model.ts`);
      console.log(`${outPath} is up to date; ${line}`);
      return;
    }
    writeFileSync(outPath, text);
    console.log(`wrote ${outPath} (${Math.round(text.length / 1024)} KB); ${line}`);
  },
});
