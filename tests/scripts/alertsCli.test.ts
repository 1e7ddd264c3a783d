/**
 * `scripts/alerts.ts` as an operator runs it (tsx in a child process) on a hub file: a tenant's dead
 * letters and only its own, a retry that requeues them for the worker, and clear refusals.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { hubDatabasePath } from "../../pipelines/hubHome.ts";
import { DeliveryLedger } from "../../pipelines/alerts/deliveryLedger.ts";

const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");
const home = mkdtempSync(join(tmpdir(), "alerts-cli-"));
after(() => rmSync(home, { recursive: true, force: true }));

function alerts(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(TSX, [join("scripts", "alerts.ts"), ...args, "--home", home], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function withEngine<T>(f: (e: EmbeddedEngine) => Promise<T>): Promise<T> {
  const engine = await EmbeddedEngine.open({ path: hubDatabasePath(home), clock: new SimulatedClock("2026-01-05T10:00:00Z") });
  try {
    return await f(engine);
  } finally {
    await engine.close();
  }
}

before(async () => {
  await withEngine(async (engine) => {
    const c = await engine.rawConnection();
    const row = (tenant: string, device: string, status: string, attempt: number, error: string | null) =>
      `('${tenant}', 'alert/${tenant}/${device}/MACHINE_DOWN/2026-01-05T09', 'hub-${device}', 'ALERT', 'CRITICAL', TIMESTAMP '2026-01-05 09:30:00', 'hook', 'webhook', ${attempt}, '${status}', ${error === null ? "NULL" : `'${error}'`}, TIMESTAMP '2026-03-01 00:0${attempt}:00', NULL, 5)`;
    await c.run(`INSERT INTO OPS.ALERT_DELIVERIES VALUES ${[
      row("acme", "m1", "RETRY", 1, "HTTP 500"), row("acme", "m1", "DEAD_LETTER", 2, "HTTP 503"),
      row("acme", "m2", "DELIVERED", 1, null),
      row("globex", "g1", "DEAD_LETTER", 1, "HTTP 400: the receiver refused the notification"),
    ].join(", ")}`);
    c.closeSync();
  });
});

test("dead-letters lists the tenant's dead letters with the last error, and no other tenant's", async () => {
  const r = await alerts(["dead-letters", "--tenant", "acme", "--json"]);
  assert.equal(r.code, 0, r.err);
  const rows = JSON.parse(r.out) as Array<{ notification_key: string; attempts: number; last_error: string }>;
  assert.deepEqual(rows.map((x) => [x.notification_key, x.attempts, x.last_error]), [["alert/acme/m1/MACHINE_DOWN/2026-01-05T09", 2, "HTTP 503"]]);
});

test("retry requeues the dead letters for one more attempt, the tenant's only", async () => {
  const r = await alerts(["retry", "--tenant", "acme"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /1 dead letter\(s\) of tenant acme requeued/);
  // What the worker reads back (and `deliveries` shows, by the same rule): the requeued row wins
  // over the dead letter.
  const states = await withEngine((engine) => new DeliveryLedger(engine).states(["acme", "globex"]));
  assert.equal(states.get(DeliveryLedger.key("alert/acme/m1/MACHINE_DOWN/2026-01-05T09", "hook"))?.status, "RETRY");
  assert.equal(states.get(DeliveryLedger.key("alert/globex/g1/MACHINE_DOWN/2026-01-05T09", "hook"))?.status, "DEAD_LETTER", "another tenant's dead letter is untouched");
});

// Each case is a process start (seconds of tsx): the refusal an operator meets most.
test("refuses a channel the tenant does not have, naming the tenant's channels", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["test-channel", "--tenant", "acme", "--channel", "pager"], /--channel "pager" is not a channel of tenant acme \(it has none: alerts:channels in its stack file\)/],
  ];
  for (const [args, message] of cases) {
    const r = await alerts(args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message);
  }
});
