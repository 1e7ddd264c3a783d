/**
 * What a file load accepts before it reads a row: the formats and the batch size. Apart from the
 * load itself (DuckDB's readers, the row checks), so `scripts/load.ts` refuses a wrong file or flag
 * without loading them.
 */
import { FORMAT_BY_EXTENSION } from "./fileRows.ts";

/**
 * Rows per committed batch. A load holds about two batches (one committing while the next is
 * checked) and a crash costs at most the batch in flight; 10,000 kept a million-row load under
 * 500 MB where 25,000 took ~600 MB (the JS heap grows with what each batch keeps alive), at about
 * the same speed.
 */
export const DEFAULT_BATCH_ROWS = 10_000;

/** The loadable formats, by file extension. */
export const LOADABLE_EXTENSIONS = Object.keys(FORMAT_BY_EXTENSION);
