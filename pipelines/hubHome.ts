/**
 * Where the embedded hub keeps its state: `HUB_HOME` (default `.hub/` in the working directory)
 * holds the DuckDB file, and later the archive, models and reports.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { resolve, join } from "node:path";

export function hubHome(override?: string): string {
  return resolve(override ?? process.env.HUB_HOME ?? ".hub");
}

export function hubDatabasePath(home: string): string {
  return join(home, "hub.duckdb");
}

/**
 * Create HUB_HOME if needed; a clear error when it cannot be written. An existing regular file is
 * refused here too: access(W_OK) says yes to a writable file (and to anything, for root), and the
 * database's own mkdir would then fail with a bare EEXIST.
 */
export function ensureWritableHome(home: string): void {
  const refuse = (why: string, e?: unknown): never => {
    throw new Error(`HUB_HOME ${home} is not writable (${why}); set HUB_HOME to a writable folder`, { cause: e });
  };
  try {
    if (!existsSync(home)) mkdirSync(home, { recursive: true });
    accessSync(home, constants.W_OK);
  } catch (e) {
    refuse((e as NodeJS.ErrnoException).code ?? (e as Error).message, e);
  }
  if (!statSync(home).isDirectory()) refuse("ENOTDIR: it is a file, not a folder");
}

/** DuckDB allows one writing process per file; say so plainly when another has it. */
export function explainOpenError(path: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  if (/lock/i.test(msg)) {
    return new Error(`the hub database ${path} is in use by another process (is \`npm start\` running?). Stop it, or set HUB_HOME to another folder.`, { cause: e });
  }
  if (/not a valid DuckDB database|Corrupt|checksum|IO Error/i.test(msg)) {
    return new Error(`the hub database ${path} cannot be read (${msg.split("\n")[0]}). Move it away or start over with --fresh.`, { cause: e });
  }
  return e instanceof Error ? e : new Error(msg);
}
