/**
 * The image's contract with the portal's task definition (infra/aws/portal.ts). Docker is not
 * available here, so the Dockerfile is read as text and held to what the task expects: the same
 * working directory, user, port, health path and entry point; a command whose every flag `serve`
 * takes; Node 20 pinned; production dependencies only in the image that runs; /var/hub owned by
 * the user; nothing secret in the image's environment or build context.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CONTAINER_USER, HEALTH_PATH, HUB_HOME_DIR, IMAGE_WORKDIR, PORTAL_ENTRYPOINT, PORTAL_PORT, serveCommand } from "../../infra/aws/portal.ts";
import { SERVE_OPTIONS } from "../../scripts/lib/serve/serveOptions.ts";

const root = new URL("../../", import.meta.url);
const read = (f: string) => readFileSync(new URL(f, root), "utf8");

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions per stage: continuation lines joined, comments dropped. */
function stages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const out: Instruction[][] = [];
  for (const l of lines) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(l);
    assert.ok(m, `not an instruction: ${l}`);
    if (m[1] === "FROM") out.push([]);
    out.at(-1)!.push({ op: m[1]!, args: m[2]! });
  }
  return out;
}

const all = stages(read("Dockerfile"));
const final = all.at(-1)!;
const args = (op: string) => final.filter((i) => i.op === op).map((i) => i.args);
const last = (op: string) => args(op).at(-1);
const exec = (op: string) => JSON.parse(last(op) ?? "null") as string[];
/** Every --flag of an argument list, and the value after each. */
const flags = (argv: readonly string[]) => argv.flatMap((a, i) => (a.startsWith("--") ? [[a.slice(2), argv[i + 1]] as const] : []));

test("every stage is Node 20 on Debian bookworm slim, pinned to a patch version (or a digest)", () => {
  for (const s of all) assert.match(s[0]!.args, /^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?( AS \w+)?$/, s[0]!.args);
});

test("the running image is what the task definition expects: directory, user, port, health path, entry point", () => {
  assert.equal(last("WORKDIR"), IMAGE_WORKDIR);
  assert.equal(last("USER"), CONTAINER_USER);
  assert.equal(last("EXPOSE"), String(PORTAL_PORT));
  assert.ok(last("HEALTHCHECK")!.includes(`127.0.0.1:${PORTAL_PORT}${HEALTH_PATH}`), "HEALTHCHECK asks serve's health path on the portal's port");
  assert.deepEqual(exec("ENTRYPOINT"), [...PORTAL_ENTRYPOINT]);
  // The user is set before the entry point and never back to root.
  const ops = final.map((i) => i.op);
  assert.ok(ops.lastIndexOf("USER") < ops.indexOf("ENTRYPOINT"));
});

test("every flag the task and the image pass is one of serve's, with a value it takes", () => {
  const command = serveCommand({
    albArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/hubpt/0123456789abcdef", userPoolId: "eu-west-1_AbC123", clientId: "abc123",
    cognitoDomain: "hub-portal.auth.eu-west-1.amazoncognito.com", logoutUri: "https://portal.example.com/portal/",
  });
  for (const [flag, value] of [...flags(command), ...flags(exec("CMD"))]) {
    const o = (SERVE_OPTIONS as Record<string, { choices?: readonly string[] }>)[flag];
    assert.ok(o, `--${flag} is not a flag of scripts/serve.ts`);
    if (o.choices) assert.ok(o.choices.includes(value!), `--${flag} ${value} is not one of ${o.choices.join(", ")}`);
  }
  assert.equal(flags(command).find(([f]) => f === "home")?.[1], HUB_HOME_DIR);
});

test("the running image installs production dependencies only, and tsx, its entry point's loader, is one", () => {
  const runs = args("RUN").join("\n");
  assert.match(runs, /npm ci --omit=dev/);
  assert.doesNotMatch(runs, /npm (ci|install)(?![^\n]*--omit=dev)/, "no install with the dev dependencies in the running image");
  const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string> };
  assert.ok(pkg.dependencies.tsx, "tsx is a production dependency");
  assert.ok(args("COPY").some((c) => c.startsWith("--from=build") && c.includes("portal/dist")), "the built front end comes from the build stage");
});

test("the hub's home belongs to the user, and nothing secret is in the image's environment or build context", () => {
  assert.match(args("RUN").join("\n"), new RegExp(`mkdir -p ${HUB_HOME_DIR} && chown ${CONTAINER_USER}:${CONTAINER_USER} ${HUB_HOME_DIR}`));
  for (const s of all) for (const i of s.filter((x) => x.op === "ENV" || x.op === "ARG")) assert.doesNotMatch(i.args, /KEY|SECRET|PASSWORD|PASSPHRASE|TOKEN/i, i.args);
  const ignored = read(".dockerignore").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const p of ["node_modules", ".git", ".hub", "*.pem", "*.key", ".env", "users.json"]) assert.ok(ignored.includes(p), `.dockerignore leaves out ${p}`);
});
