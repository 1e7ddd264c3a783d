/**
 * A statement's text as the user typed it, for what the parser does not keep: where one statement
 * ends and the next begins, and the text of each item of the outermost SELECT list (Snowflake
 * names an unaliased result column after it: `count(*)` → `COUNT(*)`). A small scanner that knows
 * Snowflake's lexical rules — strings ('it''s', $$…$$), quoted identifiers, comments (--, // and block comments),
 * parentheses — and nothing else: it reads text, it never rewrites it.
 */

interface Token {
  readonly start: number;
  readonly end: number;
  /** A word (keyword or identifier, upper-cased), a symbol, or `text` for strings and quoted names. */
  readonly kind: "word" | "symbol" | "text";
  readonly value: string;
}

function* tokens(sql: string): Generator<Token> {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if ((c === "-" && sql[i + 1] === "-") || (c === "/" && sql[i + 1] === "/")) {
      while (i < n && sql[i] !== "\n") i++;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'" || c === '"') {
      const start = i++;
      while (i < n) {
        if (sql[i] === "\\" && c === "'") i += 2;
        else if (sql[i] === c && sql[i + 1] === c) i += 2;
        else if (sql[i] === c) break;
        else i++;
      }
      i = Math.min(n, i + 1);
      yield { start, end: i, kind: "text", value: sql.slice(start, i) };
    } else if (c === "$" && sql[i + 1] === "$") {
      const start = i;
      const end = sql.indexOf("$$", i + 2);
      i = end < 0 ? n : end + 2;
      yield { start, end: i, kind: "text", value: sql.slice(start, i) };
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$]/.test(sql[i]!)) i++;
      yield { start, end: i, kind: "word", value: sql.slice(start, i).toUpperCase() };
    } else {
      yield { start: i, end: i + 1, kind: "symbol", value: c };
      i++;
    }
  }
}

/** The statements of a request, split at semicolons outside strings, comments and parentheses. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let from = 0;
  let depth = 0;
  for (const t of tokens(sql)) {
    if (t.kind !== "symbol") continue;
    if (t.value === "(") depth++;
    else if (t.value === ")") depth = Math.max(0, depth - 1);
    else if (t.value === ";" && depth === 0) {
      out.push(sql.slice(from, t.start));
      from = t.end;
    }
  }
  out.push(sql.slice(from));
  return out.map((s) => s.trim()).filter((s) => s !== "");
}

const LIST_END = new Set(["FROM", "WHERE", "GROUP", "HAVING", "QUALIFY", "ORDER", "LIMIT", "OFFSET", "FETCH", "UNION", "INTERSECT", "EXCEPT", "MINUS", "WINDOW", "INTO"]);

/**
 * The text of each item of the statement's outermost SELECT list (the first branch of a set
 * operation, after any WITH), or null when there is none.
 */
export function selectListTexts(sql: string): string[] | null {
  const list = [...tokens(sql)];
  let depth = 0;
  let at = -1;
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (t.kind === "symbol" && t.value === "(") depth++;
    else if (t.kind === "symbol" && t.value === ")") depth--;
    else if (depth === 0 && t.kind === "word" && t.value === "SELECT") {
      at = i;
      break;
    }
  }
  if (at < 0) return null;
  let i = at + 1;
  // DISTINCT, ALL and TOP n come before the list.
  while (i < list.length && list[i]!.kind === "word" && ["DISTINCT", "ALL"].includes(list[i]!.value)) i++;
  if (list[i]?.kind === "word" && list[i]!.value === "TOP") i += 2;
  const items: string[] = [];
  let itemStart = list[i]?.start ?? sql.length;
  let end = sql.length;
  depth = 0;
  for (; i < list.length; i++) {
    const t = list[i]!;
    if (t.kind === "symbol" && t.value === "(") depth++;
    else if (t.kind === "symbol" && t.value === ")") depth--;
    else if (depth === 0 && t.kind === "symbol" && t.value === ",") {
      items.push(sql.slice(itemStart, t.start));
      itemStart = t.end;
    } else if (depth === 0 && ((t.kind === "word" && LIST_END.has(t.value) && !withinGroup(list, i)) || (t.kind === "symbol" && t.value === ";"))) {
      end = t.start;
      break;
    }
  }
  items.push(sql.slice(itemStart, end));
  return items.map((s) => s.trim());
}

/** `WITHIN GROUP (ORDER BY ...)` of an ordered aggregate: part of the item, not the list's GROUP BY. */
function withinGroup(list: readonly Token[], i: number): boolean {
  const previous = list[i - 1];
  return list[i]!.value === "GROUP" && previous?.kind === "word" && previous.value === "WITHIN";
}

/** An unaliased expression's column name, as Snowflake gives it: its text, upper-cased, spaces collapsed. */
export function expressionColumnName(text: string): string {
  return text.replace(/\s+/g, " ").trim().toUpperCase();
}

/** A bind placeholder: `?` (the next bind) or `:N` (bind N, from 1), outside strings and comments. */
export interface BindPlaceholder {
  readonly start: number;
  readonly end: number;
  /** 1-based bind number; for `?`, its position among the `?`s. */
  readonly bind: number;
}

export function bindPlaceholders(sql: string): BindPlaceholder[] {
  const out: BindPlaceholder[] = [];
  let question = 0;
  for (const t of tokens(sql)) {
    if (t.kind !== "symbol") continue;
    if (t.value === "?") out.push({ start: t.start, end: t.end, bind: ++question });
    else if (t.value === ":" && sql[t.start - 1] !== ":" && sql[t.start + 1] !== ":") {
      const digits = /^\d+/.exec(sql.slice(t.end))?.[0];
      if (digits) out.push({ start: t.start, end: t.end + digits.length, bind: Number(digits) });
    }
  }
  return out;
}
