/**
 * The portal's front end as `npm run build:portal` leaves it (portal/dist: index.html and hashed
 * files under assets/), served from memory: read once at start, so a request can never name a file
 * outside the bundle, and nothing is fetched from the network at run time.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where `npm run build:portal` writes the bundle. */
export const PORTAL_DIST = fileURLToPath(new URL("../../portal/dist/", import.meta.url));

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

export interface BundleFile {
  readonly body: Buffer;
  readonly type: string;
}

export class PortalBundle {
  private constructor(
    readonly index: Buffer | null,
    private readonly assets: ReadonlyMap<string, BundleFile>,
    readonly dir: string,
  ) {}

  /** The bundle in `dir`; an empty one (index null) when it was not built. */
  static load(dir = PORTAL_DIST): PortalBundle {
    const indexPath = join(dir, "index.html");
    if (!existsSync(indexPath)) return new PortalBundle(null, new Map(), dir);
    const assets = new Map<string, BundleFile>();
    const assetDir = join(dir, "assets");
    if (existsSync(assetDir)) {
      for (const name of readdirSync(assetDir)) {
        const ext = /\.[a-z0-9]+$/.exec(name)?.[0] ?? "";
        const type = TYPES[ext];
        if (type) assets.set(name, { body: readFileSync(join(assetDir, name)), type });
      }
    }
    return new PortalBundle(readFileSync(indexPath), assets, dir);
  }

  /** A file under /portal/assets/, by its exact name; undefined for anything else. */
  asset(name: string): BundleFile | undefined {
    return this.assets.get(name);
  }
}
