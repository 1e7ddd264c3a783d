/**
 * The definitions are consistent with themselves: what a dynamic table's query returns is what it
 * declares, in order (refreshes insert by position); every incremental key and merge rule names a
 * real column; streams and tasks reference objects that exist.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminQuery, testEngine } from "../helpers/engine.ts";
import { ALL_OBJECTS, DYNAMIC_TABLES, STREAMS, TABLES, TASKS, objectName } from "../../pipelines/definitions/catalog.ts";
import { FULL_SCOPE, qualifiedName } from "../../pipelines/definitions/types.ts";
import { duckdbDialect } from "../../pipelines/dialect/index.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

describe("object definitions", () => {
  let engine: EmbeddedEngine;
  before(async () => ({ engine } = await testEngine()));
  after(() => engine.close());

  it("gives every object a unique name", () => {
    const names = ALL_OBJECTS.map(objectName);
    assert.equal(new Set(names).size, names.length);
  });

  for (const t of DYNAMIC_TABLES) {
    it(`${qualifiedName(t)}: the query returns the declared columns in order`, async () => {
      const rows = await adminQuery<{ column_name: string }>(engine, `DESCRIBE ${t.query(duckdbDialect, FULL_SCOPE)}`);
      assert.deepEqual(rows.map((r) => r.column_name), t.columns.map((c) => c.name));
    });

    if (t.incremental) {
      it(`${qualifiedName(t)}: incremental keys and merge rules name its columns, and every non-key column has a rule`, () => {
        const cols = t.columns.map((c) => c.name);
        const keys = t.incremental!.keys.map((k) => k.column);
        for (const k of keys) assert.ok(cols.includes(k), `key ${k}`);
        assert.ok(TABLES.some((x) => qualifiedName(x) === t.incremental!.source && x.appendOnly), "the incremental source is an append-only table");
        const merge = t.incremental!.merge;
        if (merge) {
          assert.deepEqual(Object.keys(merge.columns).sort(), cols.filter((c) => !keys.includes(c)).sort());
        }
      });
    }
  }

  it("puts streams only on append-only tables", () => {
    for (const s of STREAMS) assert.ok(TABLES.some((t) => qualifiedName(t) === s.on && t.appendOnly), `${qualifiedName(s)} on ${s.on}`);
  });

  it("makes every task consume only streams that exist, and follow tasks that exist", () => {
    const streams = STREAMS.map(qualifiedName);
    const tasks = TASKS.map(qualifiedName);
    for (const t of TASKS) {
      for (const s of [...t.consumes, ...(t.whenStreamHasData ?? [])]) assert.ok(streams.includes(s), `${qualifiedName(t)} reads ${s}`);
      for (const p of t.after ?? []) assert.ok(tasks.indexOf(p) >= 0 && tasks.indexOf(p) < tasks.indexOf(qualifiedName(t)), `${qualifiedName(t)} after ${p}`);
      assert.ok(Boolean(t.schedule) !== Boolean(t.after?.length), `${qualifiedName(t)} has a schedule or predecessors, not both`);
    }
  });
});
