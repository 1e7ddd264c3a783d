/**
 * The note-insight Lambda's code (issue 28): ml/notes/lambdaHandler.ts and what it imports (the
 * Bedrock Runtime client included, so the function runs the SDK release the tests ran rather than
 * whichever one the nodejs20.x runtime carries), bundled by esbuild into one CommonJS file,
 * `index.js` exporting `handler`. Built once per process: `pulumi up`, `scripts/plan.ts` and the
 * mocked tests all declare the same archive.
 */
import { buildSync } from "esbuild";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";

const ENTRY = fileURLToPath(new URL("../../ml/notes/lambdaHandler.ts", import.meta.url));

let built: string | undefined;

/** The bundle's text. */
export function noteLambdaBundle(): string {
  built ??= buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: false,
    write: false,
    legalComments: "none",
    logLevel: "silent",
  }).outputFiles[0]!.text;
  return built;
}

export function noteLambdaCode(): pulumi.asset.Archive {
  return new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(noteLambdaBundle()) });
}
