/**
 * devices.json is changed by several processes (serve, provision, npm start): each change is read,
 * made and written under a lock file, so two processes registering devices at once keep every
 * device, and a lock left by a killed process does not stop the next one.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceRegistry } from "../../edge/deviceRegistry.ts";
import { withFileLock } from "../../edge/fileLock.ts";

/** A child process that registers `count` devices named `${prefix}-N` in the registry at `path`. */
function registerInChild(path: string, prefix: string, count: number): Promise<{ code: number | null; stderr: string }> {
  const code = `
    const { DeviceRegistry } = await import(${JSON.stringify(new URL("../../edge/deviceRegistry.ts", import.meta.url).href)});
    const r = DeviceRegistry.open(${JSON.stringify(path)});
    for (let i = 0; i < ${count}; i++) r.addDevice({ thingName: ${JSON.stringify(prefix)} + "-" + i, tenantId: "acme", siteId: "s1" });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (c) => resolve({ code: c, stderr }));
  });
}

/** A pid no process has: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

describe("the device registry under concurrent processes", () => {
  it("two processes registering devices at once keep every device, and leave no lock or temporary file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hub-registry-lock-"));
    const path = join(dir, "devices.json");
    const [a, b] = await Promise.all([registerInChild(path, "a", 60), registerInChild(path, "b", 60)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const names = DeviceRegistry.open(path).devices.map((d) => d.thingName);
    assert.equal(names.length, 120, "no process's device is lost to the other's write");
    assert.deepEqual(readdirSync(dir).sort(), ["devices.json"]);
  });

  it("takes over a lock whose process is gone, and waits for, then names, a live holder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hub-registry-lock-"));
    const path = join(dir, "devices.json");
    // Left by a process killed while it held the lock.
    writeFileSync(`${path}.lock`, String(await deadPid()));
    const registry = DeviceRegistry.open(path);
    assert.ok(registry.addDevice({ thingName: "m-1", tenantId: "acme", siteId: "s1" }), "a dead holder's lock does not block");
    assert.equal(existsSync(`${path}.lock`), false);
    // A live holder (this process's parent, for the test's purpose) is waited for, then named.
    writeFileSync(`${path}.lock`, String(process.ppid));
    const started = Date.now();
    assert.throws(() => withFileLock(`${path}.lock`, () => assert.fail("ran without the lock"), { timeoutMs: 200 }), (e: Error) => {
      assert.match(e.message, new RegExp(`devices\\.json\\.lock is held by process ${process.ppid} for \\d+ ms; waited 200 ms`));
      return true;
    });
    assert.ok(Date.now() - started >= 200, "it waited before giving up");
    // An old lock is taken over whatever its pid (the pid may have been reused).
    assert.equal(withFileLock(`${path}.lock`, () => "ran", { staleMs: 0 }), "ran");
  });
});
