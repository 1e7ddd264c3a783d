/**
 * Fully qualified names for SQL a Snowflake deploy sends. A deploy session has no current database:
 * the 1.x provider sends its `params` as session parameters, and the Go driver sets the session's
 * database only from its own `database` field (terraform-provider-snowflake pkg/provider/provider.go,
 * `params` → `config.Params`; pkg/sdk/config.go merges them into gosnowflake's Params). Snowflake
 * resolves `SCHEMA.NAME` against the current database
 * (https://docs.snowflake.com/en/sql-reference/name-resolution), so every such name the definitions
 * write (queries, task bodies, policy bodies, seeds, attachments) must name the database too.
 *
 * The definitions stay two-part, which is what the embedded engine runs in its one database; this
 * rewrite is applied on the Snowflake side only. It is a scan over the SQL's tokens, not a pattern
 * over its text: it never touches string literals, quoted identifiers or comments, except the
 * stream name argument of SYSTEM$STREAM_HAS_DATA('SCHEMA.STREAM'), which Snowflake resolves as a
 * name. `tests/infra/deployReplay.test.ts` parses every statement a deploy sends and refuses any
 * name that still lacks its database.
 */
import { SCHEMAS } from "../definitions/types.ts";

const SCHEMA_SET: ReadonlySet<string> = new Set(SCHEMAS);
const isIdentStart = (c: string | undefined) => !!c && /[A-Za-z_]/.test(c);
const isIdentPart = (c: string | undefined) => !!c && /[A-Za-z0-9_$]/.test(c);

/** Functions whose string argument is an object name. */
const NAME_ARGUMENT_FUNCTIONS = /SYSTEM\$STREAM_HAS_DATA\s*\(\s*$/i;

/** `sql` with every `SCHEMA.NAME` of the hub's schemas written `DATABASE.SCHEMA.NAME`. */
export function qualifyNames(sql: string, database: string): string {
  if (!/^[A-Z][A-Z0-9_]*$/.test(database)) throw new Error(`database ${JSON.stringify(database)} must be an upper-case identifier`);
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      // A literal or quoted identifier; a doubled quote inside is an escaped quote.
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) break;
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      const token = sql.slice(i, j + 1);
      const body = token.slice(1, -1);
      const dot = body.indexOf(".");
      if (c === "'" && NAME_ARGUMENT_FUNCTIONS.test(out) && dot > 0 && SCHEMA_SET.has(body.slice(0, dot)) && body.split(".").length === 2) {
        out += `'${database}.${body}'`;
      } else out += token;
      i = j + 1;
    } else if (isIdentStart(c) && !isIdentPart(sql[i - 1]) && sql[i - 1] !== ".") {
      let j = i;
      while (isIdentPart(sql[j])) j++;
      const word = sql.slice(i, j);
      if (SCHEMA_SET.has(word) && sql[j] === "." && (isIdentStart(sql[j + 1]) || sql[j + 1] === '"')) out += `${database}.${word}`;
      else out += word;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
