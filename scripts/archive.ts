#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * The archive and lake: export the hub's tables to Parquet (local disk or the S3 archive bucket),
 * restore a tenant's archived days into a hub, and verify the archive against its manifests and
 * the warehouse. See README "Archive and lake".
 */
import { runCommand, UserError } from "./lib/command.ts";
import { openHubFile, runArchive, type ArchiveFlags } from "./lib/archiveCommand.ts";
import { resolve } from "node:path";
import { hubHome } from "../pipelines/hubHome.ts";
import { runningServe } from "../pipelines/serve/serveFile.ts";
import { callServeAdmin } from "../pipelines/serve/adminClient.ts";

await runCommand({
  name: "archive",
  description: "export the hub to the Parquet archive (local or S3), restore a tenant's days from it, verify it",
  usage:
    "scripts/archive.ts export [--tenant T | --all] [--layer bronze|silver|gold|all] [--target local|s3]\n" +
    "       scripts/archive.ts restore --tenant T --from YYYY-MM-DD --to YYYY-MM-DD [--layer bronze] [--target local|s3]\n" +
    "       scripts/archive.ts verify [--tenant T] [--target local|s3]",
  options: {
    tenant: { type: "string", description: "tenant id (export: or --all; restore: required; verify: default every archived tenant)" },
    all: { type: "boolean", description: "export: every tenant the hub knows" },
    layer: { type: "string", description: "export: bronze, silver, gold or all (default all); restore: bronze (default)" },
    from: { type: "string", description: "restore: first day, YYYY-MM-DD (UTC, by event time)" },
    to: { type: "string", description: "restore: last day, YYYY-MM-DD, included" },
    target: { type: "string", description: "where the archive is", default: "local", choices: ["local", "s3"] },
    "archive-dir": { type: "string", description: "local archive folder (default: $HUB_HOME/archive)" },
    bucket: { type: "string", description: "S3 archive bucket (default: the platform stack's archiveBucketName output)" },
    "kms-key": { type: "string", description: "KMS key id/ARN for SSE-KMS (default: the platform stack's kmsKeyArn output)" },
    endpoint: { type: "string", description: "S3-compatible endpoint URL, e.g. MinIO (path-style addressing)" },
    region: { type: "string", description: "AWS region (default: $AWS_REGION)" },
    stack: { type: "string", description: "s3: the Pulumi stack whose outputs name the bucket and key (default: platform)" },
    "snowflake-stage": { type: "string", description: "restore: print the Snowflake COPY INTO statements for this external stage instead of restoring locally" },
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
    json: { type: "boolean", description: "print the result as JSON" },
    quiet: { type: "boolean", description: "no progress on stderr" },
  },
  examples: [
    "scripts/archive.ts export --all",
    "scripts/archive.ts export --tenant acme --layer bronze --target s3 --bucket hub-archive-123 --kms-key alias/hub-platform",
    "HUB_HOME=/tmp/dr scripts/archive.ts restore --tenant acme --from 2026-01-05 --to 2026-01-06 --archive-dir .hub/archive",
    "scripts/archive.ts verify --tenant acme",
  ],
  run: async ({ options: o, positionals }) => {
    const flags = o as ArchiveFlags;
    const served = runningServe(hubHome(o.home));
    if (served) {
      // The served hub holds its file: the command runs inside it, on the engine it holds.
      // Paths are the caller's: sent absolute, since serve may run elsewhere in the tree.
      const options: ArchiveFlags = { ...flags, home: hubHome(o.home), ...(flags["archive-dir"] ? { "archive-dir": resolve(flags["archive-dir"]) } : {}) };
      const r = await callServeAdmin(served, "/v1/admin/archive", { positionals, options });
      if (r.stderr) process.stderr.write(r.stderr);
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.error) throw new UserError(r.error);
      process.exitCode = r.exitCode;
      return;
    }
    await runArchive(positionals, flags, {
      openHub: async (home, create) => {
        const engine = await openHubFile(home, create);
        return { engine, release: () => engine.close() };
      },
      out: (text) => console.log(text),
      err: (text) => process.stderr.write(text),
      setExitCode: (code) => (process.exitCode = code),
    });
  },
});
