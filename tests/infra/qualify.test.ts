/** pipelines/render/qualify.ts: SCHEMA.NAME → DATABASE.SCHEMA.NAME in code, never in text. */
import { it } from "node:test";
import assert from "node:assert/strict";
import { qualifyNames } from "../../pipelines/render/qualify.ts";

it("qualifies the hub's schemas in code, and a stream name SYSTEM$STREAM_HAS_DATA resolves, nothing else", () => {
  const sql = [
    "INSERT INTO RAW.QUARANTINE (raw) SELECT x.payload FROM RAW.SENSOR_READINGS_STREAM x",
    "-- RAW.X in a comment",
    "/* CORE.Y too */",
    "'RAW.Z in a string', \"RAW\".\"QUOTED\", m.RAW.COL, HUB.CORE.DONE, RAWX.T, ML.\"Q\"",
    "WHERE SYSTEM$STREAM_HAS_DATA('RAW.S') AND f('RAW.S')",
  ].join("\n");
  assert.equal(
    qualifyNames(sql, "HUB"),
    [
      "INSERT INTO HUB.RAW.QUARANTINE (raw) SELECT x.payload FROM HUB.RAW.SENSOR_READINGS_STREAM x",
      "-- RAW.X in a comment",
      "/* CORE.Y too */",
      "'RAW.Z in a string', \"RAW\".\"QUOTED\", m.RAW.COL, HUB.CORE.DONE, RAWX.T, HUB.ML.\"Q\"",
      "WHERE SYSTEM$STREAM_HAS_DATA('HUB.RAW.S') AND f('RAW.S')",
    ].join("\n"),
  );
  assert.throws(() => qualifyNames("SELECT 1", "hub"), /upper-case identifier/);
});
