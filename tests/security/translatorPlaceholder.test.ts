/**
 * The translator marks where its own DuckDB text goes with placeholder calls and replaces them
 * after the transpiler has run (pipelines/sql/snowflakeTranslator.ts). A user who types such a
 * call, in a string or as a call, must get its text back as typed, or an unknown function: the
 * fixed name `__HUB_n()` was replaced inside the user's literals (`SELECT '__HUB_0()'` answered
 * 'undefined', or another rewrite's DuckDB text, whose quotes could end the literal around it).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { translate } from "../../pipelines/sql/snowflakeTranslator.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";

const FACTS = { role: "TENANT_ACME_ROLE", user: "ANA", database: "HUB", schema: null, warehouse: "TENANT_ACME_BI_WH", now: new Date("2026-01-05T08:00:00Z") };
const duck = (sql: string) => {
  const [t] = translate(sql, FACTS);
  assert.equal(t!.kind, "query");
  return (t as { duckdb: string }).duckdb;
};

describe("placeholder-shaped text a user types", () => {
  it("stays as typed inside a string literal, next to rewrites whose text holds quotes", () => {
    for (const text of ["__HUB_0()", "__HUB_1()", "__hub_0()", "x __HUB_0() y __HUB_2()", "__HUB_00000000000000000_0()"]) {
      const out = duck(`SELECT '${text}' AS t, CURRENT_ROLE() AS r, CURRENT_DATE() AS d, DATEADD(day, 1, CURRENT_DATE()) AS n`);
      assert.ok(out.includes(`'${text}'`), `${text}: ${out}`);
      assert.ok(out.includes("'TENANT_ACME_ROLE'") && out.includes("DATE '2026-01-05'"), out);
    }
  });

  it("typed as a call, is an unknown function by its name, not a rewrite's text", () => {
    for (const call of ["__HUB_0()", "__HUB_7()", "__hub_0()"]) {
      assert.throws(() => duck(`SELECT ${call}, CURRENT_ROLE()`), (e: unknown) => e instanceof HubSqlError && e.code === "002140" && e.message.includes(call.toUpperCase().replace("()", "")), call);
    }
  });
});
