/**
 * The embedded default's note-insight backend (issue 28): a model shipped with the hub that runs
 * offline. Placeholder until the offline model lands: it refuses, by name, rather than invent answers.
 */
import type { NoteInsightBackend } from "./insightContract.ts";

export interface OfflineNoteBackendOptions {
  /** Where the shipped model's data lives; default: the copy inside the package. */
  readonly modelPath?: string;
}

export function createOfflineNoteBackend(_options: OfflineNoteBackendOptions = {}): NoteInsightBackend {
  throw new Error("the offline note-insight model is not built yet (issue 28)");
}
