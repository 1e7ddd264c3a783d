/**
 * How the warehouse half shows a value in a reason: as the ingest half's formatValue
 * (payloadSchemas.ts) does, so that both halves write the same words for the same reading
 * (tests/pipelines/metricBoundaries.test.ts). Numbers as JavaScript prints them, strings in single
 * quotes, JSON null as `null`, booleans, arrays and objects as compact JSON; text longer than 80
 * characters cut to 77 and `...`.
 *
 * Only portable SQL (SPLIT_PART, LTRIM/RTRIM with characters, REPEAT, LEFT, SUBSTR, POSITION) on top
 * of the dialect's doubleText, isNaN and isFinite.
 */
import type { Dialect } from "../dialect/index.ts";

/** The longest text shown whole (formatValue's `cut`). */
const SHOWN_CHARS = 80;

/**
 * A DOUBLE as ECMAScript's Number::toString writes it
 * (https://tc39.es/ecma262/#sec-numeric-types-number-tostring): with s the significant digits
 * (k of them) and n the decimal point's place (x = 0.s × 10^n), plain notation while
 * -6 < n ≤ 21 (`1000000000000000`, `3600.0000000000005`, `0.001`), else `d[.ddd]e±m`
 * (`1e+21`, `-5e-324`); NaN, Infinity and -Infinity by name; -0 as 0. The digits are the engine's
 * shortest round-trip ones (Dialect.doubleText), in whatever notation it wrote them.
 */
export function numberTextSql(d: Dialect, x: string): string {
  const laidOut = d.bindText([`LOWER(${d.doubleText(`ABS(${x})`)})`], ([s]) => {
    const mantissa = `SPLIT_PART(${s}, 'e', 1)`;
    const exponent = `(CASE WHEN POSITION('e' IN ${s}) > 0 THEN CAST(SPLIT_PART(${s}, 'e', 2) AS INTEGER) ELSE 0 END)`;
    const whole = `SPLIT_PART(${mantissa}, '.', 1)`;
    const fraction = `SPLIT_PART(${mantissa}, '.', 2)`;
    // Leading zeros only ever follow a whole part of 0 (0.00123): a scientific mantissa starts 1-9.
    const digits = `RTRIM(LTRIM(${whole} || ${fraction}, '0'), '0')`;
    const point = `(CASE WHEN ${whole} = '0' THEN LENGTH(LTRIM(${fraction}, '0')) - LENGTH(${fraction}) ELSE LENGTH(${whole}) END + ${exponent})`;
    return d.bindText([digits, point], ([dg, nText]) => {
      const n = `CAST(${nText} AS INTEGER)`;
      const k = `LENGTH(${dg})`;
      const e = `(${n} - 1)`;
      return (
        `CASE WHEN ${k} <= ${n} AND ${n} <= 21 THEN ${dg} || REPEAT('0', ${n} - ${k}) ` +
        `WHEN 0 < ${n} AND ${n} <= 21 THEN LEFT(${dg}, ${n}) || '.' || SUBSTR(${dg}, ${n} + 1) ` +
        `WHEN -6 < ${n} AND ${n} <= 0 THEN '0.' || REPEAT('0', -${n}) || ${dg} ` +
        `ELSE LEFT(${dg}, 1) || CASE WHEN ${k} > 1 THEN '.' || SUBSTR(${dg}, 2) ELSE '' END || 'e' || ` +
        `CASE WHEN ${e} < 0 THEN '-' ELSE '+' END || CAST(ABS(${e}) AS VARCHAR) END`
      );
    });
  });
  return (
    `(CASE WHEN ${x} IS NULL THEN NULL WHEN ${d.isNaN(x)} THEN 'NaN' ` +
    `WHEN NOT ${d.isFinite(x)} THEN CASE WHEN ${x} > 0 THEN 'Infinity' ELSE '-Infinity' END ` +
    `WHEN ${x} = 0 THEN '0' ELSE CASE WHEN ${x} < 0 THEN '-' ELSE '' END || ${laidOut} END)`
  );
}

/** Text cut as formatValue cuts it. */
function cut(text: string): string {
  return `(CASE WHEN LENGTH(${text}) > ${SHOWN_CHARS} THEN LEFT(${text}, ${SHOWN_CHARS - 3}) || '...' ELSE ${text} END)`;
}

/**
 * A JSON value shown as formatValue shows the parsed value. `text`: its text with strings unquoted
 * (NULL for JSON null); `isString` / `isNumber`: its kind; `number`: its value as a DOUBLE.
 */
export function valueTextSql(d: Dialect, v: { text: string; isString: string; isNumber: string; number: string }): string {
  return (
    `COALESCE(CASE WHEN ${v.isString} THEN '''' || ${cut(v.text)} || '''' ` +
    `WHEN ${v.isNumber} THEN ${numberTextSql(d, v.number)} ELSE ${cut(v.text)} END, 'null')`
  );
}
