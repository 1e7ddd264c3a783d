/**
 * Whether the Pulumi CLI is there to drive. The Automation API runs `pulumi` from PATH
 * (`PulumiCommand.get` without a root); when it is missing, the API's CommandError reached the
 * user as a 46-line stack. Commands that need the CLI ask first and refuse in one line; those that
 * only read the stack files (`tenants list`, `plan`) go on without it.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { UserError } from "./command.ts";

export const PULUMI_INSTALL = "install it from https://www.pulumi.com/docs/install/ and put it on PATH";

/** The `pulumi` executable the Automation API would run, or null. */
export function pulumiOnPath(path = process.env["PATH"] ?? ""): string | null {
  const names = process.platform === "win32" ? ["pulumi.exe", "pulumi.cmd"] : ["pulumi"];
  for (const dir of path.split(delimiter)) {
    for (const name of dir ? names : []) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        if (statSync(file).isFile()) return file;
      } catch {
        // not here: the next PATH entry
      }
    }
  }
  return null;
}

/** Refuses, in one line naming what is missing and how to get it, when there is no CLI. */
export function requirePulumi(what: string, otherwise?: string): void {
  if (!pulumiOnPath()) throw new UserError(`${what} needs the Pulumi CLI and there is no \`pulumi\` on PATH: ${PULUMI_INSTALL}${otherwise ? `; ${otherwise}` : ""}`);
}

/** The CLI's own error line out of an Automation API error (which wraps it in a command dump). */
export function pulumiErrorLine(e: unknown): string {
  const lines = ((e as Error)?.message ?? String(e)).split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^error:/i.test(l)) ?? lines.at(-1) ?? "the Pulumi CLI failed";
}
