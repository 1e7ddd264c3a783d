/**
 * The validate task judges each run's readings once, on both targets: one statement reads the
 * readings stream (into a temporary table) and the four that route the judged units read that table.
 * On Snowflake the temporary table is created before the transaction opens (DDL inside it would
 * commit it: https://docs.snowflake.com/en/sql-reference/transactions#ddl) and filled inside it, so
 * the stream is consumed by the transaction's commit and nowhere else
 * (https://docs.snowflake.com/en/user-guide/streams-intro: a CTAS from a stream would consume it on its own).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VALIDATE_READINGS } from "../../pipelines/definitions/tasks.ts";
import { duckdbDialect, snowflakeDialect } from "../../pipelines/dialect/index.ts";
import { taskBody } from "../../pipelines/render/snowflakeDdl.ts";
import { tableReferences } from "../../pipelines/sql/snowflakeAst.ts";

const STREAM = "RAW.SENSOR_READINGS_STREAM";

const tableReads = tableReferences;

test("Snowflake: one statement of the validate run reads the readings stream; the routing statements read the judged table", () => {
  const body = VALIDATE_READINGS.body(snowflakeDialect);
  const readers = body.filter((s) => tableReads(s, STREAM) > 0);
  assert.equal(readers.length, 1, "the judgement runs once a run");
  assert.match(readers[0]!, /^INSERT INTO OPS\.READING_UNITS /);
  const routed = body.filter((s) => tableReads(s, "OPS.READING_UNITS") > 0 && !s.startsWith("INSERT INTO OPS.READING_UNITS"));
  assert.equal(routed.length, 4, "quarantine, two quality-log lines and silver read the judged units");
  for (const s of VALIDATE_READINGS.setup!(snowflakeDialect)) assert.equal(tableReads(s, STREAM), 0, "setup runs outside the transaction and must not read a stream");
});

test("Snowflake: the temporary table is created before BEGIN TRANSACTION and filled after it", () => {
  const sql = taskBody(VALIDATE_READINGS, "HUB");
  const create = sql.indexOf("CREATE OR REPLACE TEMPORARY TABLE HUB.OPS.READING_UNITS");
  const begin = sql.indexOf("BEGIN TRANSACTION;");
  const fill = sql.indexOf("INSERT INTO HUB.OPS.READING_UNITS");
  assert.ok(create > 0 && create < begin && begin < fill, `create ${create}, begin ${begin}, fill ${fill}`);
  assert.equal(sql.match(/CREATE /g)?.length, 1, "no DDL inside the transaction");
});

test("DuckDB: the same single pass, the judged table made inside the transaction", () => {
  const body = VALIDATE_READINGS.body(duckdbDialect);
  assert.deepEqual(VALIDATE_READINGS.setup!(duckdbDialect), []);
  assert.equal(body.filter((s) => s.includes(STREAM)).length, 1);
  assert.match(body.find((s) => s.includes(STREAM))!, /^CREATE OR REPLACE TEMP TABLE READING_UNITS AS/);
});
