/**
 * What a write-only role may write on the embedded engine: HUB_PORTAL one INSERT of one row into
 * OPS.ALERT_ACKNOWLEDGEMENTS, HUB_REPORTING one INSERT of a cost snapshot's rows into
 * OPS.TENANT_COSTS, each naming its columns, whose values are placeholders, NULL, string or
 * number literals, or one of those cast to TIMESTAMP. No other INSERT: no other table, no SELECT
 * as its source, no subquery, no function, no more rows. Every statement that is not an INSERT
 * goes on to the tenant guard with nothing granted (neither role reads the hub's tables), which
 * refuses a read of any object as Snowflake does (002003) and any other write (003001). Snowflake
 * enforces the same through the roles' grants (PORTAL_GRANTS, REPORTING_GRANTS in
 * pipelines/definitions/grants.ts).
 *
 * A hand-written allowlist rather than DuckDB's parser: json_serialize_sql parses SELECT only.
 */
import { SQL_ERRORS } from "./errors.ts";
import { ALERT_ACKNOWLEDGEMENTS } from "../definitions/alerting.ts";
import { TENANT_COSTS } from "../definitions/tenantCosts.ts";
import type { TableDef } from "../definitions/types.ts";

/**
 * The check of a role whose one write is INSERT ... VALUES into one table, naming its columns,
 * at most `maxRows` rows: true for that statement, Snowflake's privilege error (003001) for any
 * other INSERT, false for a statement that is no INSERT (the tenant guard answers it).
 */
export function insertOnlyCheck(role: string, table: TableDef, maxRows: number): (sql: string) => boolean {
  const columnNames = new Set(table.columns.map((c) => c.name));
  // The table, optionally in the hub's database, names unquoted or double-quoted in upper case.
  const head = new RegExp(`^\\s*INSERT\\s+INTO\\s+(?:"?HUB"?\\s*\\.\\s*)?"?${table.schema}"?\\s*\\.\\s*"?${table.name}"?\\s*\\(([^()]*)\\)\\s*VALUES\\s*`, "i");
  const what = maxRows === 1 ? "one row" : `at most ${maxRows} rows`;
  return (sql) => {
    if (!/^\s*INSERT\b/i.test(sql)) return false;
    const refuse = (why: string) => SQL_ERRORS.notAuthorized(`this statement: ${role} may only INSERT ${what} into ${table.schema}.${table.name} (${why})`, sql);
    const h = head.exec(sql);
    if (!h) throw refuse("not an INSERT ... VALUES into that table");
    const columns = h[1]!.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1").toLowerCase());
    const unknown = columns.filter((c) => !columnNames.has(c));
    if (unknown.length) throw refuse(`no column ${JSON.stringify(unknown[0])}`);
    let i = h[0].length;
    for (let rows = 1; ; rows++) {
      if (sql[i] !== "(") throw refuse(`row ${rows} does not start with (`);
      i++;
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
      i = skipSpace(sql, i + 1);
      if (i === sql.length) return true;
      if (sql[i] !== "," || rows >= maxRows) throw refuse(maxRows === 1 ? "text after the row: one row, one statement" : `text after row ${rows}: ${what}, one statement`);
      i = skipSpace(sql, i + 1);
    }
  };
}

/** HUB_PORTAL's one write: one acknowledgement (pipelines/portal/portalServer.ts). */
export const checkPortalWrite = insertOnlyCheck("HUB_PORTAL", ALERT_ACKNOWLEDGEMENTS, 1);

/**
 * HUB_REPORTING's one write: a snapshot of the tenants' costs (pipelines/cost/tenantCostSnapshot.ts,
 * one INSERT per tenant, a row per warehouse it was charged on).
 */
export const MAX_TENANT_COST_ROWS = 1000;
export const checkReportingWrite = insertOnlyCheck("HUB_REPORTING", TENANT_COSTS, MAX_TENANT_COST_ROWS);

function skipSpace(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  return i;
}

/**
 * End of a scalar at `i`, or -1: ?, NULL, TRUE, FALSE, 'text' ('' doubled), a number (exponent
 * too: the SQL endpoint writes a driver's REAL bind 1e-7 as it came), or CAST(<one of those> AS
 * TIMESTAMP[_NTZ]). Booleans: the endpoint writes a BOOLEAN bind as TRUE / FALSE, and the cost
 * snapshot has one (own_warehouse).
 */
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
  const word = /^(NULL|TRUE|FALSE|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])/i.exec(s.slice(i, i + 64));
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
