#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * `npm run build:portal`: bundle the portal's front end (portal/src, React) with Vite into
 * portal/dist, which `serve` serves from memory (pipelines/portal/portalBundle.ts). Run by `pretest`
 * (the browser tests need it) and `preserve` (so `npm run serve` never starts without it); it does
 * nothing when the bundle is newer than every source file, so both stay quick. Offline: Vite and
 * React come from node_modules, and the bundle holds everything the pages load.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "./lib/command.ts";

const PORTAL = fileURLToPath(new URL("../portal/", import.meta.url));
const DIST = join(PORTAL, "dist");

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "dist" || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

await runCommand({
  name: "build-portal",
  description: "bundle the operator portal's front end (portal/src) into portal/dist with Vite; skipped when the bundle is up to date",
  usage: "npm run build:portal [-- --force]",
  options: {
    force: { type: "boolean", description: "build even when portal/dist is newer than the sources", default: false },
  },
  examples: ["npm run build:portal", "npm run build:portal -- --force"],
  run: async ({ options }) => {
    const index = join(DIST, "index.html");
    if (!options.force && existsSync(index) && statSync(index).mtimeMs >= newestSource(PORTAL)) {
      console.error("portal/dist is up to date");
      return;
    }
    const { build } = await import("vite");
    const t0 = performance.now();
    await build({
      root: PORTAL,
      base: "/portal/",
      configFile: false,
      logLevel: "warn",
      // React's automatic JSX runtime (Vite 8 transforms TSX with oxc; no plugin needed for a build).
      oxc: { jsx: { runtime: "automatic", importSource: "react" } },
      build: { outDir: DIST, emptyOutDir: true, sourcemap: false, assetsInlineLimit: 0, chunkSizeWarningLimit: 1024 },
    });
    console.error(`built portal/dist in ${Math.round(performance.now() - t0)} ms`);
  },
});
