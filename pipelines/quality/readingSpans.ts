/**
 * Where each reading sits in a message's text, so that RAW can keep the reading's own bytes
 * instead of JSON.stringify-ing the parsed object again (a third of the ingest's per-reading
 * JavaScript time went to that; issue 3, section 8).
 *
 * Runs only on text that JSON.parse (or parseJsonTolerant) accepted, so it can skip values without
 * judging them. It reports, for each element of the top-level `readings` array, its [start, end)
 * and how many object keys it holds at any depth: JSON.parse keeps the last of duplicate keys, so
 * a parsed reading with fewer keys than its text had duplicates, and its text must not be kept.
 * Whenever the text is anything but plain (a key written with escapes, `readings` twice), it
 * answers null and the caller serialises the parsed value instead.
 */
export interface ReadingSpans {
  readonly start: readonly number[];
  readonly end: readonly number[];
  /** Object keys inside each reading, at any depth, as written. */
  readonly keys: readonly number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index just after the string whose opening quote is at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return text.length;
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** Set by valueEnd: keys (colons outside strings) inside the value just skipped. */
let skippedKeys = 0;

/** Index just after the value starting at `i` (valid JSON, or a bare NaN / Infinity token). */
function valueEnd(text: string, i: number): number {
  skippedKeys = 0;
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i);
  if (c !== 0x7b && c !== 0x5b) {
    // A number or a literal: up to the next delimiter.
    let j = i;
    for (;;) {
      const d = text.charCodeAt(j);
      if (d !== d || d === 0x2c || d === 0x5d || d === 0x7d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) return j;
      j++;
    }
  }
  let depth = 0;
  let keys = 0;
  let j = i;
  for (;;) {
    const d = text.charCodeAt(j);
    if (d !== d) return text.length;
    if (d === QUOTE) {
      j = stringEnd(text, j);
      continue;
    }
    if (d === 0x7b || d === 0x5b) depth++;
    else if (d === 0x7d || d === 0x5d) {
      if (--depth === 0) {
        skippedKeys = keys;
        return j + 1;
      }
    } else if (d === 0x3a) keys++;
    j++;
  }
}

/** The spans of the top-level `readings` array's elements, or null (see the module comment). */
export function readingSpans(text: string): ReadingSpans | null {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return null;
  i = skipWhitespace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return null;
  let found: ReadingSpans | null = null;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return null;
    const keyEnd = stringEnd(text, i);
    const key = text.slice(i + 1, keyEnd - 1);
    if (key.includes("\\")) return null; // the key JSON.parse saw may differ from its spelling
    i = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return null;
    i = skipWhitespace(text, i + 1);
    if (key === "readings") {
      if (found || text.charCodeAt(i) !== 0x5b) return null;
      const start: number[] = [];
      const end: number[] = [];
      const keys: number[] = [];
      i = skipWhitespace(text, i + 1);
      if (text.charCodeAt(i) === 0x5d) i = skipWhitespace(text, i + 1);
      else {
        for (;;) {
          start.push(i);
          i = valueEnd(text, i);
          end.push(i);
          keys.push(skippedKeys);
          i = skipWhitespace(text, i);
          const c = text.charCodeAt(i);
          i = skipWhitespace(text, i + 1);
          if (c === 0x5d) break;
          if (c !== 0x2c) return null;
        }
      }
      found = { start, end, keys };
    } else {
      i = skipWhitespace(text, valueEnd(text, i));
    }
    const c = text.charCodeAt(i);
    if (c === 0x7d) return found;
    if (c !== 0x2c) return null;
    i = skipWhitespace(text, i + 1);
  }
}

/** Object keys in `value` at any depth, or -1 past `maxDepth` levels (then the text is not trusted). */
export function keyCount(value: unknown, maxDepth = 32): number {
  if (typeof value !== "object" || value === null) return 0;
  if (maxDepth === 0) return -1;
  let n = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const k = keyCount(value[i], maxDepth - 1);
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  for (const key in value) {
    const k = keyCount((value as Record<string, unknown>)[key], maxDepth - 1);
    if (k < 0) return -1;
    n += k + 1;
  }
  return n;
}
