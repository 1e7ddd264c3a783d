/**
 * Progress on stderr, for people at a terminal and for CI logs alike:
 * - a one-line bar, `[#####-----] 3/6 acme/segments`, redrawn in place on a TTY; where stderr is
 *   a log file or a pipe (CI), a plain line with the same text every few seconds and at the end
 *   of a run that took longer than that, so a long run is never silent and never floods the log;
 * - `heartbeat`: for a long step with no count to show, `restoring acme… 10 s` every few seconds.
 * Off when the caller says so (--quiet, --json). No dependencies.
 */
export interface ProgressBar {
  update(done: number, label?: string): void;
  /** Clear the bar (TTY) or write the last state (log), before the results follow on stdout. */
  finish(): void;
}

/** The part of a stream progress writes to (tests pass their own). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ProgressBarOptions {
  readonly total: number;
  readonly enabled: boolean;
  readonly stream?: ProgressStream;
  readonly width?: number;
  /** Least time between two lines where stderr is not a TTY. */
  readonly logEveryMs?: number;
  /** Milliseconds on a monotonic clock; default `performance.now`. Tests pass their own, so what an interval holds does not depend on how busy the machine is. */
  readonly now?: () => number;
}

/** How often a log gets a line: often enough to show life in CI, rarely enough to stay readable. */
export const LOG_EVERY_MS = 5_000;

/** The bar's text for `done` of `total`: pure, so it is tested without a terminal. */
export function renderBar(done: number, total: number, label = "", width = 24): string {
  const t = Math.max(1, total);
  const d = Math.min(Math.max(0, done), t);
  const filled = Math.round((d / t) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${d}/${t}${label ? ` ${label}` : ""}`;
}

export function progressBar(o: ProgressBarOptions): ProgressBar {
  const stream = o.stream ?? process.stderr;
  if (!o.enabled) return { update: () => undefined, finish: () => undefined };
  if (!stream.isTTY) {
    // A run shorter than one interval writes nothing: a quick command's stderr stays for its
    // results and errors. A longer one gets a line per interval and its last state at the end.
    const every = o.logEveryMs ?? LOG_EVERY_MS;
    const now = o.now ?? (() => performance.now());
    let lastAt = now();
    let wrote = false;
    let pending: string | null = null;
    return {
      update(done, label) {
        pending = renderBar(done, o.total, label, o.width);
        if (now() - lastAt < every) return;
        lastAt = now();
        stream.write(`${pending}\n`);
        wrote = true;
        pending = null;
      },
      finish() {
        if (wrote && pending !== null) stream.write(`${pending}\n`);
        pending = null;
      },
    };
  }
  let last = "";
  return {
    update(done, label) {
      const line = renderBar(done, o.total, label, o.width);
      if (line === last) return;
      last = line;
      stream.write(`\r${line.slice(0, Math.max(20, (stream.columns ?? 80) - 1)).padEnd(last.length)}`);
    },
    finish() {
      if (last) stream.write(`\r${" ".repeat(Math.min(last.length, (stream.columns ?? 80) - 1))}\r`);
    },
  };
}

export interface HeartbeatOptions {
  readonly enabled: boolean;
  readonly stream?: ProgressStream;
  readonly everyMs?: number;
}

/**
 * Await `work`, writing `<label>… <n> s` every few seconds until it settles (nothing when it is
 * quicker than that). For the long steps that have no count: a restore's rebuild of silver and
 * gold, a cost report's queries.
 */
export async function heartbeat<T>(label: string, work: Promise<T>, o: HeartbeatOptions): Promise<T> {
  if (!o.enabled) return work;
  const stream = o.stream ?? process.stderr;
  const every = o.everyMs ?? LOG_EVERY_MS;
  const t0 = performance.now();
  const timer = setInterval(() => stream.write(`${label}… ${Math.round((performance.now() - t0) / 1000)} s\n`), every);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
