/**
 * The docs stay true to the repository: every relative link and image in the README, the
 * changelog and docs/ points at a file that exists (and, for a link into a Markdown file's
 * section, at a heading it has), and every repository path they name in backticks exists.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = process.cwd();
const DOCS = ["README.md", "CHANGELOG.md", "infra/README.md", "ml/README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let inCode = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("```")) inCode = !inCode;
    const m = !inCode && /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

/** Markdown outside fenced code blocks (examples of output are not links). */
function prose(text: string): string {
  return text.split(/^```.*$/m).filter((_, i) => i % 2 === 0).join("\n");
}

it("every relative link and image in the docs resolves, to a heading where it names one", () => {
  const broken: string[] = [];
  for (const doc of DOCS) {
    const text = prose(readFileSync(join(ROOT, doc), "utf8"));
    for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const file = path === "" ? join(ROOT, doc) : resolve(dirname(join(ROOT, doc)), path);
      if (!existsSync(file)) broken.push(`${doc}: ${target} (no such file)`);
      else if (anchor && file.endsWith(".md") && !anchors(file).has(anchor)) broken.push(`${doc}: ${target} (no heading #${anchor} in ${relative(ROOT, file)})`);
    }
  }
  assert.deepEqual(broken, []);
});

it("every repository path the docs name in backticks exists", () => {
  const top = new Set(readdirSync(ROOT));
  const missing: string[] = [];
  let checked = 0;
  for (const doc of DOCS) {
    const text = readFileSync(join(ROOT, doc), "utf8");
    for (const m of text.matchAll(/`([^`\s]+)`/g)) {
      const token = m[1]!.replace(/[.,:;]+$/, "").replace(/:\d+$/, "");
      // A path of this repository: it starts with one of its top-level entries and names a file or
      // folder, with no placeholder (<stack>, *, {…}, $VAR) or run-time folder (.hub, HUB_HOME) in it.
      const first = token.split("/")[0]!;
      if (!token.includes("/") && !/\.(ts|md|json|yaml|yml|mjs)$/.test(token)) continue;
      if (!top.has(first) || /[<>*{}$|]/.test(token)) continue;
      checked++;
      if (!existsSync(join(ROOT, token))) missing.push(`${doc}: ${token}`);
    }
  }
  assert.ok(checked > 50, `${checked} paths checked`);
  assert.deepEqual(missing, []);
});
