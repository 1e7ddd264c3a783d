/**
 * `serve`'s structured log: one line per event on stderr, JSON (`{"ts","level","msg",...fields}`)
 * for collectors or `key=value` text for people, filtered by level. Fields never carry secrets:
 * callers pass names, counts and addresses, never tokens, keys or passwords.
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "json" | "text";

export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export function createLogger(o: { level: LogLevel; format: LogFormat; write?: (line: string) => void }): Logger {
  const min = LOG_LEVELS.indexOf(o.level);
  const write = o.write ?? ((line: string) => process.stderr.write(line));
  return (level, msg, fields = {}) => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    const ts = new Date().toISOString();
    if (o.format === "json") {
      write(`${JSON.stringify({ ts, level, msg, ...fields }, (_k, v) => (typeof v === "bigint" ? Number(v) : v))}\n`);
      return;
    }
    const kv = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" && !/\s|"/.test(v) ? v : JSON.stringify(v)}`);
    write(`${ts} ${level.toUpperCase().padEnd(5)} ${msg}${kv.length ? ` ${kv.join(" ")}` : ""}\n`);
  };
}
