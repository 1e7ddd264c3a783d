/**
 * `HOME/serve.json`: where a running hub can be reached. `serve` writes it once every listener is
 * bound and removes it when it stops; a tool that finds it (and the process alive) talks to the
 * running hub instead of opening its database file, which the serving process holds.
 *
 * The operator's key (`HOME/serve/operator.pem`, mode 0600) is how the hub's own tools log in to
 * the SQL endpoint: a key pair, as a service user logs in to Snowflake. Whoever can read the hub
 * folder can read the database file anyway, so the key gives them nothing more.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { generateKeyPairSync, createPrivateKey, createPublicKey } from "node:crypto";
import { join } from "node:path";
import { processAlive } from "../processAlive.ts";

export interface ServeInfo {
  readonly version: 1;
  readonly pid: number;
  readonly startedAt: string;
  /** http://HOST:PORT: the Snowflake endpoint, scan and upload APIs, /healthz and /metrics. */
  readonly http: string;
  readonly mqtt: string;
  readonly mqtts: string | null;
  /** The account name the SQL endpoint answers to (snowflake-sdk's `account`). */
  readonly account: string;
  /** The endpoint user the hub's own tools log in as, with the key in `operatorKey`. */
  readonly operatorUser: string;
  readonly operatorKey: string;
}

export function serveFilePath(home: string): string {
  return join(home, "serve.json");
}

export function writeServeInfo(home: string, info: ServeInfo): void {
  const path = serveFilePath(home);
  writeFileSync(`${path}.tmp`, JSON.stringify(info, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export function removeServeInfo(home: string, pid = process.pid): void {
  const info = readServeInfo(home);
  if (info && info.pid === pid) rmSync(serveFilePath(home), { force: true });
}

export function readServeInfo(home: string): ServeInfo | null {
  const path = serveFilePath(home);
  if (!existsSync(path)) return null;
  try {
    const info = JSON.parse(readFileSync(path, "utf8")) as ServeInfo;
    return info?.version === 1 && Number.isInteger(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/** The hub served from `home`, if its process is alive; a file left by a killed process is ignored. */
export function runningServe(home: string): ServeInfo | null {
  const info = readServeInfo(home);
  return info && info.pid !== process.pid && processAlive(info.pid) ? info : null;
}

/** The operator's key pair, created on first use; returns the public key (PEM). */
export function operatorKey(home: string): { readonly path: string; readonly publicKey: string } {
  const dir = join(home, "serve");
  const path = join(dir, "operator.pem");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(path, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  }
  const publicKey = createPublicKey(createPrivateKey(readFileSync(path, "utf8"))).export({ format: "pem", type: "spki" }).toString();
  return { path, publicKey };
}
