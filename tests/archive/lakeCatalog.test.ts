/**
 * The lake's Glue tables (pipelines/archive/lakeCatalog.ts) against the Parquet an export really
 * writes: for every archived table with files, the Glue columns are the file's columns, in order,
 * with the Hive type Athena reads each Parquet type as; the partition keys are the key's
 * `tenant=/year=/month=/day=` levels; and the projection template rebuilds each file's folder.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileIo } from "../../pipelines/engine/fileIo.ts";
import { LocalArchiveStore } from "../../pipelines/archive/archiveStore.ts";
import { exportTenant } from "../../pipelines/archive/exportArchive.ts";
import { LAYERS } from "../../pipelines/archive/archivedTables.ts";
import { parseDataKey } from "../../pipelines/archive/archiveKeys.ts";
import { LAKE_TABLES } from "../../pipelines/archive/lakeCatalog.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { readFiles } from "../helpers/readFiles.ts";
import { fixtureHub } from "./archiveFixture.ts";
import { localArchive } from "./archiveHelpers.ts";

interface ParquetColumn {
  readonly name: string;
  readonly type: string | null;
  readonly converted_type: string | null;
  readonly logical_type: string | null;
}

/** The Hive type Athena reads a Parquet leaf column as (physical type plus logical annotation). */
function hiveType(c: ParquetColumn): string {
  const logical = `${c.logical_type ?? ""} ${c.converted_type ?? ""}`.toUpperCase();
  if (c.type === "BYTE_ARRAY" && /STRING|UTF8|ENUM|JSON/.test(logical)) return "string";
  if (c.type === "INT64" && /TIMESTAMP/.test(logical)) return "timestamp";
  if (c.type === "INT32" && /DATE/.test(logical)) return "date";
  if (c.type === "INT64") return "bigint";
  if (c.type === "DOUBLE") return "double";
  if (c.type === "BOOLEAN") return "boolean";
  return `unmapped ${c.type} ${logical.trim()}`;
}

let engine: EmbeddedEngine;
let clock: { now(): Date };
let files: FileIo;
let dir: string;
let keys: string[];

before(async () => {
  ({ engine, clock } = await fixtureHub(120, { batch: 20 }));
  files = await FileIo.open();
  dir = mkdtempSync(join(tmpdir(), "hub-lake-"));
  const session = await engine.admin();
  try {
    await exportTenant({ files, session, store: new LocalArchiveStore(dir), tenant: "acme", layers: LAYERS, asOf: clock.now() });
  } finally {
    await session.close();
  }
  keys = [...localArchive(dir).keys()].filter((k) => k.endsWith(".parquet"));
});
after(async () => {
  files.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the lake's Glue tables match the archive's Parquet", () => {
  it("every archived table with files: the same columns, in order, with the type Athena reads", async () => {
    let checked = 0;
    for (const t of LAKE_TABLES) {
      const key = keys.find((k) => k.startsWith(t.prefix));
      if (!key) continue;
      const schema = await readFiles<ParquetColumn>(`SELECT name, type, converted_type, logical_type FROM parquet_schema('${join(dir, key)}') WHERE num_children IS NULL OR num_children = 0`);
      assert.deepEqual(
        schema.map((c) => `${c.name} ${hiveType(c)}`),
        t.columns.map((c) => `${c.name} ${c.type}`),
        `${t.name} against ${key}`,
      );
      checked++;
    }
    assert.ok(checked >= 6, `${checked} tables had files to check`);
  });

  it("the partition keys and the projection's location template rebuild every file's folder", () => {
    for (const key of keys) {
      const parsed = parseDataKey(key)!;
      const t = LAKE_TABLES.find((x) => key.startsWith(x.prefix))!;
      assert.ok(t, key);
      assert.deepEqual(t.partitionKeys.map((k) => k.name), ["tenant", "year", "month", "day"]);
      const [year, month, day] = parsed.day.split("-");
      const folder = t.parameters("b")["storage.location.template"]!.replace("${tenant}", parsed.tenant).replace("${year}", year!).replace("${month}", month!).replace("${day}", day!);
      assert.equal(`${folder}${parsed.file}`, `s3://b/${key}`);
    }
  });
});
