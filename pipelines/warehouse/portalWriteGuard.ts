/**
 * What a HUB_PORTAL session may write on the embedded engine: one INSERT of one row into
 * OPS.ALERT_ACKNOWLEDGEMENTS, naming its columns, whose values are placeholders, NULL, string or
 * number literals, or one of those cast to TIMESTAMP. No other INSERT: no other table, no SELECT
 * as its source, no subquery, no function, no second row. Every statement that is not an INSERT
 * goes on to the tenant guard with nothing granted (the role reads nothing), which refuses a read
 * of any object as Snowflake does (002003) and any other write (003001). Snowflake enforces the
 * same through the role's grants (PORTAL_GRANTS in pipelines/definitions/grants.ts).
 *
 * A hand-written allowlist rather than DuckDB's parser: json_serialize_sql parses SELECT only.
 */
import { SQL_ERRORS } from "./errors.ts";
import { ALERT_ACKNOWLEDGEMENTS } from "../definitions/alerting.ts";

const COLUMNS = new Set(ALERT_ACKNOWLEDGEMENTS.columns.map((c) => c.name));
// The table, optionally in the hub's database, names unquoted or double-quoted in upper case.
const HEAD = /^\s*INSERT\s+INTO\s+(?:"?HUB"?\s*\.\s*)?"?OPS"?\s*\.\s*"?ALERT_ACKNOWLEDGEMENTS"?\s*\(([^()]*)\)\s*VALUES\s*\(/i;

/**
 * True for the one INSERT HUB_PORTAL may run; throws Snowflake's privilege error for any other
 * INSERT; false for a statement that is no INSERT (the tenant guard answers it).
 */
export function checkPortalWrite(sql: string): boolean {
  if (!/^\s*INSERT\b/i.test(sql)) return false;
  const refuse = (why: string) => SQL_ERRORS.notAuthorized(`this statement: HUB_PORTAL may only INSERT one row into OPS.ALERT_ACKNOWLEDGEMENTS (${why})`, sql);
  const head = HEAD.exec(sql);
  if (!head) throw refuse("not an INSERT ... VALUES into that table");
  const columns = head[1]!.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1").toLowerCase());
  const unknown = columns.filter((c) => !COLUMNS.has(c));
  if (unknown.length) throw refuse(`no column ${JSON.stringify(unknown[0])}`);
  let i = head[0].length;
  let values = 0;
  for (;;) {
    i = skipSpace(sql, i);
    const end = value(sql, i);
    if (end < 0) throw refuse(`value ${values + 1} is not a placeholder, NULL, a literal or a literal cast to TIMESTAMP`);
    values++;
    i = skipSpace(sql, end);
    if (sql[i] === ",") {
      i++;
      continue;
    }
    if (sql[i] === ")") break;
    throw refuse(`unexpected text at position ${i}`);
  }
  if (values !== columns.length) throw refuse(`${columns.length} columns but ${values} values`);
  if (skipSpace(sql, i + 1) !== sql.length) throw refuse("text after the row: one row, one statement");
  return true;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  return i;
}

/** End of a scalar at `i`, or -1: ?, NULL, 'text' ('' doubled), a number, or CAST(<one of those> AS TIMESTAMP[_NTZ]). */
function value(s: string, i: number): number {
  const cast = /^CAST\s*\(/i.exec(s.slice(i, i + 16));
  if (cast) {
    const inner = scalar(s, skipSpace(s, i + cast[0].length));
    if (inner < 0) return -1;
    const tail = /^\s*AS\s+TIMESTAMP(?:_NTZ)?\s*\)/i.exec(s.slice(inner, inner + 40));
    return tail ? inner + tail[0].length : -1;
  }
  return scalar(s, i);
}

function scalar(s: string, i: number): number {
  if (s[i] === "?") return i + 1;
  const word = /^(NULL|-?\d+(?:\.\d+)?)(?![\w.])/i.exec(s.slice(i, i + 64));
  if (word) return i + word[0].length;
  if (s[i] !== "'") return -1;
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] !== "'") continue;
    if (s[j + 1] === "'") {
      j++;
      continue;
    }
    return j + 1;
  }
  return -1;
}
