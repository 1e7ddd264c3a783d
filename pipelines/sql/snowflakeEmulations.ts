/**
 * Snowflake functions the transpiler leaves untranslated or translates to a different meaning,
 * each as the DuckDB expression that gives Snowflake's documented result (the page beside each).
 * They are called by name from snowflakeTranslator.ts with their arguments already in DuckDB text.
 *
 * VARIANT values are DuckDB JSON here, and Snowflake's ARRAY indexes from 0: an emulation that
 * returns a VARIANT says so (`variant`), so that a cast of it to a scalar type reads the value
 * (`'"x"'` cast to VARCHAR is `x`, as Snowflake gives it) rather than the JSON text.
 */
import { kindOf } from "./snowflakeAst.ts";
import { UNSUPPORTED, WRONG_ARGUMENT_COUNT } from "./refusals.ts";
import { isNumericFormat, strftimeFormat } from "./snowflakeFormat.ts";

export interface EmulationContext {
  /** The statement as typed, for errors. */
  readonly sql: string;
  /** An argument's DuckDB text. */
  duck(node: unknown): string;
}

export interface Emulated {
  readonly duckdb: string;
  /** The result is a VARIANT (DuckDB JSON). */
  readonly variant?: boolean;
}

interface Emulation {
  /** Argument counts it takes, as Snowflake words them in its error ("2", "1 or 2"). */
  readonly takes: string;
  readonly counts: readonly number[];
  /** The DuckDB expression; undefined leaves the call to the transpiler. */
  run(args: readonly unknown[], cx: EmulationContext): Emulated | undefined;
}

/** A literal's value, or undefined for anything else. */
function literal(node: unknown): { type: string; value: string } | undefined {
  const k = kindOf(node);
  if (k?.kind !== "literal") return undefined;
  return { type: String(k.fields.literal_type), value: String(k.fields.value) };
}

/** A number written as a literal (`1767600000`, `-5`, `1.5`), or undefined. */
function numberLiteral(node: unknown): number | undefined {
  const k = kindOf(node);
  if (k?.kind === "neg") {
    const inner = numberLiteral(k.fields.this);
    return inner === undefined ? undefined : -inner;
  }
  const l = literal(node);
  return l?.type === "number" ? Number(l.value) : undefined;
}

/** A string written as a literal, or undefined. */
function stringLiteral(node: unknown): string | undefined {
  const l = literal(node);
  return l?.type === "string" ? l.value : undefined;
}

const json = (x: string) => `CAST(${x} AS JSON)`;
const quoted = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by size as Snowflake does
 * (https://docs.snowflake.com/en/sql-reference/functions/to_timestamp: "If the value is greater than or equal to 31536000000 and less than
 * 31536000000000, then the value is treated as milliseconds", and so on), or scaled by `scale`.
 */
function epochTimestamp(args: readonly unknown[], cx: EmulationContext): Emulated | undefined {
  const n = numberLiteral(args[0]);
  if (n === undefined) return undefined; // a string or a column: the transpiler's cast
  const scale = args.length === 2 ? numberLiteral(args[1]) : undefined;
  if (args.length === 2 && (scale === undefined || !Number.isInteger(scale) || scale < 0 || scale > 9)) {
    throw UNSUPPORTED("TO_TIMESTAMP with a scale that is not a literal 0 to 9 or with a format", cx.sql);
  }
  const microsPerUnit = scale !== undefined ? 10 ** (6 - scale) : Math.abs(n) < 31536000000 ? 1e6 : Math.abs(n) < 31536000000000 ? 1e3 : Math.abs(n) < 31536000000000000 ? 1 : 1e-3;
  return { duckdb: `make_timestamp(CAST(CAST(${cx.duck(args[0])} AS DECIMAL(38, 9)) * ${microsPerUnit} AS BIGINT))` };
}

/** Snowflake's INITCAP delimiters: whitespace and these (https://docs.snowflake.com/en/sql-reference/functions/initcap). */
const INITCAP_DELIMITERS = `[[:space:]!?@"^#$&~_,.:;+\\-*%/|\\\\\\[\\](){}<>]`;

export const EMULATIONS: Readonly<Record<string, Emulation>> = {
  // https://docs.snowflake.com/en/sql-reference/functions/object_construct: NULL values are left out; JSON merge-patch drops a key whose value is null.
  OBJECT_CONSTRUCT: {
    takes: "an even number", counts: [],
    run(args, cx) {
      if (args.some((a) => kindOf(a)?.kind === "star")) throw UNSUPPORTED("OBJECT_CONSTRUCT(*)", cx.sql);
      if (args.length % 2) throw WRONG_ARGUMENT_COUNT("OBJECT_CONSTRUCT", args.length, "an even number", cx.sql);
      if (args.length === 0) return { duckdb: json("'{}'"), variant: true };
      return { duckdb: `json_merge_patch(${json("'{}'")}, json_object(${args.map((a) => cx.duck(a)).join(", ")}))`, variant: true };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/object_construct_keep_null
  OBJECT_CONSTRUCT_KEEP_NULL: {
    takes: "an even number", counts: [],
    run(args, cx) {
      if (args.length % 2) throw WRONG_ARGUMENT_COUNT("OBJECT_CONSTRUCT_KEEP_NULL", args.length, "an even number", cx.sql);
      return { duckdb: args.length ? `json_object(${args.map((a) => cx.duck(a)).join(", ")})` : json("'{}'"), variant: true };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/object_keys
  OBJECT_KEYS: { takes: "1", counts: [1], run: (a, cx) => ({ duckdb: `json_keys(${json(cx.duck(a[0]))})` }) },
  // https://docs.snowflake.com/en/sql-reference/functions/object_agg: rows whose key or value is NULL are left out.
  OBJECT_AGG: {
    takes: "2", counts: [2],
    run(a, cx) {
      // DuckDB's json_group_object is a macro, which takes no FILTER: the object is built from its pairs.
      const [k, v] = [cx.duck(a[0]), cx.duck(a[1])];
      const pairs = `string_agg(to_json(CAST(${k} AS VARCHAR)) || ':' || to_json(${v}), ',') FILTER (WHERE ${k} IS NOT NULL AND ${v} IS NOT NULL)`;
      return { duckdb: `CAST('{' || COALESCE(${pairs}, '') || '}' AS JSON)`, variant: true };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/get: an ARRAY's element from 0, an OBJECT's field by name.
  GET: {
    takes: "2", counts: [2],
    run(a, cx) {
      const key = stringLiteral(a[1]);
      const path = key !== undefined ? quoted(`$."${key.replaceAll('"', '\\"')}"`) : `'$[' || CAST(${cx.duck(a[1])} AS VARCHAR) || ']'`;
      return { duckdb: `json_extract(${json(cx.duck(a[0]))}, ${path})`, variant: true };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/typeof: the type of the value a VARIANT holds.
  TYPEOF: {
    takes: "1", counts: [1],
    run(a, cx) {
      const x = json(cx.duck(a[0]));
      return {
        duckdb:
          `(CASE json_type(${x}) WHEN 'BIGINT' THEN 'INTEGER' WHEN 'UBIGINT' THEN 'INTEGER' WHEN 'VARCHAR' THEN 'VARCHAR' WHEN 'BOOLEAN' THEN 'BOOLEAN' ` +
          `WHEN 'ARRAY' THEN 'ARRAY' WHEN 'OBJECT' THEN 'OBJECT' WHEN 'NULL' THEN 'NULL_VALUE' ` +
          `WHEN 'DOUBLE' THEN CASE WHEN regexp_matches(CAST(${x} AS VARCHAR), '[eE]') THEN 'DOUBLE' ELSE 'DECIMAL' END END)`,
      };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/approx_percentile
  APPROX_PERCENTILE: { takes: "2", counts: [2], run: (a, cx) => ({ duckdb: `approx_quantile(${cx.duck(a[0])}, ${cx.duck(a[1])})` }) },
  // https://docs.snowflake.com/en/sql-reference/functions/sha2: 256 bits by default; the twin has no other length.
  SHA2: {
    takes: "1 or 2", counts: [1, 2],
    run(a, cx) {
      if (a.length === 2 && numberLiteral(a[1]) !== 256) throw UNSUPPORTED("SHA2 with a digest size other than 256", cx.sql);
      return { duckdb: `sha256(${cx.duck(a[0])})` };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/uuid_string: a random (version 4) UUID as text.
  UUID_STRING: {
    takes: "0", counts: [0, 2],
    run(a, cx) {
      if (a.length) throw UNSUPPORTED("UUID_STRING(uuid, name) (version 5 UUIDs)", cx.sql);
      return { duckdb: "CAST(uuid() AS VARCHAR)" };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/initcap: upper case after a delimiter, lower case elsewhere.
  INITCAP: {
    takes: "1", counts: [1, 2],
    run(a, cx) {
      if (a.length === 2) throw UNSUPPORTED("INITCAP with its own delimiters", cx.sql);
      const s = cx.duck(a[0]);
      return {
        duckdb: `array_to_string(list_transform(range(1, length(${s}) + 1), i -> CASE WHEN i = 1 OR regexp_matches(substr(${s}, i - 1, 1), '${INITCAP_DELIMITERS}') THEN upper(substr(${s}, i, 1)) ELSE lower(substr(${s}, i, 1)) END), '')`,
      };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/width_bucket: 0 below the range, buckets + 1 at or above its top.
  WIDTH_BUCKET: {
    takes: "4", counts: [4],
    run(a, cx) {
      const [x, lo, hi, n] = a.map((v) => `(${cx.duck(v)})`);
      return { duckdb: `(CASE WHEN ${x} < ${lo} THEN 0 WHEN ${x} >= ${hi} THEN ${n} + 1 ELSE CAST(floor((${x} - ${lo}) * ${n} / (${hi} - ${lo})) AS BIGINT) + 1 END)` };
    },
  },
  // https://docs.snowflake.com/en/sql-reference/functions/to_char: a date, time or timestamp printed by a format model.
  TO_VARCHAR: { takes: "1 or 2", counts: [1, 2], run: toVarchar },
  TO_CHAR: { takes: "1 or 2", counts: [1, 2], run: toVarchar },
  TO_TIMESTAMP: { takes: "1 or 2", counts: [1, 2], run: epochTimestamp },
  TO_TIMESTAMP_NTZ: { takes: "1 or 2", counts: [1, 2], run: epochTimestamp },
  TO_TIMESTAMP_LTZ: { takes: "1 or 2", counts: [1, 2], run: epochTimestamp },
  TO_TIMESTAMP_TZ: { takes: "1 or 2", counts: [1, 2], run: epochTimestamp },
};

function toVarchar(args: readonly unknown[], cx: EmulationContext): Emulated {
  if (args.length === 1) return { duckdb: `CAST(${cx.duck(args[0])} AS VARCHAR)` };
  const model = stringLiteral(args[1]);
  if (model === undefined) throw UNSUPPORTED("TO_VARCHAR with a format that is not a string literal", cx.sql);
  if (isNumericFormat(model)) throw UNSUPPORTED(`TO_VARCHAR of a number with the format '${model}'`, cx.sql);
  return { duckdb: `strftime(${cx.duck(args[0])}, ${quoted(strftimeFormat(model, cx.sql))})` };
}

/** The emulation of `name` for these arguments, or undefined when the transpiler's translation stands. */
export function emulate(name: string, args: readonly unknown[], cx: EmulationContext): Emulated | undefined {
  const e = EMULATIONS[name];
  if (!e) return undefined;
  if (e.counts.length && !e.counts.includes(args.length)) throw WRONG_ARGUMENT_COUNT(name, args.length, e.takes, cx.sql);
  return e.run(args, cx);
}

