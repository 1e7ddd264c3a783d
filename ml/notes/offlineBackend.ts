/**
 * The embedded default's note-insight backend (issue 28): the shipped note-triage model
 * (noteModel.ts), read once from `data/note-model.json` inside the package and run in-process.
 * Nothing is downloaded; every answer goes through `parseNoteInsight`, as Bedrock's do.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MAX_NOTE_CHARS, NoteInsightError, parseNoteInsight, type NoteInput, type NoteInsightBackend, type NoteInsightResult } from "./insightContract.ts";
import { NOTE_MODEL_FORMAT, NoteTriageModel, type NoteModelData } from "./noteModel.ts";

export const NOTE_MODEL_PATH = fileURLToPath(new URL("./data/note-model.json", import.meta.url));
export const OFFLINE_MODEL_NAME = `offline:${NOTE_MODEL_FORMAT}`;

export interface OfflineNoteBackendOptions {
  /** Where the shipped model's data lives; default: the copy inside the package. */
  readonly modelPath?: string;
}

export function loadNoteModel(path: string = NOTE_MODEL_PATH): NoteTriageModel {
  let data: NoteModelData;
  try {
    data = JSON.parse(readFileSync(path, "utf8")) as NoteModelData;
  } catch (e) {
    throw new Error(`note model ${path}: ${(e as Error).message} (rebuild it with scripts/train-note-model.ts)`);
  }
  return new NoteTriageModel(data);
}

export function createOfflineNoteBackend(options: OfflineNoteBackendOptions = {}): NoteInsightBackend {
  const model = loadNoteModel(options.modelPath);
  return {
    model: OFFLINE_MODEL_NAME,
    async analyse(notes: readonly NoteInput[]): Promise<NoteInsightResult[]> {
      return notes.map((note, i) => {
        if (typeof note.text !== "string") throw new NoteInsightError("text", note.text, `notes[${i}].text: not a string`);
        // The contract refuses a longer note at intake; one that gets here anyway is refused, not cut.
        if (note.text.length > MAX_NOTE_CHARS) {
          throw new NoteInsightError("text", `${note.text.length} characters`, `notes[${i}].text: ${note.text.length} characters, at most ${MAX_NOTE_CHARS}`);
        }
        const t0 = performance.now();
        const { languageConfidence: _c, safetyProbability: _p, ...insight } = model.triage(note);
        const checked = parseNoteInsight(insight, note.text);
        return { ...checked, model: OFFLINE_MODEL_NAME, latency_ms: Number((performance.now() - t0).toFixed(3)) };
      });
    },
  };
}
