/**
 * Snowflake's date and time format models (`'YYYY-MM-DD HH24:MI:SS'`) as DuckDB strftime formats,
 * for TO_VARCHAR / TO_CHAR of a date, time or timestamp. The elements are Snowflake's documented
 * ones; text in double quotes and any character that is not a letter is copied as it is. A letter
 * that starts no element is refused by name: printed as-is it would give a wrong string silently.
 * https://docs.snowflake.com/en/sql-reference/functions-conversion#date-and-time-formats-in-conversion-functions
 */
import { UNSUPPORTED } from "./refusals.ts";

/** Longest first, so HH24 wins over HH and MMMM over MM. */
const ELEMENTS: ReadonlyArray<readonly [string, string]> = [
  ["YYYY", "%Y"], ["MMMM", "%B"], ["HH24", "%H"], ["HH12", "%I"], ["FF9", "%n"], ["FF6", "%f"], ["FF3", "%g"],
  ["MON", "%b"], ["YY", "%y"], ["MM", "%m"], ["DD", "%d"], ["DY", "%a"], ["HH", "%H"], ["MI", "%M"], ["SS", "%S"],
  ["AM", "%p"], ["PM", "%p"], ["FF", "%n"],
];

/** The strftime format for `model`, or an error naming the element the twin cannot print. */
export function strftimeFormat(model: string, sql: string): string {
  let out = "";
  for (let i = 0; i < model.length; ) {
    const ch = model[i]!;
    if (ch === '"') {
      const end = model.indexOf('"', i + 1);
      const text = end < 0 ? model.slice(i + 1) : model.slice(i + 1, end);
      out += text.replaceAll("%", "%%");
      i = end < 0 ? model.length : end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(ch)) {
      out += ch === "%" ? "%%" : ch;
      i++;
      continue;
    }
    const rest = model.slice(i).toUpperCase();
    const hit = ELEMENTS.find(([e]) => rest.startsWith(e));
    if (!hit) {
      const element = /^[A-Za-z]+/.exec(model.slice(i))![0];
      throw UNSUPPORTED(`format element '${element}' in '${model}' (the twin prints ${ELEMENTS.map(([e]) => e).join(", ")} and "quoted text")`, sql);
    }
    out += hit[1];
    i += hit[0].length;
  }
  return out;
}

/** A numeric format model (`'999,999.00'`, `'$9.99'`): the twin prints numbers with TO_VARCHAR(n) only. */
export function isNumericFormat(model: string): boolean {
  return /^[\s$09.,DGSMIXBLVEF+-]*[09][\s$09.,DGSMIXBLVEF+-]*$/i.test(model) && /[09]/.test(model);
}
