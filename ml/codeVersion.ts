/**
 * The code version recorded in a model's lineage: the git commit (with `-dirty` when ml/ has
 * uncommitted changes), or the package version outside a git checkout.
 */
import { execFileSync } from "node:child_process";

export function codeVersion(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "ml"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return `package-${process.env["npm_package_version"] ?? "0.1.0"}`;
  }
}
