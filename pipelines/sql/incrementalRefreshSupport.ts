/**
 * Whether Snowflake can refresh a dynamic table's query incrementally, decided on the parsed query
 * (@polyglot-sql/sdk's Snowflake AST), against an allowlist of the constructs Snowflake's
 * "Supported queries for dynamic tables" page documents as supported for incremental refresh
 * (https://docs.snowflake.com/en/user-guide/dynamic-tables/supported-queries, read 2026-12-05).
 * Anything the allowlist does not name is a finding, so a construct nobody checked fails instead
 * of passing: the list grows when the page does (MIN_BY/MAX_BY joined in March 2026, approximate
 * aggregates in September 2026), after someone reads the page again.
 *
 * A query with findings must not be declared REFRESH_MODE = INCREMENTAL: Snowflake would refuse to
 * create it. Under AUTO it would be created and refreshed in full every time.
 */
import { kindOf, parseSnowflake, type Node } from "./snowflakeAst.ts";

export interface IncrementalFinding {
  /** The construct, as the page or the SQL names it (`ANY_VALUE`, `LIMIT`, `subquery in WHERE`). */
  readonly construct: string;
  /** Where it sits: the clause (`SELECT`, `WHERE`, `FROM`, `JOIN ... ON`, `GROUP BY`, ...). */
  readonly clause: string;
  readonly why: string;
}

const PAGE = "https://docs.snowflake.com/en/user-guide/dynamic-tables/supported-queries";

/** Expression node kinds allowed anywhere an expression may stand (operators, literals, CASE, CAST). */
const EXPRESSION_KINDS = new Set([
  "column", "literal", "boolean", "null", "alias", "paren", "case", "cast", "try_cast", "star",
  "and", "or", "not", "eq", "neq", "gt", "gte", "lt", "lte", "is_null", "like", "ilike", "between",
  "add", "sub", "mul", "div", "mod", "neg", "concat",
]);

/**
 * Deterministic built-in scalar functions (the page's SELECT row: "Expressions must use deterministic
 * built-in functions"). Each is deterministic by its own reference page; the parser gives some a
 * node kind of their own (`coalesce`, `trim`, `floor`, `date_diff` for TIMESTAMPDIFF), others are
 * `function` nodes with a name.
 */
const SCALAR_KINDS = new Set(["coalesce", "trim", "floor", "ceil", "round", "abs", "date_diff", "nullif", "upper", "lower", "length", "substring"]);
const SCALAR_FUNCTIONS = new Set([
  "DATE_TRUNC", "NULLIF", "ROUND", "FLOOR", "CEIL", "ABS", "TRIM", "UPPER", "LOWER", "SPLIT_PART", "IFF", "NVL",
  "TIMESTAMPDIFF", "DATEDIFF", "LEAST", "GREATEST", "SUBSTR", "REPLACE", "POSITION", "ZEROIFNULL",
]);

/**
 * Aggregates: the page's "Scalar aggregates: Supported" and SELECT row (deterministic built-ins);
 * MIN_BY/MAX_BY are named supported since March 2026. ANY_VALUE is named unsupported (it is
 * non-deterministic). LISTAGG is deterministic only with WITHIN GROUP (ORDER BY ...): checked below.
 */
const AGGREGATE_KINDS = new Set(["sum", "min", "max", "count", "avg"]);
const AGGREGATE_FUNCTIONS = new Set(["MAX_BY", "MIN_BY", "OBJECT_AGG", "COUNT_IF", "BOOLAND_AGG", "BOOLOR_AGG"]);

/**
 * Window functions: supported "except PERCENT_RANK, DENSE_RANK, or RANK with sliding window frames"
 * and ANY_VALUE; the non-deterministic-functions table lists ROW_NUMBER, RANK, DENSE_RANK,
 * FIRST_VALUE, LAST_VALUE, NTH_VALUE, MIN_BY, MAX_BY as supported.
 */
const WINDOW_KINDS = new Set(["row_number", "rank", "dense_rank", "lag", "lead", "first_value", "last_value", "nth_value", ...AGGREGATE_KINDS]);
const RANKING_KINDS = new Set(["rank", "dense_rank", "percent_rank"]);

/** What the page names as not supported for incremental refresh, for a finding that says why. */
const NAMED_UNSUPPORTED: Readonly<Record<string, string>> = {
  any_value: "ANY_VALUE is not supported because it is a non-deterministic function",
  ANY_VALUE: "ANY_VALUE is not supported because it is a non-deterministic function",
  RANDOM: "non-deterministic scalar functions in SELECT cause fallback to full refresh",
  UUID_STRING: "non-deterministic scalar functions in SELECT cause fallback to full refresh",
  CURRENT_ROLE: "CURRENT_ROLE is not supported for incremental refresh",
  CURRENT_USER: "functions that rely on CURRENT_USER are not supported",
  CURRENT_WAREHOUSE: "CURRENT_WAREHOUSE is not supported for incremental refresh",
  CURRENT_ACCOUNT: "CURRENT_ACCOUNT is not supported for incremental refresh",
  SEQ1: "sequence functions are not supported for incremental refresh",
  SEQ2: "sequence functions are not supported for incremental refresh",
  SEQ4: "sequence functions are not supported for incremental refresh",
  SEQ8: "sequence functions are not supported for incremental refresh",
};

/** SELECT fields that may be set: the page's rows for WITH, SELECT, DISTINCT, FROM, joins, WHERE/HAVING/QUALIFY, GROUP BY, ORDER BY. */
const SELECT_FIELDS = new Set(["expressions", "from", "joins", "where_clause", "group_by", "having", "qualify", "order_by", "distinct", "with", "leading_comments", "locks"]);
/** How the page and users name the SELECT fields the allowlist leaves out. */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  limit: "LIMIT", offset: "OFFSET", fetch: "FETCH", top: "TOP <n>", sample: "SAMPLE / TABLESAMPLE", connect: "CONNECT BY",
  lateral_views: "LATERAL view", distinct_on: "DISTINCT ON", windows: "WINDOW clause", into: "SELECT INTO",
};

/** Fields of a FROM table a query may set: its name parts and alias. */
const TABLE_FIELDS = new Set(["name", "schema", "catalog", "alias", "alias_explicit_as", "column_aliases", "trailing_comments"]);

/** Functions of the current time: "Supported only as a part of a WHERE/HAVING/QUALIFY clause." */
const CURRENT_TIME_FUNCTIONS = new Set(["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP", "LOCALTIME", "SYSDATE", "GETDATE", "SYSTIMESTAMP"]);

/** Join kinds: INNER and CROSS supported; LEFT/RIGHT/FULL [OUTER] with equality predicates only. */
const INNER_JOINS = new Set(["Inner", "Cross", "Implicit"]);
const OUTER_JOINS = new Set(["Left", "Right", "Full", "LeftOuter", "RightOuter", "FullOuter", "Outer"]);

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === false || (Array.isArray(v) && v.length === 0);
}

/** A node's kind and fields, counting a one-key object whose value is null (`{"row_number": null}`) as a node without fields. */
function nodeOf(v: unknown): { kind: string; fields: Node } | null {
  const k = kindOf(v);
  if (k) return k;
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && (v as Node)[keys[0]!] === null) return { kind: keys[0]!, fields: {} };
  }
  return null;
}

class Checker {
  readonly findings: IncrementalFinding[] = [];

  private find(construct: string, clause: string, why: string): void {
    this.findings.push({ construct, clause, why });
  }

  /** A query: SELECT, UNION [ALL] of queries, or a parenthesised one. */
  query(q: unknown, clause: string): void {
    const n = nodeOf(q);
    if (!n) return this.find("unparsed query part", clause, `not a query node the allowlist knows (${PAGE})`);
    switch (n.kind) {
      case "select":
        return this.select(n.fields);
      case "union":
        // "UNION ALL: Supported"; "UNION (without ALL): Supported" since August 2025.
        if (!isEmpty(n.fields.order_by) || !isEmpty(n.fields.limit) || !isEmpty(n.fields.offset)) this.find("LIMIT / ORDER BY on a set operation", clause, "LIMIT is not supported");
        if (!isEmpty(n.fields.with)) this.with(n.fields.with);
        this.query(n.fields.left, clause);
        this.query(n.fields.right, clause);
        return;
      case "subquery":
      case "paren":
        return this.query(n.fields.this, clause);
      case "except":
      case "intersect":
        return this.find(n.kind.toUpperCase(), clause, "MINUS, EXCEPT, INTERSECT: not supported");
      default:
        return this.find(n.kind, clause, `query construct not in the allowlist (${PAGE})`);
    }
  }

  private with(w: unknown): void {
    const fields = w as { ctes?: unknown[]; recursive?: boolean };
    if (fields.recursive) this.find("WITH RECURSIVE", "WITH", "WITH RECURSIVE is not supported");
    // "WITH: Supported when the CTE subquery uses only incrementally supported features."
    for (const cte of fields.ctes ?? []) this.query((cte as Node).this, "WITH");
  }

  private select(s: Node): void {
    for (const [field, value] of Object.entries(s)) {
      if (isEmpty(value) || SELECT_FIELDS.has(field)) continue;
      this.find(FIELD_NAMES[field] ?? field, "SELECT", `${FIELD_NAMES[field] ?? field} is not in the allowlist of supported constructs (${PAGE})`);
    }
    if (!isEmpty(s.with)) this.with(s.with);
    for (const e of (s.expressions as unknown[]) ?? []) this.expr(e, "SELECT");
    for (const f of ((s.from as Node | null)?.expressions as unknown[] | undefined) ?? []) this.source(f, "FROM");
    for (const j of (s.joins as Node[]) ?? []) this.join(j);
    if (s.where_clause) this.expr((s.where_clause as Node).this, "WHERE");
    if (s.having) this.expr((s.having as Node).this, "HAVING");
    if (s.qualify) this.expr((s.qualify as Node).this, "QUALIFY");
    const g = s.group_by as Node | null;
    if (g) {
      if (!isEmpty(g.all)) this.find("GROUP BY ALL", "GROUP BY", `GROUP BY ALL is not in the allowlist (${PAGE})`);
      for (const e of (g.expressions as unknown[]) ?? []) this.expr(e, "GROUP BY");
    }
    // "ORDER BY: Accepted but has no effect."
    for (const o of ((s.order_by as Node | null)?.expressions as unknown[] | undefined) ?? []) this.expr(o, "ORDER BY");
  }

  /** A FROM item: "Base tables, views, ... and other dynamic tables", or a subquery in FROM. */
  private source(f: unknown, clause: string): void {
    const n = nodeOf(f);
    if (n?.kind === "table") {
      // A name and an alias; a sample, time travel or any other modifier is a finding.
      for (const [field, value] of Object.entries(n.fields)) {
        if (TABLE_FIELDS.has(field) || isEmpty(value)) continue;
        const shown = field === "table_sample" ? "SAMPLE / TABLESAMPLE" : `table ${field}`;
        this.find(shown, clause, field === "table_sample" ? "SAMPLE / TABLESAMPLE is not supported" : `${shown} is not in the allowlist (${PAGE})`);
      }
      return;
    }
    if (n?.kind === "subquery") {
      if (n.fields.lateral) this.find("LATERAL", clause, "LATERAL JOIN is not supported; LATERAL FLATTEN is, but is not in this allowlist until a query needs it");
      if (!isEmpty(n.fields.limit) || !isEmpty(n.fields.offset)) this.find("LIMIT", clause, "LIMIT / FETCH / TOP <n> is not supported");
      return this.query(n.fields.this, clause);
    }
    this.find(n ? n.kind.toUpperCase() : "unparsed source", clause, `FROM takes base tables, views, dynamic tables and subqueries; this is not in the allowlist (${PAGE})`);
  }

  private join(j: Node): void {
    const kind = String(j.kind);
    const clause = `${kind.toUpperCase()} JOIN`;
    for (const [field, value] of Object.entries(j)) {
      if (["this", "on", "kind", "nesting_group"].includes(field) || isEmpty(value)) continue;
      this.find(`JOIN ${field}`, clause, `join option ${field} is not in the allowlist (${PAGE})`);
    }
    this.source(j.this, clause);
    if (OUTER_JOINS.has(kind)) {
      // "Supported with equality predicates only."
      if (!equalitiesOnly(j.on)) this.find(`${kind.toUpperCase()} OUTER JOIN with a non-equality predicate`, `${clause} ... ON`, "outer joins with non-equality predicates are not supported");
    } else if (!INNER_JOINS.has(kind)) {
      this.find(clause, clause, `join kind ${kind} is not in the allowlist (${PAGE})`);
    }
    if (j.on) this.expr(j.on, `${clause} ... ON`);
  }

  /** Every node of an expression must be in the allowlist; a query inside one is a subquery outside FROM. */
  expr(e: unknown, clause: string): void {
    if (Array.isArray(e)) return e.forEach((x) => this.expr(x, clause));
    if (!e || typeof e !== "object") return;
    const n = nodeOf(e);
    if (!n) {
      // Plain field groups (identifiers, ORDER BY items, a window's OVER): their values are checked.
      for (const v of Object.values(e as Node)) this.expr(v, clause);
      return;
    }
    const { kind, fields } = n;
    if (["select", "subquery", "union", "exists", "except", "intersect"].includes(kind) || (kind === "in" && !isEmpty(fields.query))) {
      return this.find(`subquery in ${clause}`, clause, "subqueries outside FROM (WHERE EXISTS, IN (SELECT ...)) are not supported");
    }
    if (kind === "window_function") return this.window(fields, clause);
    if (kind === "within_group") return this.withinGroup(fields, clause);
    const name = kind === "function" || kind === "aggregate_function" ? String(fields.name).toUpperCase() : kind;
    if (NAMED_UNSUPPORTED[name]) return this.find(name.toUpperCase(), clause, NAMED_UNSUPPORTED[name]!);
    if (CURRENT_TIME_FUNCTIONS.has(name.toUpperCase())) {
      // "Supported only as a part of a WHERE/HAVING/QUALIFY clause."
      if (!["WHERE", "HAVING", "QUALIFY"].includes(clause)) this.find(name.toUpperCase(), clause, `${name.toUpperCase()} is supported only in WHERE/HAVING/QUALIFY`);
      return;
    }
    if (kind === "list_agg") return this.find("LISTAGG without WITHIN GROUP (ORDER BY ...)", clause, "its order is unspecified, so the result is not deterministic");
    const allowed =
      EXPRESSION_KINDS.has(kind) || SCALAR_KINDS.has(kind) || AGGREGATE_KINDS.has(kind) ||
      (kind === "function" && SCALAR_FUNCTIONS.has(name)) || (kind === "aggregate_function" && AGGREGATE_FUNCTIONS.has(name)) ||
      (kind === "in" && isEmpty(fields.query));
    if (!allowed) {
      const shown = kind === "function" || kind === "aggregate_function" ? name : kind.toUpperCase();
      return this.find(shown, clause, `not in the allowlist of deterministic built-ins and operators the page documents as supported (${PAGE}); read the page again before adding it`);
    }
    for (const v of Object.values(fields)) this.expr(v, clause);
  }

  private window(w: Node, clause: string): void {
    const fn = nodeOf(w.this);
    const over = (w.over ?? {}) as Node;
    if (!fn) return this.find("window function", clause, "unparsed window function");
    const name = fn.kind === "aggregate_function" ? String(fn.fields.name).toUpperCase() : fn.kind;
    if (NAMED_UNSUPPORTED[name]) return this.find(name.toUpperCase(), clause, NAMED_UNSUPPORTED[name]!);
    const known = WINDOW_KINDS.has(fn.kind) || (fn.kind === "aggregate_function" && ["MAX_BY", "MIN_BY"].includes(name));
    if (!known) this.find(`${name} window function`, clause, `window function not in the allowlist (${PAGE})`);
    if (RANKING_KINDS.has(fn.kind) && !isEmpty(over.frame)) {
      this.find(`${fn.kind.toUpperCase()} with a window frame`, clause, "PERCENT_RANK, DENSE_RANK or RANK with sliding window frames are not supported");
    }
    if (!isEmpty(over.window_name)) this.find("named window", clause, `named windows are not in the allowlist (${PAGE})`);
    for (const v of Object.values(fn.fields)) this.expr(v, clause);
    this.expr(over.partition_by, clause);
    this.expr(over.order_by, clause);
  }

  private withinGroup(w: Node, clause: string): void {
    const fn = nodeOf(w.this);
    if (fn?.kind !== "list_agg" || isEmpty(w.order_by)) return this.find(`${fn?.kind ?? "?"} WITHIN GROUP`, clause, `not in the allowlist (${PAGE})`);
    // LISTAGG ... WITHIN GROUP (ORDER BY ...): a deterministic built-in aggregate when the order is given.
    for (const [k, v] of Object.entries(fn.fields)) if (k !== "order_by") this.expr(v, clause);
    this.expr(w.order_by, clause);
  }
}

/** `a = b [AND c = d ...]`: the only outer-join condition incremental refresh supports. */
function equalitiesOnly(on: unknown): boolean {
  const n = nodeOf(on);
  if (!n) return false;
  if (n.kind === "paren") return equalitiesOnly(n.fields.this);
  if (n.kind === "and") return equalitiesOnly(n.fields.left) && equalitiesOnly(n.fields.right);
  return n.kind === "eq";
}

/** The constructs of `sql` (one query) that Snowflake does not support for incremental refresh; none means it qualifies. */
export function incrementalRefreshFindings(sql: string): IncrementalFinding[] {
  const statements = parseSnowflake(sql);
  if (statements.length !== 1) throw new Error(`a dynamic table's query is one statement; got ${statements.length}`);
  const c = new Checker();
  c.query(statements[0], "query");
  return c.findings;
}
