#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Run Snowflake SQL against the local hub as a role, as SnowSQL would against Snowflake: several
 * statements run in order and each prints its result; USE ROLE / WAREHOUSE / SCHEMA change the
 * session; a tenant role sees only its rows, masked. The clock functions answer with the hub's own
 * clock: where its last run left it. While `serve` runs, the statements go to its SQL endpoint
 * (the served hub holds the file), logged in with the operator's key, as a tool logs in to Snowflake.
 */
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { SimulatedClock } from "../pipelines/engine/clock.ts";
import { hubClockTime } from "../pipelines/engine/hubClock.ts";
import { hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";
import { ADMIN_ROLE } from "../pipelines/definitions/governance.ts";
import { StatementsError, type StatementResult } from "../pipelines/sql/statementResult.ts";
import { existsSync } from "node:fs";
import { runningServe } from "../pipelines/serve/serveFile.ts";
import { userInfo } from "node:os";

/**
 * A timestamp as SnowSQL prints it with Snowflake's default output format (YYYY-MM-DD HH24:MI:SS.FF3,
 * then TZHTZM for a type with a zone): TIMESTAMP_NTZ has no zone, so it is not printed as UTC with
 * a "Z". `type` is DuckDB's name on the file, Snowflake's on a served hub.
 */
function snowSqlTimestamp(v: unknown, type: string | undefined): unknown {
  if (!(v instanceof Date) || type === undefined) return v;
  const text = v.toISOString().replace("T", " ").replace("Z", "");
  if (/^timestamp_ntz$|^TIMESTAMP(_S|_MS|_NS)?$/i.test(type)) return text;
  if (/^timestamp_(tz|ltz)$|WITH TIME ZONE$/i.test(type)) return `${text} +0000`;
  return v;
}

function printResult(r: StatementResult): void {
  if (r.status) {
    console.log(`${r.status}\n`);
    return;
  }
  const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, snowSqlTimestamp(row[i], r.types?.[i])])));
  console.log(rows.length ? textTable(rows) : r.columns.join("  "));
  console.log(`${rows.length} Row(s) produced.\n`);
}

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2);

await runCommand({
  name: "sql",
  description: "run Snowflake SQL against the local hub (HUB_HOME) as a role: one statement or several, each result printed",
  usage: 'scripts/sql.ts [--role ROLE] [--warehouse WH] [--schema S] [--json] [--home DIR] "SELECT ...; SELECT ..."',
  options: {
    role: { type: "string", description: "session role; tenant roles see only their tenants' rows", default: ADMIN_ROLE },
    warehouse: { type: "string", description: "session warehouse (queries are billed on it); default: none for the hub's roles, a tenant role's first warehouse" },
    schema: { type: "string", description: "the schema unqualified names resolve in (USE SCHEMA)" },
    json: { type: "boolean", description: "print each statement's result as JSON: one object per statement, with its columns and rows" },
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
  },
  examples: [
    `scripts/sql.ts "SELECT * FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY LIMIT 5"`,
    `scripts/sql.ts --role TENANT_ACME_ROLE "SELECT machine_id, IFF(oee > 0.6, 'ok', 'low') AS oee FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE hour >= DATEADD(hour, -3, CURRENT_TIMESTAMP())"`,
    `scripts/sql.ts "USE SCHEMA ANALYTICS; SHOW TABLES; SELECT COUNT(*) FROM ALERTS"`,
  ],
  run: async ({ options, positionals }) => {
    const sql = positionals.join(" ").trim();
    if (!sql) throw new UserError("no SQL given; pass the statements as an argument");
    const home = hubHome(options.home);
    const role = options.role ?? ADMIN_ROLE;
    const served = runningServe(home);
    const show = async (session: { execute(sql: string): Promise<StatementResult[]> }) => {
      try {
        const results = await session.execute(sql);
        if (options.json) console.log(json(results.map((r) => ({ sql: r.sql, columns: r.columns, rows: r.rows }))));
        else results.forEach(printResult);
      } catch (e) {
        // Like SnowSQL: what ran before the failing statement is shown, then the error.
        if (e instanceof StatementsError && !options.json) e.results.forEach(printResult);
        throw e;
      }
    };
    // The sessions load once the arguments are checked: the SQL transpiler's WebAssembly and DuckDB
    // are most of a second of start-up that --help or a refusal should not wait for.
    if (served) {
      const { ServedSession } = await import("../pipelines/serve/servedSession.ts");
      const session = await ServedSession.open(served, { role, warehouse: options.warehouse, schema: options.schema });
      try {
        await show(session);
      } finally {
        await session.close();
      }
      return;
    }
    const path = hubDatabasePath(home);
    if (!existsSync(path)) throw new UserError(`there is no hub at ${path}; run \`npm start\` (or \`npm run serve\`) first or pass --home`);
    const [{ EmbeddedEngine }, { SnowflakeSession }] = await Promise.all([import("../pipelines/engine/embeddedEngine.ts"), import("../pipelines/sql/snowflakeSession.ts")]);
    const clock = new SimulatedClock(new Date(0));
    const engine = await EmbeddedEngine.open({ path, clock });
    try {
      clock.set(await hubClockTime(engine));
      const roles = await engine.roles();
      // The engine answers as Snowflake does, naming no other role; this is the hub's own operator,
      // who may see them all.
      if (!roles.includes(role.toUpperCase())) throw new UserError(`--role ${JSON.stringify(role)} is not a role of this hub (roles: ${roles.join(", ")})`);
      // No host ceiling on the statement timeout here: the file is this person's own hub, no one
      // else's query waits behind theirs, and Ctrl-C ends the process. The session's
      // STATEMENT_TIMEOUT_IN_SECONDS still applies (ALTER SESSION SET it before the statements).
      // A served hub's ceiling (serve --statement-timeout) applies above, through its endpoint.
      const session = await SnowflakeSession.open(engine, { user: userInfo().username, role, warehouse: options.warehouse, schema: options.schema });
      try {
        await show(session);
      } finally {
        await session.close();
      }
    } finally {
      await engine.close();
    }
  },
});
