/**
 * `scripts/serve.ts` as a real child process for tests: its own hub folder, every port 0, JSON
 * logs captured; ready once it has written HOME/serve.json with its pid. Stopping returns how it
 * exited and how long the drain took.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { readServeInfo, type ServeInfo } from "../../pipelines/serve/serveFile.ts";
import { waitFor } from "./waitFor.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Served {
  readonly child: ChildProcess;
  readonly info: ServeInfo;
  readonly home: string;
  /** Every log line so far, parsed. */
  logs(): Array<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export async function startServe(home: string, args: readonly string[] = []): Promise<Served> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/serve.ts", "--home", home, "--http-port", "0", "--mqtt-port", "0", "--mqtts-port", "0", "--log-format", "json", ...args], {
    cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HUB_HOME: home },
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  child.stdout!.resume();
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve((exited = { code, signal }))),
  );
  let info: ServeInfo | null = null;
  try {
    await waitFor(() => {
      if (exited) throw new Error(`serve exited (${exited.code ?? exited.signal}) before it was ready:\n${stderr}`);
      info = readServeInfo(home);
      return info?.pid === child.pid;
    }, "serve to write serve.json", 180_000);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    child, info: info!, home,
    logs: () => stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>),
    async stop(signal = "SIGTERM") {
      const t0 = Date.now();
      if (!exited) child.kill(signal);
      const r = await exit;
      return { ...r, ms: Date.now() - t0 };
    },
  };
}
