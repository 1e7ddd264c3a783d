/**
 * Reading an archive back: a tenant's manifests, the files they name (newest manifest wins for a
 * rewritten day), and fetching a file with its checksum checked.
 */
import { checkTenantId, MANIFEST_ROOT, manifestPrefix } from "./archiveKeys.ts";
import { sha256File, type ArchiveStore } from "./archiveStore.ts";
import { currentFiles, parseManifest, type CurrentFile, type Manifest } from "./manifest.ts";

export class CorruptArchiveError extends Error {
  override readonly name = "CorruptArchiveError";
}

export interface TenantArchive {
  readonly tenant: string;
  readonly manifests: ReadonlyArray<{ key: string; manifest: Manifest }>;
  readonly files: Map<string, CurrentFile>;
}

/** Tenants with at least one manifest in the archive. */
export async function archivedTenants(store: ArchiveStore): Promise<string[]> {
  const keys = await store.list(`${MANIFEST_ROOT}/tenant=`);
  return [...new Set(keys.map((k) => /^manifests\/tenant=([a-z0-9-]+)\//.exec(k.key)?.[1]).filter((t): t is string => !!t))].sort();
}

export async function readTenantArchive(store: ArchiveStore, tenant: string): Promise<TenantArchive> {
  checkTenantId(tenant);
  const keys = (await store.list(manifestPrefix(tenant))).filter((o) => o.key.endsWith(".json"));
  const manifests: Array<{ key: string; manifest: Manifest }> = [];
  for (const { key } of keys) {
    const text = await store.getText(key);
    if (text === null) continue;
    const manifest = parseManifest(text, key);
    if (manifest.tenant !== tenant) throw new CorruptArchiveError(`manifest ${key} names tenant ${manifest.tenant}, not ${tenant}`);
    manifests.push({ key, manifest });
  }
  return { tenant, manifests, files: currentFiles(manifests) };
}

export type FetchResult =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly problem: "missing" | "corrupt"; readonly detail: string };

/** The file's local path if present and its sha256 matches the manifest's. */
export async function fetchVerified(store: ArchiveStore, file: CurrentFile, scratchDir: string): Promise<FetchResult> {
  const path = await store.fetch(file.key, scratchDir);
  if (!path) return { ok: false, problem: "missing", detail: `${file.key} is named by ${file.manifestKey} but is not in the archive` };
  const actual = await sha256File(path);
  if (actual !== file.sha256) {
    return { ok: false, problem: "corrupt", detail: `${file.key} is corrupt: sha256 expected ${file.sha256}, actual ${actual} (manifest ${file.manifestKey})` };
  }
  return { ok: true, path };
}
