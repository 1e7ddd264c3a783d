/**
 * A statement's result in Snowflake's JSON result format, the form snowflake-sdk reads
 * (dist/lib/connection/result/column.js): a `rowtype` per column and every value as text — NUMBER
 * as digits (`fixed`, with its scale), FLOAT as a number (`real`), BOOLEAN as 1/0, DATE as days
 * since 1970, TIME as seconds since midnight, TIMESTAMP_NTZ/LTZ as seconds since 1970 with nine
 * decimals, VARIANT/ARRAY/OBJECT as JSON text.
 */
import type { StatementResult } from "../sql/snowflakeSession.ts";

export interface RowType {
  readonly name: string;
  readonly type: string;
  readonly scale: number | null;
  readonly precision: number | null;
  readonly nullable: boolean;
  readonly length: number | null;
  readonly byteLength: number | null;
}

const TEXT_LENGTH = 16_777_216;

function rowType(name: string, duckdb: string | undefined): RowType {
  const t = (duckdb ?? "VARCHAR").toUpperCase();
  const base = { name, nullable: true, length: null, byteLength: null, scale: null, precision: null };
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return { ...base, type: "fixed", precision: Number(decimal[1]), scale: Number(decimal[2]) };
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|UHUGEINT)$/.test(t)) return { ...base, type: "fixed", precision: 38, scale: 0 };
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t)) return { ...base, type: "real" };
  if (t === "BOOLEAN") return { ...base, type: "boolean" };
  if (t === "DATE") return { ...base, type: "date" };
  if (t === "TIME") return { ...base, type: "time", scale: 9 };
  if (t === "TIMESTAMP WITH TIME ZONE") return { ...base, type: "timestamp_ltz", scale: 9 };
  if (/^TIMESTAMP/.test(t)) return { ...base, type: "timestamp_ntz", scale: 9 };
  if (t === "JSON") return { ...base, type: "variant" };
  if (/\[\]$/.test(t)) return { ...base, type: "array" };
  if (/^(STRUCT|MAP)/.test(t)) return { ...base, type: "object" };
  return { ...base, type: "text", length: TEXT_LENGTH, byteLength: TEXT_LENGTH };
}

/**
 * SHOW and DESCRIBE results come without DuckDB types: each column's type is read from its values,
 * as Snowflake types them (times TIMESTAMP_LTZ, as SHOW's created_on; whole numbers NUMBER(38,0)).
 */
function inferredType(rows: readonly unknown[][], i: number): string | undefined {
  const v = rows.find((row) => row[i] !== null && row[i] !== undefined)?.[i];
  if (v instanceof Date) return "TIMESTAMP WITH TIME ZONE";
  if (typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v))) return "BIGINT";
  if (typeof v === "number") return "DOUBLE";
  if (typeof v === "boolean") return "BOOLEAN";
  return undefined;
}

function text(v: unknown, t: RowType): string | null {
  if (v === null || v === undefined) return null;
  switch (t.type) {
    case "fixed":
      return typeof v === "number" && t.scale ? v.toFixed(t.scale) : String(v);
    case "real":
      return String(v);
    case "boolean":
      return v ? "1" : "0";
    case "date":
      return String(Math.floor((v as Date).getTime() / 86_400_000));
    case "time": {
      if (typeof v === "string") {
        const [h, m, s] = v.split(":").map(Number);
        return ((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)).toFixed(9);
      }
      return String(v);
    }
    case "timestamp_ntz":
    case "timestamp_ltz":
      return ((v as Date).getTime() / 1000).toFixed(9);
    case "variant":
    case "array":
    case "object":
      return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
    default:
      return typeof v === "object" ? JSON.stringify(v) : String(v);
  }
}

/** Snowflake's statement type ids: 0x1000 a query; a statement with only a status line is "other". */
const SELECT = 0x1000;
const OTHER = 0x4000;

export function snowflakeResultData(r0: StatementResult, queryId: string): Record<string, unknown> {
  // A statement without rows (USE, ALTER SESSION, DDL) answers, in Snowflake, one row of one
  // column "status": "Statement executed successfully." and the like.
  const r: StatementResult = r0.status !== undefined && r0.columns.length === 0 ? { ...r0, columns: ["status"], rows: [[r0.status]] } : r0;
  const rowtype = r.columns.map((c, i) => rowType(c, r.types?.[i] ?? inferredType(r.rows, i)));
  const rowset = r.rows.map((row) => row.map((v, i) => text(v, rowtype[i]!)));
  return {
    queryId,
    queryResultFormat: "json",
    statementTypeId: r.types ? SELECT : OTHER,
    total: rowset.length,
    returned: rowset.length,
    parameters: [],
    rowtype,
    rowset,
  };
}
