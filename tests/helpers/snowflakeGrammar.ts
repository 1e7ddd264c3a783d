/**
 * Syntax check of rendered Snowflake SQL with node-sql-parser's `snowflake` grammar (5.4.0).
 *
 * The grammar covers queries and DML well but lacks most Snowflake DDL and a few query constructs.
 * This file is the explicit list of what it cannot reach and how each gap is handled, found by
 * trying every rendered statement:
 *  - REWRITES: a construct inside a statement is replaced by a parseable stand-in, so the rest of
 *    the statement is still checked (a query is never skipped whole);
 *  - OUT_OF_GRAMMAR: a statement kind the grammar has no rule for. Its plain-SQL parts (query,
 *    condition, policy body) are parsed instead, and the statement is matched against Snowflake's
 *    documented syntax, written as a regular expression over the renderer's layout.
 * Every entry has a `sample` the grammar rejects as is, so a test notices when an upgrade of
 * node-sql-parser closes a gap and the entry can be deleted.
 */
import NodeSqlParser from "node-sql-parser";

const parser = new NodeSqlParser.Parser();

/** Throws with the parser's message and the SQL around the failure. */
export function assertParses(label: string, sql: string): void {
  try {
    parser.astify(sql, { database: "snowflake" });
  } catch (e) {
    const err = e as Error & { location?: { start: { offset: number; line: number; column: number } } };
    const at = err.location?.start;
    const where = at
      ? ` at line ${at.line}, column ${at.column}: …${sql.slice(Math.max(0, at.offset - 80), at.offset)}⟦HERE⟧${sql.slice(at.offset, at.offset + 40)}…`
      : "";
    throw new Error(
      `${label} does not parse with node-sql-parser's snowflake grammar${where}\n${err.message.slice(0, 400)}\n--- SQL as parsed (after rewrites) ---\n${sql}`,
    );
  }
}

export function parses(sql: string): boolean {
  try {
    parser.astify(sql, { database: "snowflake" });
    return true;
  } catch {
    return false;
  }
}

const STRING_LITERAL = /('(?:[^']|'')*')/;
/** Applies `f` to the SQL outside single-quoted literals, so comments and values are never rewritten. */
function outsideStrings(sql: string, f: (code: string) => string): string {
  return sql
    .split(STRING_LITERAL)
    .map((part, i) => (i % 2 === 0 ? f(part) : part))
    .join("");
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const KEY = `(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)`;
const VARIANT_PATH = new RegExp(`(${KEY}(?:\\.${KEY})*):(${KEY}(?:\\.${KEY})+)`, "g");
const unquoteKey = (k: string) => (k.startsWith('"') ? k.slice(1, -1).replaceAll('""', '"') : k);
/** Arguments without nested parentheses; string literals may contain anything. */
const FLAT_ARGS = `(?:[^()']|'(?:[^']|'')*')*`;
const ONE_LEVEL_ARGS = `(?:[^()']|'(?:[^']|'')*'|\\(${FLAT_ARGS}\\))*`;
const CLUSTER_BY = new RegExp(`\\s*\\bCLUSTER BY \\((${ONE_LEVEL_ARGS})\\)`);

export interface Rewrite {
  readonly name: string;
  /** What the grammar lacks, and what stands in for it. */
  readonly why: string;
  readonly apply: (sql: string) => string;
  /** Plain SQL the rewrite removes; parsed on its own so it is still checked. */
  readonly lifted?: (sql: string) => string[];
  /** A statement the grammar rejects as is and accepts after this rewrite. */
  readonly sample: string;
}

export const REWRITES: readonly Rewrite[] = [
  {
    name: "multi-key variant path",
    why:
      "`x:\"a\".\"b\"` makes the parser throw (`column_symbol is not defined`); a single key `x:\"a\"` parses. " +
      "Stand-in: GET_PATH(x, 'a.b'), Snowflake's function form of the same path.",
    apply: (sql) =>
      outsideStrings(sql, (code) =>
        code.replace(VARIANT_PATH, (_m, base: string, path: string) =>
          `GET_PATH(${base}, ${quote((path.match(new RegExp(KEY, "g")) ?? []).map(unquoteKey).join("."))})`,
        ),
      ),
    sample: `SELECT r.payload:"metrics"."load" FROM r`,
  },
  {
    name: "LISTAGG … WITHIN GROUP",
    why: "`LISTAGG(x, sep) WITHIN GROUP (ORDER BY y)` is not in the grammar. Stand-in: LISTAGG(x, sep ORDER BY y), which it accepts.",
    apply: (sql) =>
      sql.replace(
        new RegExp(`\\bLISTAGG\\((${FLAT_ARGS})\\)\\s*WITHIN GROUP\\s*\\(\\s*ORDER BY\\s+(${FLAT_ARGS}?)\\s*\\)`, "g"),
        "LISTAGG($1 ORDER BY $2)",
      ),
    sample: `SELECT LISTAGG(station, ' > ') WITHIN GROUP (ORDER BY visit_no) FROM v`,
  },
  {
    name: "POSITION … IN",
    why:
      "the grammar has no `POSITION(x IN y)` form: it reads `x IN …` as an IN predicate, which fails once y is an " +
      "expression such as `'|' || v || '|'`. Stand-in: POSITION(x, y), Snowflake's documented comma form.",
    apply: (sql) => sql.replace(new RegExp(`\\bPOSITION\\((${FLAT_ARGS}?)\\s+IN\\s+(${FLAT_ARGS})\\)`, "g"), "POSITION($1, $2)"),
    sample: `SELECT POSITION('|' || a || '|' IN '|' || b || '|') FROM t`,
  },
  {
    name: "semi-structured type",
    why:
      "the type names VARIANT, OBJECT and ARRAY are unknown to the grammar (in casts and column definitions). " +
      "Stand-in: JSON, which it knows. Function names such as OBJECT_KEYS are not touched.",
    apply: (sql) => outsideStrings(sql, (code) => code.replace(/\b(?:VARIANT|OBJECT|ARRAY)\b(?!\s*\()/g, "JSON")),
    sample: `SELECT OBJECT_AGG(k, v::VARIANT), OBJECT_KEYS(o::OBJECT), a::ARRAY FROM t`,
  },
  {
    name: "DELETE FROM",
    why: "the grammar only knows MySQL's `DELETE t FROM t`. Stand-in: `SELECT * FROM` with the same table and WHERE clause.",
    apply: (sql) => sql.replace(/^DELETE FROM\b/, "SELECT * FROM"),
    sample: `DELETE FROM OPS.ALERT_RULES WHERE severity IS NULL`,
  },
  {
    name: "TRANSIENT table",
    why: "CREATE TRANSIENT TABLE is not in the grammar. Stand-in: CREATE TABLE (the rest of the definition is unchanged).",
    apply: (sql) => sql.replace(/^CREATE (OR REPLACE )?TRANSIENT TABLE\b/, "CREATE $1TABLE"),
    sample: `CREATE TRANSIENT TABLE IF NOT EXISTS A.B (x VARCHAR)`,
  },
  {
    name: "CLUSTER BY table option",
    why: "CLUSTER BY (…) after a column list is not in the grammar. Removed; its expressions are parsed as `SELECT <exprs>`.",
    apply: (sql) => (/^CREATE\b[^(]*\bTABLE\b/.test(sql) ? sql.replace(CLUSTER_BY, "") : sql),
    lifted: (sql) => {
      const m = /^CREATE\b[^(]*\bTABLE\b/.test(sql) ? CLUSTER_BY.exec(sql) : null;
      return m ? [`SELECT ${m[1]}`] : [];
    },
    sample: `CREATE TABLE A.B (x VARCHAR) CLUSTER BY (x, DATE_TRUNC('day', ts))`,
  },
  {
    name: "CHANGE_TRACKING table option",
    why: "CHANGE_TRACKING = TRUE|FALSE is not a table option in the grammar. Removed (a keyword and a boolean, no SQL inside).",
    apply: (sql) => outsideStrings(sql, (code) => code.replace(/\s*\bCHANGE_TRACKING = (?:TRUE|FALSE)\b/g, "")),
    sample: `CREATE TABLE A.B (x VARCHAR) CHANGE_TRACKING = TRUE`,
  },
];

export interface GrammarUnit {
  readonly label: string;
  readonly sql: string;
  /** Names of the rewrites applied to get `sql`. */
  readonly rewrites: readonly string[];
}

/** The statement with every needed rewrite applied, plus any plain SQL a rewrite lifted out. */
export function forGrammar(label: string, sql: string): GrammarUnit[] {
  const lifted: GrammarUnit[] = [];
  const applied: string[] = [];
  let out = sql;
  for (const r of REWRITES) {
    const next = r.apply(out);
    if (next === out) continue;
    applied.push(r.name);
    for (const part of r.lifted?.(out) ?? []) lifted.push(...forGrammar(`${label}, ${r.name} expressions as SELECT`, part));
    out = next;
  }
  return [{ label, sql: out, rewrites: applied }, ...lifted];
}

// Building blocks of the documented syntaxes below.
const NAME = `[A-Za-z_][A-Za-z0-9_$]*(?:\\.[A-Za-z_][A-Za-z0-9_$]*)*`;
const STR = `'(?:[^']|'')*'`;
const TYPE = `[A-Z_]+(?:\\(\\d+(?:,\\s*\\d+)?\\))?`;
const re = (...parts: string[]) => new RegExp(`^${parts.join("")}$`);

export interface OutOfGrammar {
  readonly name: string;
  /** Recognises the statement kind. */
  readonly head: RegExp;
  readonly why: string;
  readonly docs: string;
  /** The documented syntax, restricted to the clauses the renderer may write, in documented order. */
  readonly documented: RegExp;
  /** Its plain-SQL parts, parsed instead of the statement. */
  readonly parts: (sql: string) => ReadonlyArray<{ readonly what: string; readonly sql: string }>;
  readonly sample: string;
}

const noParts = () => [];
/** The text between `->` and a trailing `COMMENT = '…'`: a policy body. */
function policyBody(sql: string): string {
  const m = new RegExp(`->\\s+([\\s\\S]+?)(?:\\s+COMMENT = ${STR})?$`).exec(sql);
  if (!m) throw new Error(`no policy body (after ->) in:\n${sql}`);
  return m[1]!;
}

export const OUT_OF_GRAMMAR: readonly OutOfGrammar[] = [
  {
    name: "CREATE RESOURCE MONITOR",
    head: /^CREATE (OR REPLACE )?RESOURCE MONITOR\b/,
    why: "not in the grammar; it has properties and triggers only, no SQL to parse",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/create-resource-monitor",
    documented: re(
      `CREATE (?:OR REPLACE )?RESOURCE MONITOR (?:IF NOT EXISTS )?${NAME} WITH`,
      `(?: CREDIT_QUOTA = \\d+)?(?: FREQUENCY = (?:MONTHLY|DAILY|WEEKLY|YEARLY|NEVER))?`,
      `(?: START_TIMESTAMP = (?:IMMEDIATELY|${STR}))?(?: END_TIMESTAMP = ${STR})?(?: NOTIFY_USERS = \\([^)]*\\))?`,
      `(?: TRIGGERS(?: ON \\d+ PERCENT DO (?:SUSPEND_IMMEDIATE|SUSPEND|NOTIFY))+)?`,
    ),
    parts: noParts,
    sample: `CREATE RESOURCE MONITOR M WITH CREDIT_QUOTA = 1`,
  },
  {
    name: "CREATE WAREHOUSE",
    head: /^CREATE (OR REPLACE )?WAREHOUSE\b/,
    why: "not in the grammar; it has properties only, no SQL to parse",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/create-warehouse",
    documented: re(
      `CREATE (?:OR REPLACE )?WAREHOUSE (?:IF NOT EXISTS )?${NAME}(?: WITH)?`,
      `(?: (?:WAREHOUSE_SIZE = '(?:XSMALL|SMALL|MEDIUM|LARGE|XLARGE|XXLARGE|XXXLARGE|X4LARGE|X5LARGE|X6LARGE)'`,
      `|AUTO_SUSPEND = \\d+|AUTO_RESUME = (?:TRUE|FALSE)|INITIALLY_SUSPENDED = (?:TRUE|FALSE)|RESOURCE_MONITOR = ${NAME}|COMMENT = ${STR}))*`,
    ),
    parts: noParts,
    sample: `CREATE WAREHOUSE IF NOT EXISTS W WITH WAREHOUSE_SIZE = 'XSMALL'`,
  },
  {
    name: "CREATE TAG",
    head: /^CREATE (OR REPLACE )?TAG\b/,
    why: "not in the grammar; no SQL to parse",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/create-tag",
    documented: re(`CREATE (?:OR REPLACE )?TAG (?:IF NOT EXISTS )?${NAME}(?: ALLOWED_VALUES ${STR}(?:, ${STR})*)?(?: COMMENT = ${STR})?`),
    parts: noParts,
    sample: `CREATE TAG IF NOT EXISTS G.T COMMENT = 'x'`,
  },
  {
    name: "CREATE STREAM",
    head: /^CREATE (OR REPLACE )?STREAM\b/,
    why: "not in the grammar; it names a table and options, no SQL to parse",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/create-stream",
    documented: re(
      `CREATE (?:OR REPLACE )?STREAM (?:IF NOT EXISTS )?${NAME}(?: COPY GRANTS)? ON TABLE ${NAME}`,
      `(?: APPEND_ONLY = (?:TRUE|FALSE))?(?: SHOW_INITIAL_ROWS = (?:TRUE|FALSE))?(?: COMMENT = ${STR})?`,
    ),
    parts: noParts,
    sample: `CREATE STREAM IF NOT EXISTS A.S ON TABLE A.B APPEND_ONLY = TRUE`,
  },
  {
    name: "CREATE ROW ACCESS POLICY",
    head: /^CREATE (OR REPLACE )?ROW ACCESS POLICY\b/,
    why: "not in the grammar; its body is parsed as `SELECT <body>`",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/create-row-access-policy",
    documented: re(
      `CREATE (?:OR REPLACE )?ROW ACCESS POLICY (?:IF NOT EXISTS )?${NAME} AS \\(\\w+ ${TYPE}(?:, \\w+ ${TYPE})*\\) RETURNS BOOLEAN ->`,
      `\\s+[\\s\\S]+?(?:\\s+COMMENT = ${STR})?`,
    ),
    parts: (sql) => [{ what: "body as SELECT <body>", sql: `SELECT ${policyBody(sql)}` }],
    sample: `CREATE ROW ACCESS POLICY IF NOT EXISTS G.P AS (a VARCHAR) RETURNS BOOLEAN -> TRUE`,
  },
  {
    name: "CREATE MASKING POLICY",
    head: /^CREATE (OR REPLACE )?MASKING POLICY\b/,
    why: "not in the grammar; its body is parsed as `SELECT <body>`",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/create-masking-policy",
    // RETURNS must be the type of the masked (first) argument: the backreference checks it.
    documented: re(
      `CREATE (?:OR REPLACE )?MASKING POLICY (?:IF NOT EXISTS )?${NAME} AS \\(\\w+ (${TYPE})(?:, \\w+ ${TYPE})*\\) RETURNS \\1 ->`,
      `\\s+[\\s\\S]+?(?:\\s+COMMENT = ${STR})?(?:\\s+EXEMPT_OTHER_POLICIES = (?:TRUE|FALSE))?`,
    ),
    parts: (sql) => [{ what: "body as SELECT <body>", sql: `SELECT ${policyBody(sql)}` }],
    sample: `CREATE MASKING POLICY IF NOT EXISTS G.M AS (v VARCHAR) RETURNS VARCHAR -> v`,
  },
  {
    name: "CREATE DYNAMIC TABLE",
    head: /^CREATE (OR REPLACE )?(TRANSIENT )?DYNAMIC TABLE\b/,
    why: "not in the grammar; its query after AS is parsed",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/create-dynamic-table",
    documented: re(
      `CREATE (?:OR REPLACE )?(?:TRANSIENT )?DYNAMIC TABLE (?:IF NOT EXISTS )?${NAME}`,
      `\\s+TARGET_LAG = (?:'\\d+ (?:seconds?|minutes?|hours?|days?|SECONDS?|MINUTES?|HOURS?|DAYS?)'|DOWNSTREAM)\\s+WAREHOUSE = ${NAME}`,
      `(?:\\s+REFRESH_MODE = (?:AUTO|FULL|INCREMENTAL))?(?:\\s+INITIALIZE = (?:ON_CREATE|ON_SCHEDULE))?(?:\\s+COMMENT = ${STR})?`,
      `\\s+AS\\s+[\\s\\S]+`,
    ),
    parts: (sql) => {
      const at = sql.indexOf("\nAS\n");
      if (at < 0) throw new Error(`no "AS" line in dynamic table:\n${sql}`);
      return [{ what: "query after AS", sql: sql.slice(at + 4) }];
    },
    sample: `CREATE OR REPLACE DYNAMIC TABLE A.D TARGET_LAG = '1 minute' WAREHOUSE = W AS SELECT 1`,
  },
  {
    name: "CREATE TASK",
    head: /^CREATE (OR REPLACE )?TASK\b/,
    why:
      "not in the grammar, nor is the EXECUTE IMMEDIATE $$ BEGIN … END $$ block of a multi-statement body; " +
      "the WHEN condition is parsed as `SELECT <condition>` and each body statement (TaskDef.body) on its own",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/create-task",
    // Documented order: WAREHOUSE, SCHEDULE, …, COMMENT, then AFTER, then WHEN, then AS.
    documented: re(
      `CREATE (?:OR REPLACE )?TASK (?:IF NOT EXISTS )?${NAME}(?:\\s+WAREHOUSE = ${NAME})?`,
      `(?:\\s+SCHEDULE = '(?:\\d+ (?:MINUTES?|HOURS|SECONDS)|USING CRON [^']+)')?(?:\\s+COMMENT = ${STR})?`,
      `(?:\\s+AFTER ${NAME}(?:\\s*,\\s*${NAME})*)?(?:\\s+WHEN [^\\n]+)?\\s+AS\\s+[\\s\\S]+`,
    ),
    parts: (sql) => {
      const header = sql.slice(0, sql.indexOf("\nAS\n"));
      const when = /^\s+WHEN ([^\n]+)$/m.exec(header);
      return when ? [{ what: "WHEN condition as SELECT <condition>", sql: `SELECT ${when[1]}` }] : [];
    },
    sample: `CREATE OR REPLACE TASK A.T WAREHOUSE = W SCHEDULE = '1 MINUTE' AS SELECT 1`,
  },
  {
    name: "ALTER TASK RESUME/SUSPEND",
    head: /^ALTER TASK\b/,
    why: "not in the grammar; no SQL to parse",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/alter-task",
    documented: re(`ALTER TASK (?:IF EXISTS )?${NAME} (?:RESUME|SUSPEND)`),
    parts: noParts,
    sample: `ALTER TASK A.T RESUME`,
  },
  {
    name: "ALTER … ADD ROW ACCESS POLICY",
    head: /^ALTER (DYNAMIC )?TABLE \S+ ADD ROW ACCESS POLICY\b/,
    why: "not in the grammar; no SQL to parse",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/alter-table (ALTER DYNAMIC TABLE: dataGovnPolicyTagAction)",
    documented: re(`ALTER (?:DYNAMIC )?TABLE (?:IF EXISTS )?${NAME} ADD ROW ACCESS POLICY ${NAME} ON \\(\\w+(?:, \\w+)*\\)`),
    parts: noParts,
    sample: `ALTER TABLE A.B ADD ROW ACCESS POLICY G.P ON (tenant_id)`,
  },
  {
    name: "ALTER … SET MASKING POLICY",
    head: /^ALTER (DYNAMIC )?TABLE \S+ (ALTER|MODIFY) (COLUMN )?\S+ SET MASKING POLICY\b/,
    why: "not in the grammar; no SQL to parse",
    docs: "https://docs.snowflake.com/en/sql-reference/sql/alter-table-column (ALTER DYNAMIC TABLE: dataGovnPolicyTagAction)",
    documented: re(`ALTER (?:DYNAMIC )?TABLE (?:IF EXISTS )?${NAME} (?:ALTER|MODIFY) (?:COLUMN )?\\w+ SET MASKING POLICY ${NAME}(?: FORCE)?`),
    parts: noParts,
    sample: `ALTER TABLE A.B MODIFY COLUMN c SET MASKING POLICY G.P`,
  },
];

export function outOfGrammarRule(sql: string): OutOfGrammar | undefined {
  return OUT_OF_GRAMMAR.find((r) => r.head.test(sql));
}

/** The documented undo of each statement kind; all of them accept IF EXISTS or act on one attachment. */
export const DOCUMENTED_REVERTS: readonly RegExp[] = [
  re(`DROP (?:TABLE|DYNAMIC TABLE|STREAM|TASK|ROW ACCESS POLICY|MASKING POLICY|TAG|WAREHOUSE|RESOURCE MONITOR) IF EXISTS ${NAME}`),
  re(`ALTER (?:DYNAMIC )?TABLE ${NAME} DROP ROW ACCESS POLICY ${NAME}`),
  re(`ALTER (?:DYNAMIC )?TABLE ${NAME} (?:ALTER|MODIFY) (?:COLUMN )?\\w+ UNSET MASKING POLICY`),
  re(`ALTER TASK ${NAME} SUSPEND`),
];
