/**
 * The upload API from the client's side: `scripts/load.ts` sends each file to a served hub with
 * `PUT /v1/files/<tenant>/<name>`, authenticated by a key-pair JWT signed with the operator's key.
 * The body is streamed from disk, never held whole in memory.
 */
import http from "node:http";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ServeInfo } from "./serveFile.ts";
import { signJwt } from "./snowflakeJwt.ts";

export interface UploadAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export async function uploadFile(info: ServeInfo, tenant: string, path: string): Promise<UploadAnswer> {
  const token = signJwt({ account: info.account, user: info.operatorUser }, readFileSync(info.operatorKey, "utf8"));
  const url = new URL(`/v1/files/${encodeURIComponent(tenant)}/${encodeURIComponent(basename(path))}`, info.http);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": statSync(path).size },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { error: text.slice(0, 200) };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    // The hub may answer (a refusal) before the body is sent and close: its answer wins the race.
    pipeline(createReadStream(path), req).catch((e: Error) => setTimeout(() => reject(e), 1000));
  });
}
