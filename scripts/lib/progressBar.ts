/**
 * A one-line progress bar on stderr: `[#####-----] 3/6 acme/segments`. It draws only on a TTY
 * (a log file or a pipe gets no carriage-return noise) and is off when the caller says so
 * (--quiet, --json). No dependencies.
 */
export interface ProgressBar {
  update(done: number, label?: string): void;
  /** Clear the line (the final table follows on stdout). */
  finish(): void;
}

export interface ProgressBarOptions {
  readonly total: number;
  readonly enabled: boolean;
  readonly stream?: NodeJS.WriteStream;
  readonly width?: number;
}

/** The bar's text for `done` of `total`: pure, so it is tested without a terminal. */
export function renderBar(done: number, total: number, label = "", width = 24): string {
  const t = Math.max(1, total);
  const d = Math.min(Math.max(0, done), t);
  const filled = Math.round((d / t) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${d}/${t}${label ? ` ${label}` : ""}`;
}

export function progressBar(o: ProgressBarOptions): ProgressBar {
  const stream = o.stream ?? process.stderr;
  if (!o.enabled || !stream.isTTY) return { update: () => undefined, finish: () => undefined };
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
