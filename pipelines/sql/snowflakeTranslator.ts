/**
 * Snowflake SQL in, DuckDB SQL out, for what users type (scripts/sql.ts, and the SQL endpoint and
 * portal to come). The transpiler (@polyglot-sql/sdk) does the dialect work; this module adds what
 * the twin must answer itself and what the transpiler gets wrong, each as a named rewrite of the
 * parsed statement (never of its text):
 *
 * - session functions (CURRENT_ROLE() ...) answer from the session, the clock functions from the
 *   hub's clock, the one the pipeline stamps data with (a simulated day's hub stands at its end);
 * - DATEDIFF / TIMESTAMPDIFF count unit boundaries between the values as they are (the transpiler
 *   casts both to DATE first, so `DATEDIFF('second', ...)` of one day was 0 or 86,400);
 * - TO_NUMBER / TRY_TO_NUMBER become a cast to NUMBER(p, s), default (38, 0), as Snowflake's;
 * - a VARIANT path cast to a scalar type reads the value as text first (`->>`): a JSON string cast
 *   to VARCHAR would otherwise keep its quotes;
 * - TIME_SLICE aligns its slices to 1970-01-01 (DuckDB's time_bucket aligns to 2000-01-03);
 * - STARTSWITH / ENDSWITH, ARRAY_SIZE: DuckDB's names, and NULL for a non-array VARIANT;
 * - FLATTEN (LATERAL FLATTEN(input => ...) and TABLE(FLATTEN(...))) becomes json_each with
 *   Snowflake's output columns SEQ, KEY, PATH, INDEX, VALUE, THIS (the transpiler writes an invalid
 *   UNNEST(input => ...));
 * - a function the twin does not support is refused by name (snowflakeFunctions.ts).
 *
 * The rewrites put a placeholder call (`__HUB_<nonce>_n()`) where their DuckDB text goes; after
 * the transpiler has run, each placeholder is replaced by that text. The nonce is new for each
 * statement, so text the user typed (`'__HUB_0()'` in a string) is never taken for one: a fixed
 * name was replaced inside the user's own literals, changing them, and a placeholder's quotes
 * could end the literal around it.
 */
import { randomBytes } from "node:crypto";
import { HubSqlError } from "../warehouse/errors.ts";
import { functionSupport } from "./snowflakeFunctions.ts";
import { informationSchemaFunction, informationSchemaView } from "./informationSchema.ts";
import { UNKNOWN_FUNCTION, UNSUPPORTED, WRONG_ARGUMENT_COUNT } from "./refusals.ts";
import { EMULATIONS, emulate } from "./snowflakeEmulations.ts";
import { STREAMS } from "../definitions/catalog.ts";
import { qualifiedName as objectName } from "../definitions/types.ts";
import { PORTAL_ROLE, REPORTING_ROLE } from "../definitions/grants.ts";
import { SQL_ERRORS } from "../warehouse/errors.ts";
import { STATEMENT_TIMEOUT_PARAMETER, invalidParameterValue } from "./statementTimeout.ts";
import { call, expressionToDuckdb, identifierName, kindOf, parseSnowflake, rewrite, selectOf, snowflakeText, stringLiteral, toDuckdbText, type Node } from "./snowflakeAst.ts";
import { expressionColumnName, selectListTexts, splitStatements } from "./sqlText.ts";

/** What the session knows when a statement is translated. */
export interface SessionFacts {
  readonly role: string;
  readonly user: string;
  readonly database: string;
  readonly schema: string | null;
  readonly warehouse: string | null;
  /** The hub's clock at the statement's start (Snowflake's CURRENT_TIMESTAMP is the statement's start). */
  readonly now: Date;
}

/** Output column names as Snowflake gives them, by position; `*` items expand at run time. */
export type OutputName = { readonly name: string } | { readonly star: true };

export type Translated =
  | { readonly kind: "query"; readonly sql: string; readonly duckdb: string; readonly names: readonly OutputName[] }
  | { readonly kind: "use"; readonly sql: string; readonly object: "ROLE" | "WAREHOUSE" | "SCHEMA" | "DATABASE"; readonly name: string }
  | { readonly kind: "show"; readonly sql: string; readonly object: string; readonly like: string | null; readonly scope: { readonly kind: string; readonly name: string } | null }
  | { readonly kind: "describe"; readonly sql: string; readonly object: string; readonly name: readonly string[] }
  | { readonly kind: "set"; readonly sql: string; readonly parameters: ReadonlyArray<{ readonly parameter: string; readonly value: string | null }> };

export { UNSUPPORTED, UNKNOWN_FUNCTION };

const QUERY_KINDS = new Set(["select", "union", "intersect", "except", "with", "values", "subquery"]);
/**
 * The writes the twin's SQL takes: the portal's acknowledgement, INSERT ... VALUES by HUB_PORTAL
 * (`serve --portal-data snowflake` against a served hub), and the tenants' cost snapshot by
 * HUB_REPORTING (pipelines/cost/tenantCostSnapshot.ts). Their sessions let those statement shapes
 * through (pipelines/warehouse/portalWriteGuard.ts); every other role's INSERT stays unsupported.
 */
const WRITE_KINDS_BY_ROLE: Readonly<Record<string, ReadonlySet<string>>> = { [PORTAL_ROLE]: new Set(["insert"]), [REPORTING_ROLE]: new Set(["insert"]) };

/** Every statement of `sql`, translated in order; each keeps the text the user typed. */
export function translate(sql: string, facts: SessionFacts): Translated[] {
  return splitStatements(sql).map((text) => {
    let statements: Node[];
    try {
      statements = parseSnowflake(text);
    } catch (e) {
      throw signedTimeoutValue(text) ?? e;
    }
    if (statements.length !== 1) throw new Error(`one statement expected in ${JSON.stringify(text)}, the parser found ${statements.length}`);
    return translateStatement(statements[0]!, facts, text);
  });
}

export function translateStatement(statement: Node, facts: SessionFacts, typed?: string): Translated {
  const k = kindOf(statement);
  const text = typed ?? safeText(statement);
  if (!k) throw UNSUPPORTED("this statement", text);
  switch (k.kind) {
    case "use":
      return useStatement(k.fields, text);
    case "show":
      return showStatement(k.fields, text);
    case "describe":
      return describeStatement(k.fields, text);
    case "alter_session":
      return setStatement(k.fields, text);
    default:
      if (!QUERY_KINDS.has(k.kind) && !WRITE_KINDS_BY_ROLE[facts.role.toUpperCase()]?.has(k.kind)) throw UNSUPPORTED(k.kind.replaceAll("_", " ").toUpperCase(), text);
      return new QueryTranslation(facts, text).run(statement);
  }
}

function safeText(statement: Node): string {
  try {
    return snowflakeText(statement);
  } catch {
    return "";
  }
}

function useStatement(f: Node, sql: string): Translated {
  const object = String(f.kind ?? "").toUpperCase();
  if (!["ROLE", "WAREHOUSE", "SCHEMA", "DATABASE"].includes(object)) throw UNSUPPORTED(`USE ${object || "without ROLE, WAREHOUSE, SCHEMA or DATABASE"}`, sql);
  const name = qualifiedName(f.this);
  return { kind: "use", sql, object: object as "ROLE", name };
}

function qualifiedName(node: unknown): string {
  const k = kindOf(node);
  if (k?.kind === "table") return [k.fields.catalog, k.fields.schema, k.fields.name].filter(Boolean).map(identifierName).join(".");
  return identifierName(node);
}

function showStatement(f: Node, sql: string): Translated {
  const like = kindOf(f.like)?.fields.value;
  const scope = f.scope_kind ? { kind: String(f.scope_kind).toUpperCase(), name: qualifiedName(f.scope) } : null;
  return { kind: "show", sql, object: String(f.this).toUpperCase(), like: typeof like === "string" ? like : null, scope };
}

function describeStatement(f: Node, sql: string): Translated {
  const target = kindOf(f.target);
  if (target?.kind !== "table") throw UNSUPPORTED("DESCRIBE of this kind", sql);
  const name = [target.fields.catalog, target.fields.schema, target.fields.name].filter(Boolean).map(identifierName);
  return { kind: "describe", sql, object: String(f.kind ?? "TABLE").toUpperCase(), name };
}

/**
 * The transpiler's parser takes no signed number as an ALTER SESSION value: `STATEMENT_TIMEOUT_IN_SECONDS
 * = -1` would be a syntax error at the sign; Snowflake refuses it as a value out of the
 * parameter's range, naming it, and so does the twin.
 */
function signedTimeoutValue(text: string): HubSqlError | null {
  const m = new RegExp(`^\\s*ALTER\\s+SESSION\\s+SET\\b[^;]*?\\b${STATEMENT_TIMEOUT_PARAMETER}\\s*=\\s*([-+]\\s*[^\\s,;]*)`, "i").exec(text);
  return m ? invalidParameterValue(STATEMENT_TIMEOUT_PARAMETER, m[1]!, text) : null;
}

/** ALTER SESSION SET p = v [, ...] or UNSET p [, ...]: each parameter with its value (null when unset). */
function setStatement(f: Node, sql: string): Translated {
  const unset = f.unset != null;
  const items = (f.expressions as unknown[] | undefined) ?? [];
  if (items.length === 0) throw UNSUPPORTED("ALTER SESSION without a parameter", sql);
  const parameters = items.map((raw) => {
    const k = kindOf(raw);
    // SET gives set_item nodes (a name and a value); UNSET gives the parameters' identifiers.
    if (k?.kind === "identifier") return { parameter: identifierName(k.fields).toUpperCase(), value: null };
    const item = k?.fields;
    const parameter = qualifiedName(kindOf(item?.name)?.fields.name ?? item?.name).toUpperCase();
    if (unset) return { parameter, value: null };
    // A value is a literal or a bare word (TIMESTAMP_TYPE_MAPPING = TIMESTAMP_NTZ). NULL and a bare
    // word are kept as typed, to be refused by name: null here would read as UNSET.
    const v = kindOf(item?.value);
    const isNull = typeof item?.value === "object" && item.value !== null && "null" in item.value;
    const value = isNull ? "NULL" : v?.kind === "boolean" ? String(v.fields.value).toUpperCase() : v?.kind === "var" ? v.fields.this : v?.fields.value;
    if (typeof value !== "string" && typeof value !== "number") throw UNSUPPORTED(`ALTER SESSION SET ${parameter} to an expression`, sql);
    return { parameter, value: String(value) };
  });
  return { kind: "set", sql, parameters };
}

const TIMESTAMP_FUNCTIONS = new Set(["CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "SYSDATE", "GETDATE", "SYSTIMESTAMP"]);
const TIME_FUNCTIONS = new Set(["CURRENT_TIME", "LOCALTIME"]);
/** DuckDB's name for each date part the parser reports (DATEDIFF's unit). */
const DATE_PARTS: Readonly<Record<string, string>> = {
  year: "year", quarter: "quarter", month: "month", week: "week", day: "day", hour: "hour", minute: "minute", second: "second",
  millisecond: "millisecond", microsecond: "microsecond", nanosecond: "nanosecond",
};
/** Snowflake's other spellings of each date part (https://docs.snowflake.com/en/sql-reference/functions-date-time#supported-date-and-time-parts). */
const DATE_PART_SYNONYMS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({
    year: ["y", "yy", "yyy", "yyyy", "yr", "years", "yrs"], quarter: ["q", "qtr", "qtrs", "quarters"], month: ["mm", "mon", "mons", "months"],
    week: ["w", "wk", "weekofyear", "woy", "wy", "weeks"], day: ["d", "dd", "days", "dayofmonth"], hour: ["h", "hh", "hr", "hours", "hrs"],
    minute: ["m", "mi", "min", "minutes", "mins"], second: ["s", "sec", "seconds", "secs"], millisecond: ["ms", "msec", "milliseconds"],
    microsecond: ["us", "usec", "microseconds"], nanosecond: ["ns", "nsec", "nanosec", "nsecond", "nanoseconds", "nanosecs", "nseconds"],
  }).flatMap(([part, names]) => names.map((n) => [n, part])),
);
/** Cast targets that keep a VARIANT a VARIANT (its JSON), rather than reading its value. */
const VARIANT_TYPES = /^(variant|object|array|json|struct|map)/i;
/** The parser's names for Snowflake's integer types (BYTEINT comes as a custom type). */
const INTEGER_TYPES = new Set(["int", "small_int", "tiny_int", "big_int", "byteint"]);

class QueryTranslation {
  private readonly parts: string[] = [];
  /** Aliases of FLATTEN results in this statement: their VALUE and THIS columns are JSON. */
  private readonly flattens = new Set<string>();
  /** Placeholders whose value is a VARIANT (DuckDB JSON): a cast of one to a scalar type reads its value. */
  private readonly variants = new Set<string>();
  /** This statement's placeholder prefix (see the module's comment). */
  private readonly prefix = `__HUB_${randomBytes(8).toString("hex")}_`;

  constructor(
    private readonly facts: SessionFacts,
    private readonly sql: string,
  ) {}

  /** A placeholder call whose DuckDB text is `duckdb`. */
  private placeholder(duckdb: string, variant = false): Node {
    this.parts.push(duckdb);
    const name = `${this.prefix}${this.parts.length - 1}`;
    if (variant) this.variants.add(name);
    return call(name);
  }

  run(statement: Node): Translated {
    const names = outputNames(statement, selectListTexts(this.sql));
    // FLATTEN aliases first: the select list (where `f.value::STRING` is) is rewritten before FROM.
    rewrite(statement, (_n, kind, f) => {
      const alias = kind === "lateral" || kind === "alias" ? flattenAlias(kind, f) : null;
      if (alias) this.flattens.add(alias);
      return undefined;
    });
    const rewritten = rewrite(statement, (n, kind, f) => this.visit(n, kind, f)) as Node;
    let duckdb = toDuckdbText(snowflakeText(rewritten));
    // Placeholders may hold placeholders (a rewrite inside another's argument): until none is left.
    const placeholder = new RegExp(`${this.prefix}(\\d+)\\(\\)`, "gi");
    for (let pass = 0; new RegExp(placeholder.source, "i").test(duckdb); pass++) {
      if (pass > this.parts.length + 1) throw new Error(`placeholder left in ${duckdb}`);
      duckdb = duckdb.replace(placeholder, (_, i: string) => this.parts[Number(i)]!);
    }
    return { kind: "query", sql: this.sql, duckdb, names };
  }

  private visit(n: Node, kind: string, f: Node): Node | undefined {
    switch (kind) {
      case "function":
      case "aggregate_function":
        return this.fn(String(f.name), f, n);
      case "date_diff":
        return this.dateDiff(f);
      case "to_number":
        return this.toNumber(f);
      case "cast":
        return this.cast(f);
      case "lateral":
        return this.lateral(f);
      case "starts_with":
      case "ends_with":
        // The transpiler writes Snowflake's name back (STARTSWITH), which DuckDB does not know.
        return this.placeholder(`${kind}(${this.duck(f.this)}, ${this.duck(f.expression)})`);
      case "subscript":
        return this.subscript(f);
      case "div":
        return this.division(f);
      case "table":
        return this.informationSchemaTable(f) ?? this.databaseQualified(f);
      case "window_function":
        return this.windowFunction(f);
      case "array_size": {
        // NULL for a VARIANT that is not an array, as Snowflake documents; DuckDB's array_length takes lists only.
        const x = `CAST(${this.duck(f.this)} AS JSON)`;
        return this.placeholder(`(CASE WHEN json_type(${x}) = 'ARRAY' THEN json_array_length(${x}) END)`);
      }
      default: {
        // Functions the parser types as their own node (TYPEOF, INITCAP): their operands are the node's children.
        const name = kind.toUpperCase();
        if (!EMULATIONS[name]) return undefined;
        const args = Object.values(f).filter((v) => kindOf(v) !== null);
        const emulated = emulate(name, args, { sql: this.sql, duck: (x) => this.duck(x) });
        return emulated ? this.placeholder(emulated.duckdb, emulated.variant) : undefined;
      }
    }
  }

  private fn(name: string, f: Node, n: Node): Node | undefined {
    const upper = name.toUpperCase();
    if (upper.startsWith(this.prefix.toUpperCase())) return undefined;
    if (upper === "TABLE") return this.tableFunction(f);
    if (upper === "FLATTEN") return undefined; // inside TABLE(...) or LATERAL: rewritten by them
    const literal = (v: string | null) => (v === null ? this.placeholder("NULL") : stringLiteral(v));
    switch (upper) {
      case "CURRENT_ROLE":
        return literal(this.facts.role);
      case "CURRENT_USER":
        return literal(this.facts.user);
      case "CURRENT_DATABASE":
        return literal(this.facts.database);
      case "CURRENT_SCHEMA":
        return literal(this.facts.schema);
      case "CURRENT_WAREHOUSE":
        return literal(this.facts.warehouse);
      case "CURRENT_ACCOUNT":
        return literal("HUB_LOCAL");
      case "CURRENT_REGION":
        return literal("LOCAL");
      case "CURRENT_VERSION":
        return literal("hub-twin");
      case "CURRENT_SESSION":
        return literal(String(process.pid));
      case "CURRENT_DATE":
        return this.placeholder(`DATE '${this.facts.now.toISOString().slice(0, 10)}'`);
    }
    if (["DATEADD", "TIMESTAMPADD", "TIMEADD"].includes(upper)) return this.dateAdd(f.args as unknown[]);
    if (upper === "TIME_SLICE") return this.timeSlice(f.args as unknown[]);
    if (upper === "SYSTEM$STREAM_HAS_DATA") return this.streamHasData(f.args as unknown[]);
    const emulated = emulate(upper, (f.args as unknown[]) ?? [], { sql: this.sql, duck: (x) => this.duck(x) });
    if (emulated) return this.placeholder(emulated.duckdb, emulated.variant);
    if (TIMESTAMP_FUNCTIONS.has(upper)) return this.placeholder(`TIMESTAMP '${this.facts.now.toISOString().replace("T", " ").replace("Z", "")}'`);
    if (TIME_FUNCTIONS.has(upper)) return this.placeholder(`TIME '${this.facts.now.toISOString().slice(11, 23)}'`);
    if (!functionSupport(upper)) throw UNKNOWN_FUNCTION(name, this.sql);
    void n;
    return undefined;
  }

  /**
   * x[i] on a Snowflake ARRAY counts from 0 and x['k'] reads an OBJECT's field; DuckDB's lists count
   * from 1. Both become a JSON path on the value as JSON, a VARIANT as Snowflake's is.
   * https://docs.snowflake.com/en/user-guide/querying-semistructured#traversing-semi-structured-data
   */
  private subscript(f: Node): Node {
    const index = kindOf(f.index);
    const x = `CAST(${this.duck(f.this)} AS JSON)`;
    if (index?.kind === "literal" && index.fields.literal_type === "string") {
      return this.placeholder(`json_extract(${x}, '$."${String(index.fields.value).replaceAll("'", "''").replaceAll('"', '\\"')}"')`, true);
    }
    return this.placeholder(`json_extract(${x}, '$[' || CAST(${this.duck(f.index)} AS VARCHAR) || ']')`, true);
  }

  /**
   * RATIO_TO_REPORT(x) OVER (w): x over the sum of x in its window, NULL where that sum is 0.
   * https://docs.snowflake.com/en/sql-reference/functions/ratio_to_report
   */
  private windowFunction(f: Node): Node | undefined {
    const fn = kindOf(f.this);
    // ROW_NUMBER() is a node without fields: {"row_number": null}.
    if (f.this && typeof f.this === "object" && Object.keys(f.this)[0] === "row_number") return this.rowNumber(f);
    if (fn?.kind !== "function" || String(fn.fields.name).toUpperCase() !== "RATIO_TO_REPORT") return undefined;
    const args = (fn.fields.args as unknown[]) ?? [];
    if (args.length !== 1) throw WRONG_ARGUMENT_COUNT("RATIO_TO_REPORT", args.length, "1", this.sql);
    const over = kindOf(f.over)?.fields ?? (f.over as Node);
    if (over && Array.isArray(over.order_by) && over.order_by.length) throw UNSUPPORTED("RATIO_TO_REPORT with ORDER BY in its window", this.sql);
    const sum = this.duck({ window_function: { ...f, this: { function: { ...fn.fields, name: "SUM" } } } });
    return this.placeholder(`(${this.duck(args[0])} / NULLIF(${sum}, 0))`);
  }

  /**
   * ROW_NUMBER() over one ordering key with NULLs first (Snowflake's default for DESC): the key
   * becomes {'n': x IS NULL, 'v': x} with NULLs last, which orders every row the same way. DuckDB
   * turns `QUALIFY ROW_NUMBER() OVER (PARTITION BY ... ORDER BY x) = 1` into an arg_max aggregate
   * only when the key sorts NULLs last (src/optimizer/topn_window_elimination.cpp, CanOptimize); with
   * NULLS FIRST it sorts every partition, ten times slower on "the latest row per device".
   */
  private rowNumber(f: Node): Node | undefined {
    const over = f.over as Node | null;
    const order = over && Array.isArray(over.order_by) ? (over.order_by as Node[]) : [];
    if (order.length !== 1) return undefined;
    const key = order[0]!;
    const desc = key.desc === true;
    const nullsFirst = key.nulls_first === null || key.nulls_first === undefined ? desc : key.nulls_first === true;
    if (!nullsFirst) return undefined;
    const x = this.duck(key.this);
    const struct = this.placeholder(`{'n': (${x}) IS ${desc ? "" : "NOT "}NULL, 'v': (${x})}`);
    return { window_function: { ...f, over: { ...over, order_by: [{ ...key, this: struct, nulls_first: false }] } } };
  }

  /**
   * SYSTEM$STREAM_HAS_DATA('name'): whether the stream has rows to consume, as the task runner reads
   * it; a stream the role may not read fails as a table it may not read does (002003).
   * https://docs.snowflake.com/en/sql-reference/functions/system_stream_has_data
   */
  private streamHasData(args: unknown[]): Node {
    if (args.length !== 1) throw WRONG_ARGUMENT_COUNT("SYSTEM$STREAM_HAS_DATA", args.length, "1", this.sql);
    const name = kindOf(args[0])?.kind === "literal" ? String(kindOf(args[0])!.fields.value) : null;
    if (name === null) throw UNSUPPORTED("SYSTEM$STREAM_HAS_DATA of a name that is not a string literal", this.sql);
    const parts = name.toUpperCase().split(".");
    const [schema, stream] = parts.length === 3 && parts[0] === this.facts.database ? parts.slice(1) : parts.length === 2 ? parts : [this.facts.schema, parts[0]];
    const s = parts.length <= 3 ? STREAMS.find((x) => x.schema === schema && x.name === stream) : undefined;
    if (!s) throw SQL_ERRORS.objectDoesNotExist(parts.length === 1 && schema ? `${this.facts.database}.${schema}.${stream}` : name.toUpperCase(), this.sql);
    return this.placeholder(`EXISTS (SELECT 1 FROM ${objectName(s)})`);
  }

  private dateDiff(f: Node): Node {
    const raw = String(f.unit ?? "day").toLowerCase();
    const part = DATE_PARTS[DATE_PART_SYNONYMS[raw] ?? raw];
    if (!part) throw UNSUPPORTED(`DATEDIFF by ${String(f.unit)}`, this.sql);
    // The parser keeps the later value in `this` and the earlier in `expression`.
    return this.placeholder(`date_diff('${part}', ${this.duck(f.expression)}, ${this.duck(f.this)})`);
  }

  /**
   * DATEADD(part, n, x): x moved by n parts. The transpiler writes `x + INTERVAL -3 HOUR`, which
   * DuckDB cannot parse for a negative or computed n; n × one part is what it means.
   * https://docs.snowflake.com/en/sql-reference/functions/dateadd
   */
  private dateAdd(args: unknown[]): Node {
    if (args.length !== 3) throw WRONG_ARGUMENT_COUNT("DATEADD", args.length, "3", this.sql);
    const unit = kindOf(args[0]);
    const raw = String(unit?.kind === "var" ? unit.fields.this : unit?.kind === "column" ? identifierName(unit.fields.name) : unit?.fields.value ?? "").toLowerCase();
    const part = DATE_PARTS[DATE_PART_SYNONYMS[raw] ?? raw];
    // DuckDB's timestamps count microseconds: a nanosecond step cannot be represented.
    if (!part || part === "nanosecond") throw UNSUPPORTED(`DATEADD by ${raw || "this part"}`, this.sql);
    const interval = part === "quarter" ? "INTERVAL 3 MONTH" : part === "week" ? "INTERVAL 7 DAY" : `INTERVAL 1 ${part.toUpperCase()}`;
    return this.placeholder(`(${this.duck(args[2])} + (${this.duck(args[1])}) * ${interval})`);
  }

  /**
   * TIME_SLICE(x, n, part[, 'START' | 'END']): slices aligned to 1970-01-01 00:00:00, as Snowflake
   * documents ("All slices are aligned relative to midnight January 1, 1970"). DuckDB's
   * time_bucket aligns to 2000-01-03 by default, which moves every slice of 5 days or of weeks.
   * https://docs.snowflake.com/en/sql-reference/functions/time_slice
   */
  private timeSlice(args: unknown[]): Node {
    if (args.length < 3 || args.length > 4) throw WRONG_ARGUMENT_COUNT("TIME_SLICE", args.length, "3 or 4", this.sql);
    const raw = String(kindOf(args[2])?.fields.value ?? "").toLowerCase();
    const part = DATE_PARTS[DATE_PART_SYNONYMS[raw] ?? raw];
    if (!part || ["millisecond", "microsecond", "nanosecond"].includes(part)) throw UNSUPPORTED(`TIME_SLICE by ${raw || "this part"}`, this.sql);
    const n = this.duck(args[1]);
    const interval = part === "quarter" ? `to_months(3 * (${n}))` : part === "week" ? `to_days(7 * (${n}))` : `to_${part}s(${n})`;
    const edge = String(kindOf(args[3])?.fields.value ?? "START").toUpperCase();
    if (!["START", "END"].includes(edge)) throw new HubSqlError("002069", "22023", `SQL compilation error:\nTIME_SLICE's fourth argument must be 'START' or 'END', not '${edge}'`, this.sql);
    const start = `time_bucket(${interval}, ${this.duck(args[0])}, TIMESTAMP '1970-01-01 00:00:00')`;
    return this.placeholder(edge === "END" ? `(${start} + ${interval})` : start);
  }

  private toNumber(f: Node): Node {
    if (f.format != null) throw UNSUPPORTED("TO_NUMBER with a format model", this.sql);
    const precision = literalNumber(f.precision) ?? 38;
    const scale = literalNumber(f.scale) ?? 0;
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) throw UNSUPPORTED(`NUMBER(${precision}, ${scale})`, this.sql);
    const safe = f.safe != null;
    return this.placeholder(`${safe ? "TRY_CAST" : "CAST"}(${this.duck(f.this)} AS DECIMAL(${precision}, ${scale}))`);
  }

  /** A VARIANT (a path into one, or a FLATTEN's VALUE/THIS) cast to a scalar type: its value as text, then cast. */
  private cast(f: Node): Node | undefined {
    const type = f.to as Node;
    const to = String(type.data_type === "custom" ? type.name : type.data_type).toLowerCase();
    if (VARIANT_TYPES.test(to)) return undefined;
    // INT, INTEGER, BIGINT, SMALLINT, TINYINT and BYTEINT are synonyms of NUMBER(38, 0) in Snowflake
    // (https://docs.snowflake.com/en/sql-reference/data-types-numeric): DuckDB's INT is 32 bits and
    // would overflow at 2^31 where Snowflake does not.
    if (INTEGER_TYPES.has(to)) {
      return this.cast({ ...f, to: { data_type: "decimal", precision: 38, scale: 0 } }) ?? { cast: { ...f, to: { data_type: "decimal", precision: 38, scale: 0 } } };
    }
    const inner = kindOf(f.this);
    let text: string | null = null;
    if (inner?.kind === "j_s_o_n_extract") {
      const path = String(kindOf(inner.fields.expression)?.fields.value ?? "");
      text = `(${this.duck(inner.fields.this)} ->> '${jsonPath(path)}')`;
    } else if (inner?.kind === "function" && this.variants.has(String(inner.fields.name))) {
      text = `(${this.duck(f.this)} ->> '$')`;
    } else if (inner?.kind === "column" && this.flattens.has(identifierName(inner.fields.table)) && ["VALUE", "THIS"].includes(identifierName(inner.fields.name))) {
      text = `(${this.duck(f.this)} ->> '$')`;
    }
    if (text === null) return undefined;
    return { cast: { ...f, this: this.placeholder(text) } };
  }

  /**
   * x / y: Snowflake raises "Division by zero" (100051) where DuckDB returns NULL. A divisor that is a
   * non-zero number literal cannot be zero and is left as it is.
   */
  private division(f: Node): Node | undefined {
    const literal = kindOf(f.right)?.kind === "literal" ? Number(kindOf(f.right)?.fields.value) : NaN;
    if (Number.isFinite(literal) && literal !== 0) return undefined;
    const y = this.duck(f.right);
    return this.placeholder(`(${this.duck(f.left)} / (CASE WHEN (${y}) = 0 THEN error('Division by zero') ELSE (${y}) END))`);
  }

  /** `[HUB.]INFORMATION_SCHEMA.<view>` in FROM: the view as the session's role sees it, under the name the user gave it. */
  private informationSchemaTable(f: Node): Node | undefined {
    if (identifierName(f.schema).toUpperCase() !== "INFORMATION_SCHEMA") return undefined;
    const catalog = f.catalog ? identifierName(f.catalog).toUpperCase() : null;
    if (catalog !== null && catalog !== this.facts.database) return undefined;
    const view = identifierName(f.name);
    const alias = f.alias ? identifierName(f.alias) : view;
    const subquery = this.placeholder(informationSchemaView(view, this.facts.role, this.sql));
    return { alias: { this: subquery, alias: { name: alias, quoted: false }, column_aliases: [], alias_explicit_as: true, pre_alias_comments: [] } };
  }

  /**
   * A name with a database (`HUB.ANALYTICS.ALERTS`, as dbt and BI tools write every table): in the
   * session's database it is the two-part name, which the session's connection resolves where the
   * role reads (a tenant's secure views, the hub's own catalog); SNOWFLAKE is the shared database
   * of the usage views (the guard decides). Any other is a database Snowflake does not have here,
   * the DuckDB catalogs behind the twin (hub_secure, system, memory, temp) included: refused, so
   * a query that runs here runs on Snowflake.
   */
  private databaseQualified(f: Node): Node | undefined {
    if (!f.catalog) return undefined;
    const database = identifierName(f.catalog);
    if (database === "SNOWFLAKE") return undefined;
    if (database !== this.facts.database) throw SQL_ERRORS.objectDoesNotExist([database, identifierName(f.schema), identifierName(f.name)].filter(Boolean).join("."), this.sql);
    return { table: { ...f, catalog: null } };
  }

  /** TABLE(INFORMATION_SCHEMA.TASK_HISTORY(name => value, ...)): only named arguments, as Snowflake's examples pass them. */
  private informationSchemaCall(call: Node): Node {
    const fn = identifierName(call.method);
    const args = new Map<string, string>();
    for (const a of (call.args as unknown[]) ?? []) {
      const named = kindOf(a);
      if (named?.kind !== "named_argument") throw UNSUPPORTED(`INFORMATION_SCHEMA.${fn.toUpperCase()} with positional arguments (name them: RESULT_LIMIT => 10)`, this.sql);
      args.set(identifierName(named.fields.name).toUpperCase(), this.duck(named.fields.value));
    }
    return this.placeholder(informationSchemaFunction(fn, args, this.facts.role, this.sql));
  }

  /** LATERAL FLATTEN(input => ...) [AS] alias. */
  private lateral(f: Node): Node | undefined {
    const fn = kindOf(f.this);
    if (fn?.kind !== "function" || String(fn.fields.name).toUpperCase() !== "FLATTEN") return undefined;
    const alias = typeof f.alias === "string" ? f.alias : identifierName(f.alias);
    return { alias: { this: this.placeholder(`LATERAL ${this.flatten(fn.fields)}`), alias: { name: alias, quoted: false }, column_aliases: [], alias_explicit_as: true, pre_alias_comments: [] } };
  }

  /** TABLE(FLATTEN(...)) in FROM, its alias (if any) kept: without one its columns are read unqualified (VALUE, KEY). */
  private tableFunction(f: Node): Node | undefined {
    const inner = kindOf((f.args as unknown[])[0]);
    if (inner?.kind === "method_call" && identifierName(kindOf(inner.fields.this)?.fields.name).toUpperCase() === "INFORMATION_SCHEMA") {
      return this.informationSchemaCall(inner.fields);
    }
    if (inner?.kind !== "function" || String(inner.fields.name).toUpperCase() !== "FLATTEN") {
      throw UNSUPPORTED(`TABLE(${inner ? String(inner.fields.name ?? inner.kind).toUpperCase() : ""}(...))`, this.sql);
    }
    this.flattens.add("");
    return this.placeholder(this.flatten(inner.fields));
  }

  /**
   * FLATTEN's rows as DuckDB's json_each gives them, in Snowflake's columns: SEQ (1: one input per
   * call here), KEY (an object's key; NULL for an array element), PATH, INDEX (an array element's
   * position; NULL for an object's key), VALUE, THIS.
   * https://docs.snowflake.com/en/sql-reference/functions/flatten
   */
  private flatten(f: Node): string {
    const args = new Map<string, unknown>();
    for (const a of (f.args as unknown[]) ?? []) {
      const named = kindOf(a);
      if (named?.kind !== "named_argument") {
        if (!args.has("INPUT")) args.set("INPUT", a);
        continue;
      }
      args.set(identifierName(named.fields.name).toUpperCase(), named.fields.value);
    }
    for (const k of args.keys()) if (!["INPUT", "PATH"].includes(k)) throw UNSUPPORTED(`FLATTEN with ${k}`, this.sql);
    if (!args.has("INPUT")) throw new HubSqlError("002093", "22023", "SQL compilation error:\nFLATTEN requires INPUT.", this.sql);
    let input = `CAST(${this.duck(args.get("INPUT"))} AS JSON)`;
    const path = kindOf(args.get("PATH"))?.fields.value;
    if (typeof path === "string") input = `(${input} -> '${jsonPath(path)}')`;
    return (
      `(SELECT 1 AS "SEQ", CASE WHEN json_type(j.x) = 'ARRAY' THEN NULL ELSE e.key END AS "KEY", ` +
      `CASE WHEN json_type(j.x) = 'ARRAY' THEN '[' || e.key || ']' ELSE e.key END AS "PATH", ` +
      `CASE WHEN json_type(j.x) = 'ARRAY' THEN CAST(e.key AS BIGINT) END AS "INDEX", e.value AS "VALUE", j.x AS "THIS" ` +
      `FROM (SELECT ${input} AS x) j, json_each(j.x) e)`
    );
  }

  /** An argument's DuckDB text (its own placeholders included; they are replaced at the end). */
  private duck(node: unknown): string {
    return expressionToDuckdb(node as Node);
  }
}

/** The alias a LATERAL FLATTEN or TABLE(FLATTEN(...)) is given, upper-cased as it resolves; null for other nodes. */
function flattenAlias(kind: string, f: Node): string | null {
  const fn = kindOf(f.this);
  if (fn?.kind !== "function") return null;
  const name = String(fn.fields.name).toUpperCase();
  if (kind === "lateral" && name === "FLATTEN") return (typeof f.alias === "string" ? f.alias : identifierName(f.alias)).toUpperCase();
  if (kind === "alias" && name === "TABLE") {
    const inner = kindOf((fn.fields.args as unknown[])[0]);
    if (inner?.kind === "function" && String(inner.fields.name).toUpperCase() === "FLATTEN") return identifierName(f.alias).toUpperCase();
  }
  return null;
}

function literalNumber(node: unknown): number | null {
  const v = kindOf(node)?.fields.value;
  return v === undefined || v === null ? null : Number(v);
}

/** A Snowflake VARIANT path (`a.b[0]`, `"my key".x`) as a DuckDB JSON path (`$.a.b[0]`). */
export function jsonPath(path: string): string {
  const escaped = path.replaceAll("'", "''");
  return escaped.startsWith("[") ? `$${escaped}` : `$.${escaped}`;
}

/**
 * Result column names as Snowflake gives them: an unquoted alias or column upper-cased, a quoted
 * one as written, any other expression its text upper-cased (`COUNT(*)`); `*` keeps the table's
 * names. From the first branch of a set operation.
 */
export function outputNames(statement: Node, typed: readonly string[] | null = null): OutputName[] {
  let k = kindOf(statement);
  while (k && ["union", "intersect", "except"].includes(k.kind)) k = kindOf(k.fields.left ?? k.fields.this);
  if (k?.kind === "subquery") return outputNames(k.fields.this as Node, typed);
  if (k?.kind !== "select") return [];
  const items = (k.fields.expressions as unknown[]) ?? [];
  // The typed text of each item, when the scanner found as many items as the parser.
  const texts = typed && typed.length === items.length ? typed : null;
  return items.map((e, i): OutputName => {
    const x = kindOf(e);
    if (!x) return { name: "?" };
    if (x.kind === "star") return { star: true };
    if (x.kind === "alias") return { name: identifierName(x.fields.alias) };
    if (x.kind === "column") return { name: identifierName(x.fields.name) };
    return { name: expressionColumnName(texts ? texts[i]! : snowflakeText(selectOf(e as Node)).replace(/^SELECT /, "")) };
  });
}

/** The DuckDB text of a query alone (no session facts needed), for tools that only translate. */
export function translateQuery(sql: string, facts: SessionFacts): string {
  const [t] = translate(sql, facts);
  if (!t || t.kind !== "query") throw UNSUPPORTED("a statement that is not a query", sql);
  return t.duckdb;
}

export { toDuckdbText };
