/**
 * Where archive objects live. Two stores with one interface: a folder on local disk (the embedded
 * default, `HUB_HOME/archive`) and an S3 bucket (`s3ArchiveStore.ts`). Keys are the same on both.
 *
 * A file is first written to a staging path and then committed under its key, so a reader never
 * sees half a file: locally the staging file sits next to its key (same prefix, same file system)
 * and is renamed; for S3 it is a temporary file that is uploaded and removed.
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, relative, resolve, sep } from "node:path";

export interface StoredObject {
  readonly key: string;
  readonly size: number;
}

export interface ArchiveStore {
  /** `file:///abs/path` or `s3://bucket`: names the archive in watermarks and manifests. */
  readonly location: string;
  /** A local path DuckDB may write the object's bytes to before `commitFile`. */
  stagingPath(key: string): Promise<string>;
  /** Publish the staged file under `key` (with its sha256, which S3 keeps as metadata). */
  commitFile(key: string, stagedPath: string, sha256: string): Promise<void>;
  putText(key: string, text: string): Promise<void>;
  /** The object's text, or null when there is no such object. */
  getText(key: string): Promise<string | null>;
  /** A local path holding the object's bytes (downloaded into `scratchDir` when remote), or null if absent. */
  fetch(key: string, scratchDir: string): Promise<string | null>;
  /** Objects whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Release local scratch space. */
  close?(): void;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

export const STAGING_SUFFIX = ".partial";

export class LocalArchiveStore implements ArchiveStore {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = `file://${this.root}`;
  }

  private path(key: string): string {
    const p = resolve(this.root, key);
    // Keys are built from validated parts; this is the second line of defence.
    if (!p.startsWith(this.root + sep)) throw new Error(`archive key ${JSON.stringify(key)} leaves the archive folder`);
    return p;
  }

  async stagingPath(key: string): Promise<string> {
    const p = this.path(key) + STAGING_SUFFIX;
    mkdirSync(dirname(p), { recursive: true });
    return p;
  }

  async commitFile(key: string, stagedPath: string): Promise<void> {
    renameSync(stagedPath, this.path(key));
  }

  async putText(key: string, text: string): Promise<void> {
    const p = this.path(key);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p + STAGING_SUFFIX, text);
    renameSync(p + STAGING_SUFFIX, p);
  }

  async getText(key: string): Promise<string | null> {
    const p = this.path(key);
    return existsSync(p) ? readFileSync(p, "utf8") : null;
  }

  async fetch(key: string): Promise<string | null> {
    const p = this.path(key);
    return existsSync(p) ? p : null;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else {
          const key = relative(this.root, p).split(sep).join("/");
          if (key.startsWith(prefix)) out.push({ key, size: statSync(p).size });
        }
      }
    };
    // Walk only the part of the tree the prefix names.
    const dirPart = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    walk(dirPart ? this.path(dirPart) : this.root);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
