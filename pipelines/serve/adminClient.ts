/**
 * The hub's own maintenance commands sent to a running `serve` (`POST /v1/admin/...`), for work
 * that needs the engine itself rather than SQL (the archive's Parquet export and restore). The
 * request carries the command's parsed flags and a key-pair JWT signed with the operator's key;
 * the answer is what the command printed and its exit code.
 */
import { readFileSync } from "node:fs";
import type { ServeInfo } from "./serveFile.ts";
import { signJwt } from "./snowflakeJwt.ts";

export interface AdminAnswer {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** A mistake in the request, said as the command would say it. */
  readonly error?: string;
}

export async function callServeAdmin(info: ServeInfo, path: string, body: object): Promise<AdminAnswer> {
  const token = signJwt({ account: info.account, user: info.operatorUser }, readFileSync(info.operatorKey, "utf8"), Date.now(), 3600);
  const r = await fetch(new URL(path, info.http), {
    method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
  });
  const answer = (await r.json().catch(() => ({}))) as Partial<AdminAnswer> & { error?: string };
  if (r.status !== 200 && r.status !== 422) throw new Error(`the served hub answered ${r.status}: ${answer.error ?? ""}`);
  return { stdout: answer.stdout ?? "", stderr: answer.stderr ?? "", exitCode: answer.exitCode ?? (r.status === 200 ? 0 : 1), error: answer.error };
}
