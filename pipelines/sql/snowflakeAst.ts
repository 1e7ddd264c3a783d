/**
 * Small tools over the Snowflake AST of @polyglot-sql/sdk (a WebAssembly build of a sqlglot-style
 * parser and transpiler): every node is an object with one key, its kind (`function`, `column`,
 * `cast`, `j_s_o_n_extract`, ...), whose value holds its fields. These helpers walk and rebuild that
 * JSON; they know no node kind but the ones they are asked about.
 */
import "./wasmCompile.ts";
import { Dialect, generate, parse, transpile } from "@polyglot-sql/sdk";
import { HubSqlError } from "../warehouse/errors.ts";

export type Node = Record<string, unknown>;

/** The node's kind (its one key) and fields, or null for a value that is not a node. */
export function kindOf(node: unknown): { kind: string; fields: Node } | null {
  if (!node || typeof node !== "object" || Array.isArray(node)) return null;
  const keys = Object.keys(node);
  if (keys.length !== 1) return null;
  const fields = (node as Node)[keys[0]!];
  if (!fields || typeof fields !== "object" || Array.isArray(fields)) return null;
  return { kind: keys[0]!, fields: fields as Node };
}

/**
 * Rebuild `node` bottom-up: every child first, then `visit` on the node, whose return (if any)
 * replaces it. `visit` sees nodes whose children are already rewritten.
 */
export function rewrite(node: unknown, visit: (n: Node, kind: string, fields: Node) => Node | undefined): unknown {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, visit));
  if (!node || typeof node !== "object") return node;
  const out: Node = {};
  for (const [k, v] of Object.entries(node as Node)) out[k] = rewrite(v, visit);
  const k = kindOf(out);
  return (k && visit(out, k.kind, k.fields)) ?? out;
}

/** Snowflake's syntax error for what the parser refused: code, line and position as it reports them. */
export function syntaxError(message: string, sql: string): HubSqlError {
  const m = /line (\d+), column (\d+): (.*)$/s.exec(message);
  const where = m ? `line ${m[1]} at position ${Number(m[2]) - 1}` : "line 1 at position 0";
  return new HubSqlError("001003", "42000", `SQL compilation error:\nsyntax error ${where}: ${m ? m[3] : message}`, sql);
}

/** The statements of a request, parsed as Snowflake SQL. */
export function parseSnowflake(sql: string): Node[] {
  const r = parse(sql, Dialect.Snowflake);
  if (!r.success) throw syntaxError(r.error ?? "unparseable", sql);
  return r.ast as Node[];
}

/** A statement's AST back to Snowflake SQL text. */
export function snowflakeText(statement: Node): string {
  const r = generate([statement], Dialect.Snowflake);
  if (!r.success || !r.sql?.length) throw new Error(`cannot render the statement back to SQL: ${r.error ?? "no output"}`);
  return r.sql[0]!;
}

/** Snowflake SQL text to DuckDB SQL text, by the transpiler alone. */
export function toDuckdbText(snowflakeSql: string): string {
  const r = transpile(snowflakeSql, Dialect.Snowflake, Dialect.DuckDB);
  if (!r.success || !r.sql?.length) throw syntaxError(r.error ?? "untranslatable", snowflakeSql);
  return r.sql.join(";\n");
}

/** A node for a SELECT of one expression, the way to render an expression on its own. */
export function selectOf(expression: Node): Node {
  const template = parseSnowflake("SELECT 1")[0]!;
  const sel = kindOf(template)!.fields;
  return { select: { ...sel, expressions: [expression] } };
}

/** One expression's DuckDB text. */
export function expressionToDuckdb(expression: Node): string {
  return toDuckdbText(snowflakeText(selectOf(expression))).replace(/^SELECT /, "");
}

/** A call of a function with no arguments: what placeholders are made of. */
export function call(name: string): Node {
  return { function: { name, args: [], distinct: false, trailing_comments: [], use_bracket_syntax: false, no_parens: false, quoted: false } };
}

export function stringLiteral(value: string): Node {
  return { literal: { literal_type: "string", value } };
}

/** An identifier node's text as Snowflake resolves it: unquoted names upper-cased, quoted exact. */
export function identifierName(id: unknown): string {
  const k = id as { name?: string; quoted?: boolean } | null;
  if (!k || typeof k.name !== "string") return "";
  return k.quoted ? k.name : k.name.toUpperCase();
}

/** How many times a parsed statement names the table `SCHEMA.NAME` (any database), e.g. how often it reads a stream. */
export function tableReferences(sql: string, qualified: string): number {
  const [schema, name] = qualified.toUpperCase().split(".");
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== "object") return;
    const k = kindOf(v);
    if (k?.kind === "table" && identifierName(k.fields.name) === name && identifierName(k.fields.schema) === schema) n++;
    Object.values(v as object).forEach(walk);
  };
  walk(parseSnowflake(sql));
  return n;
}
