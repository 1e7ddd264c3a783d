/**
 * A lock file for a read-modify-write of a small shared file by several processes (the device
 * registry: `serve`, `provision` and `npm start` each change devices.json). Synchronous, as its
 * callers are: waiting blocks the thread for a few milliseconds at a time.
 *
 * The lock is a file created with O_EXCL holding the owner's pid. A lock whose owner is gone (a
 * process killed while holding it) is taken over: on one machine a pid that `kill(pid, 0)` cannot
 * find holds nothing. A lock older than `staleMs` is taken over too, in case the pid was reused.
 * It is a lock between processes, one holder per process: the hub changes the registry on its main
 * thread only (no worker thread imports it), so a lock naming this process is held by this thread.
 */
import { closeSync, lstatSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { processAlive } from "../pipelines/processAlive.ts";

export interface FileLockOptions {
  /** How long to wait for another process's lock before failing (default 10 s). */
  readonly timeoutMs?: number;
  /** A lock older than this is a crashed holder's, whatever its pid (default 60 s; a holder keeps it for milliseconds). */
  readonly staleMs?: number;
}

/** The lock paths this process holds now (a change inside a change of the same file runs within it). */
const held = new Set<string>();

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

interface Holder {
  readonly pid: number;
  readonly ageMs: number;
  /** Its owner is gone, or it is older than staleMs. */
  readonly stale: boolean;
  /** What identifies this lock file, so a stale one is removed only if it is still the same file. */
  readonly stamp: string;
}

/** Who holds `lockPath`, or null if the file is gone. */
function holder(lockPath: string, staleMs: number): Holder | null {
  let text: string;
  let stamp: string;
  let ageMs: number;
  try {
    const st = statSync(lockPath);
    if (!st.isFile()) throw new Error(`${lockPath} is not a lock file (a folder or another kind of file): remove it`);
    // A pid is a few digits: a longer file is no lock of ours, and is not read whole.
    text = readFileSync(lockPath, "utf8").slice(0, 64);
    stamp = `${st.ino}:${st.mtimeMs}:${text}`;
    ageMs = Date.now() - st.mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    // O_EXCL refused the path, yet nothing is there: a symbolic link to nothing, which would
    // refuse every attempt (an endless loop, the thread blocked).
    if (isLink(lockPath)) throw new Error(`${lockPath} is a symbolic link to nothing, not a lock file: remove it`);
    return null;
  }
  const pid = Number(text.trim());
  // A lock file still being written (no pid yet) is held, unless it has been empty for long.
  const known = Number.isInteger(pid) && pid > 0;
  // A lock naming this process, which does not hold it (`held`), is an earlier process's that had
  // the same pid: pids repeat, as when a container restarts. Waiting for it would wait for ourselves.
  const ours = known && pid === process.pid;
  return { pid: known ? pid : 0, ageMs, stamp, stale: ageMs > staleMs || ours || (known && !processAlive(pid)) };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Run `fn` holding the lock file `lockPath`; other processes calling this with the same path wait. */
export function withFileLock<T>(lockPath: string, fn: () => T, opts: FileLockOptions = {}): T {
  // Already ours: this process is inside a change of the same file, which runs in its lock.
  if (held.has(lockPath)) return fn();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const staleMs = opts.staleMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(lockPath, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      held.add(lockPath);
      try {
        return fn();
      } finally {
        held.delete(lockPath);
        unlinkSync(lockPath);
      }
    }
    const h = holder(lockPath, staleMs);
    if (h === null) continue;
    if (h.stale) {
      // Its holder is gone: remove it, if it is still that file (another waiter may have taken
      // it over already), and try again.
      const again = holder(lockPath, staleMs);
      if (again?.stamp === h.stamp) {
        try {
          unlinkSync(lockPath);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${lockPath} is held by process ${h.pid || "(starting)"} for ${Math.round(h.ageMs)} ms; waited ${timeoutMs} ms. If no hub command is running, remove the file.`);
    }
    sleep(wait);
    wait = Math.min(wait * 2, 50);
  }
}
