/**
 * Lock files the registry's lock (edge/fileLock.ts) may find at its path besides a live or dead
 * holder's: one naming this very process (left by an earlier process with the same pid, as after a
 * container restart, where pids repeat), a dangling symbolic link, a folder, text that is no pid.
 * Each must end in the lock taken or a clear error naming the path, within the wait bound: never
 * a hang (the wait blocks the thread, and with it everything serve does), never a silent loop.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withFileLock } from "../../edge/fileLock.ts";

const lockIn = () => join(mkdtempSync(join(tmpdir(), "hub-lock-")), "devices.json.lock");

describe("what the registry's lock file may be", () => {
  it("a lock naming this process, which does not hold it, is an earlier process's with the same pid: taken over at once", () => {
    const lock = lockIn();
    writeFileSync(lock, String(process.pid));
    const started = Date.now();
    assert.equal(withFileLock(lock, () => "ran", { timeoutMs: 5_000 }), "ran");
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms: it waited for itself`);
    assert.equal(existsSync(lock), false);
  });

  it("a change inside a change of the same file, in one process, runs within the lock it holds, and the lock is released once", () => {
    const lock = lockIn();
    const started = Date.now();
    assert.equal(withFileLock(lock, () => withFileLock(lock, () => "inner", { timeoutMs: 5_000 })), "inner");
    assert.ok(Date.now() - started < 1_000, "the inner call did not wait for the outer");
    assert.equal(existsSync(lock), false);
    // And the lock works again afterwards.
    assert.equal(withFileLock(lock, () => "again"), "again");
  });

  it("a dangling symbolic link at the lock's path is an error naming the path, within the wait bound, not an endless loop", () => {
    const lock = lockIn();
    symlinkSync(join(lock, "..", "nowhere"), lock);
    const started = Date.now();
    assert.throws(() => withFileLock(lock, () => assert.fail("ran without the lock"), { timeoutMs: 300 }), (e: Error) => e.message.includes(lock));
    assert.ok(Date.now() - started < 2_000, `${Date.now() - started} ms`);
  });

  it("a folder at the lock's path is an error naming the path", () => {
    const lock = lockIn();
    mkdirSync(lock);
    assert.throws(() => withFileLock(lock, () => assert.fail("ran without the lock"), { timeoutMs: 300 }), (e: Error) => e.message.includes(lock));
  });

  it("text that is no pid is a lock being written: waited for and named, then taken over once older than staleMs", () => {
    for (const text of ["", "abc", "-1", "0", "1.5", "x".repeat(100_000)]) {
      const lock = lockIn();
      writeFileSync(lock, text);
      assert.throws(() => withFileLock(lock, () => assert.fail("ran"), { timeoutMs: 100 }), /is held by process \(starting\)/, JSON.stringify(text.slice(0, 20)));
      const old = new Date(Date.now() - 120_000);
      utimesSync(lock, old, old);
      assert.equal(withFileLock(lock, () => "ran", { timeoutMs: 100 }), "ran", JSON.stringify(text.slice(0, 20)));
    }
  });
});
