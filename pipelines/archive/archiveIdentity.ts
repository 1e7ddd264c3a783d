/**
 * An archive's identity: the name under which a hub keeps its watermarks and runs for it
 * (OPS.ARCHIVE_WATERMARKS.archive) and which its manifests carry. It is an id stored in the
 * archive itself (`archive.json` at its root, written by the first export), not its location: a
 * hub folder copied or moved elsewhere, or an archive synced to another bucket, is the same
 * archive, and the next export continues it instead of exporting everything again.
 *
 * An archive written before ids existed has no `archive.json`; it is known by its location, as it
 * was then, and the first export that finds the hub's bookkeeping under that location moves it to
 * the new id.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ArchiveStore } from "./archiveStore.ts";

export const ARCHIVE_ID_KEY = "archive.json";
export const ARCHIVE_ID_FORMAT = "hub-archive/1";

const identitySchema = z.object({ format: z.literal(ARCHIVE_ID_FORMAT), id: z.string().regex(/^archive-[0-9a-f-]{36}$/), createdAt: z.string() });

/** The archive's id, or null when it has none yet (an empty archive, or one from before ids). */
export async function readArchiveId(store: ArchiveStore): Promise<string | null> {
  const text = await store.getText(ARCHIVE_ID_KEY);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${store.location}/${ARCHIVE_ID_KEY} is not valid JSON (${(e as Error).message}); it names the archive, restore it from a copy`);
  }
  const r = identitySchema.safeParse(json);
  if (!r.success) throw new Error(`${store.location}/${ARCHIVE_ID_KEY} does not name an archive: ${r.error.issues[0]!.path.join(".") || "(root)"}: ${r.error.issues[0]!.message}`);
  return r.data.id;
}

/** The name watermarks and manifests use for this archive: its id, or its location before it has one. */
export async function archiveName(store: ArchiveStore): Promise<string> {
  return (await readArchiveId(store)) ?? store.location;
}

/** The archive's id, written on first use. */
export async function ensureArchiveId(store: ArchiveStore, now: Date): Promise<string> {
  const id = await readArchiveId(store);
  if (id) return id;
  const fresh = `archive-${randomUUID()}`;
  await store.putText(ARCHIVE_ID_KEY, `${JSON.stringify({ format: ARCHIVE_ID_FORMAT, id: fresh, createdAt: now.toISOString() }, null, 2)}\n`);
  return fresh;
}
