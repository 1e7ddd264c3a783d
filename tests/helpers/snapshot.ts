/**
 * A tiny file snapshot: Node 20's test runner has none. The committed file is the reviewed
 * expectation; `UPDATE_SNAPSHOTS=1` rewrites it from the current output (review the git diff
 * before committing). A missing file fails, so a new object cannot pass without a reviewed snapshot.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";

export const UPDATING_SNAPSHOTS = process.env.UPDATE_SNAPSHOTS === "1";

/** Compares `actual` to the snapshot at `path` (absolute), or rewrites it under UPDATE_SNAPSHOTS=1. */
export function matchSnapshot(actual: string, path: string, testFile: string): void {
  const shown = relative(process.cwd(), path);
  if (UPDATING_SNAPSHOTS) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  const rerun = `UPDATE_SNAPSHOTS=1 node --import tsx --test ${relative(process.cwd(), testFile)}`;
  if (!existsSync(path)) {
    assert.fail(`snapshot ${shown} does not exist. Create it with \`${rerun}\`, then read it and commit it.`);
  }
  assert.equal(
    actual,
    readFileSync(path, "utf8"),
    `output differs from snapshot ${shown}. If the change is intended, run \`${rerun}\` and review the diff.`,
  );
}
