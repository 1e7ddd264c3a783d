/** Plain-text tables for terminal output: columns padded, numbers right-aligned. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString().replace("T", " ").replace(".000Z", "Z");
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 4).replace(/0+$/, "").replace(/\.$/, "");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function textTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = columns ?? Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => formatValue(r[c])));
  const numeric = cols.map((c) => rows.every((r) => r[c] === null || typeof r[c] === "number" || typeof r[c] === "bigint"));
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: readonly string[]) => vals.map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join("  ").trimEnd();
  return [line(cols), width.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}
