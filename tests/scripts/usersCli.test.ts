/**
 * `scripts/users.ts` as an operator runs it (tsx in a child process): the password comes from
 * standard input, is never echoed nor stored in clear, and the user it adds signs in to the portal.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { passwordMatches } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { readUsers, usersSource } from "../../pipelines/serve/users.ts";
import { PortalServer } from "../../pipelines/portal/portalServer.ts";
import { PortalBundle } from "../../pipelines/portal/portalBundle.ts";
import { fixtureEngineWithAcme } from "../pipelines/fixture.ts";

const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");
const home = mkdtempSync(join(tmpdir(), "users-cli-"));
after(() => rmSync(home, { recursive: true, force: true }));

function users(args: string[], stdin = ""): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(TSX, [join("scripts", "users.ts"), ...args, "--home", home], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code: code ?? -1, out }));
    p.stdin.end(stdin);
  });
}

const PASSWORD = "Tr0ub4dor&3-correct";

test("add reads the password from standard input, stores only its scrypt hash (0600), and never prints it", async () => {
  const r = await users(["add", "--tenant", "acme", "--user", "alice"], `${PASSWORD}\n`);
  assert.equal(r.code, 0, r.out);
  assert.ok(!r.out.includes(PASSWORD));
  const file = join(home, "users.json");
  assert.ok(!readFileSync(file, "utf8").includes(PASSWORD), "no password in clear in the file");
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const [alice] = readUsers(file);
  assert.deepEqual({ name: alice!.name, tenant: alice!.tenant, roles: alice!.roles }, { name: "ALICE", tenant: "acme", roles: ["TENANT_ACME_ROLE"] });
  assert.ok(passwordMatches(PASSWORD, alice!.passwordHash!));
});

test("the user it adds signs in to the portal, for its tenant", async () => {
  const engine = await fixtureEngineWithAcme();
  try {
    const portal = PortalServer.create({ engine, users: usersSource(join(home, "users.json"), [], () => undefined), tenants: ["acme"], log: () => undefined, bundle: PortalBundle.load(home) });
    const { default: http } = await import("node:http");
    const server = http.createServer((req, res) => void portal.handle(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const r = await fetch(`http://127.0.0.1:${port}/api/portal/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "alice", password: PASSWORD }) });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { tenant: string }).tenant, "acme");
    await portal.close();
    server.closeAllConnections();
    await new Promise((r2) => server.close(r2));
  } finally {
    await engine.close();
  }
});

test("a short or missing password, an unknown tenant and a bad user name are refused by name, and nothing is written", async () => {
  const before = readFileSync(join(home, "users.json"), "utf8");
  const cases: Array<[string[], string, RegExp]> = [
    [["add", "--tenant", "acme", "--user", "bob"], "short\n", /too short: at least 8 characters/],
    [["add", "--tenant", "acme", "--user", "bob"], "", /too short/],
    [["add", "--tenant", "nope", "--user", "bob"], `${PASSWORD}\n`, /--tenant "nope" is not a tenant with a stack file/],
    [["add", "--tenant", "acme", "--user", "bob; rm -rf /"], `${PASSWORD}\n`, /--user: user name .* is not a Snowflake identifier/],
    [["add", "--user", "bob"], `${PASSWORD}\n`, /add needs --tenant T/],
    [["delete", "--user", "bob"], "", /unknown command "delete"; commands: add, list, remove/],
  ];
  for (const [args, stdin, message] of cases) {
    const r = await users(args, stdin);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.out, message);
  }
  assert.equal(readFileSync(join(home, "users.json"), "utf8"), before);
});

test("list shows a tenant's users without any hash; remove takes one out, and only from its own tenant", async () => {
  const list = await users(["list", "--tenant", "acme"]);
  assert.equal(list.code, 0);
  assert.match(list.out, /ALICE\s+acme\s+TENANT_ACME_ROLE\s+password/);
  assert.doesNotMatch(list.out, /scrypt/);
  assert.match((await users(["list", "--tenant", "globex"])).out, /no users of tenant globex/);
  const wrong = await users(["remove", "--tenant", "globex", "--user", "alice"]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.out, /user ALICE is not a user of tenant globex/);
  assert.equal((await users(["remove", "--tenant", "acme", "--user", "alice"])).code, 0);
  assert.deepEqual(readUsers(join(home, "users.json")), []);
  const again = await users(["remove", "--user", "alice"]);
  assert.equal(again.code, 1);
  assert.match(again.out, /there is no user ALICE/);
});
