/**
 * The manifest an export run writes after its files and before it advances the watermarks: what
 * was written (files, row counts, event-time range, sha256) and which watermark range it covers.
 * Restore and verify trust only files a manifest names, and only with the checksum it records.
 */
import { z } from "zod";
import { LAYERS } from "./archivedTables.ts";

export const MANIFEST_FORMAT = "hub-archive-manifest/1";

const fileSchema = z.object({
  key: z.string(),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Event-time range of the rows (the partition column), ISO; null for an empty file. */
  minTs: z.string().nullable(),
  maxTs: z.string().nullable(),
  /** Recomputed tables: the content fingerprint of the day partition. */
  fingerprint: z.string().optional(),
});

const tableSchema = z.object({
  table: z.string(),
  mode: z.enum(["incremental", "snapshot"]),
  dayColumn: z.string(),
  watermarkColumn: z.string().nullable(),
  /** Incremental: rows with from <= watermark column < to (from null: from the beginning). Snapshot: to = as of. */
  watermark: z.object({ from: z.string().nullable(), to: z.string() }),
  files: z.array(fileSchema),
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  archive: z.string(),
  tenant: z.string(),
  layer: z.enum(LAYERS as unknown as [string, ...string[]]),
  runSeq: z.number().int().positive(),
  runId: z.string(),
  createdAt: z.string(),
  tables: z.array(tableSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestTable = z.infer<typeof tableSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;

export function parseManifest(text: string, key: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`manifest ${key} is not valid JSON (${(e as Error).message})`);
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`manifest ${key} is malformed: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return r.data;
}

export function manifestText(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** A file as named by the newest manifest that mentions its key (recomputed days are rewritten). */
export interface CurrentFile extends ManifestFile {
  readonly table: string;
  readonly layer: string;
  readonly mode: "incremental" | "snapshot";
  readonly runSeq: number;
  readonly manifestKey: string;
  readonly watermark: { from: string | null; to: string };
  readonly watermarkColumn: string | null;
  readonly dayColumn: string;
}

export function currentFiles(manifests: ReadonlyArray<{ key: string; manifest: Manifest }>): Map<string, CurrentFile> {
  const out = new Map<string, CurrentFile>();
  const ordered = [...manifests].sort((a, b) => a.manifest.runSeq - b.manifest.runSeq);
  for (const { key, manifest } of ordered) {
    for (const t of manifest.tables) {
      for (const f of t.files) {
        out.set(f.key, {
          ...f, table: t.table, layer: manifest.layer, mode: t.mode, runSeq: manifest.runSeq, manifestKey: key,
          watermark: t.watermark, watermarkColumn: t.watermarkColumn, dayColumn: t.dayColumn,
        });
      }
    }
  }
  return out;
}
