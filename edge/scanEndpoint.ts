/**
 * `POST /v1/scans` on the gateway: RFID / barcode scanners that speak HTTP send a scanner message
 * (`{"v":1,"tenant_id":...,"site_id":...,"scans":[...]}`) with `Authorization: Bearer <token>`; it
 * enters the same path as MQTT (the gateway's durable queue, then the broker, then ingest, which
 * validates each scan). API Gateway plays this part in production. Tokens are kept as SHA-256
 * hashes (they are random, high-entropy secrets) and never logged.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_MESSAGE_BYTES } from "../pipelines/quality/payloadSchemas.ts";
import type { Gateway } from "./gateway.ts";
import { readBoundedBody } from "../pipelines/serve/httpBodies.ts";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Scanner tokens: token hash → the scanner (a gateway device of sensor type "rfid"). */
export class ScannerTokens {
  private readonly byHash = new Map<string, string>();

  /** Issue a token for a scanner; returned once, only its hash is kept. */
  issue(thingName: string): string {
    const token = randomBytes(32).toString("base64url");
    this.byHash.set(sha256(token), thingName);
    return token;
  }

  /** Accept a token issued earlier (kept by its holder and by `serve` across restarts). */
  accept(token: string, thingName: string): void {
    this.byHash.set(sha256(token), thingName);
  }

  scannerOf(token: string): string | undefined {
    return this.byHash.get(sha256(token));
  }
}

export interface ScanEndpointOptions {
  readonly gateway: Gateway;
  readonly tokens: ScannerTokens;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0. */
  readonly port?: number;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

export class ScanEndpoint {
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(opts: ScanEndpointOptions): Promise<ScanEndpoint> {
    const server = createServer((req, res) => {
      handleScanRequest(opts, req, res).catch(() => reply(res, 500, { error: "internal error" }));
    });
    await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve()));
    const { address, port } = server.address() as AddressInfo;
    return new ScanEndpoint(server, `http://${address}:${port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** `POST /v1/scans`; exported so `serve` can answer it on its one HTTP port. */
export async function handleScanRequest(opts: Pick<ScanEndpointOptions, "gateway" | "tokens">, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url !== "/v1/scans") return reply(res, 404, { error: "not found" });
  if (req.method !== "POST") return reply(res, 405, { error: "use POST" });
  const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
  const thingName = auth ? opts.tokens.scannerOf(auth[1]!) : undefined;
  const scanner = thingName ? opts.gateway.device(thingName) : undefined;
  if (!scanner) return reply(res, 401, { error: "a valid bearer token is required" });
  const body = await readBoundedBody(req, MAX_MESSAGE_BYTES);
  if (!body) return reply(res, 413, { error: `the body exceeds ${MAX_MESSAGE_BYTES} bytes` });
  let msg: unknown;
  try {
    msg = JSON.parse(body.toString("utf8"));
  } catch {
    return reply(res, 400, { error: "the body is not JSON" });
  }
  const m = msg as { tenant_id?: unknown; site_id?: unknown; scans?: unknown };
  if (typeof msg !== "object" || msg === null || !Array.isArray(m.scans)) return reply(res, 400, { error: 'expected {"v":1,"tenant_id":...,"site_id":...,"scans":[...]}' });
  // The token says which tenant and site; the body may not claim others (each scan is validated at ingest).
  if ((m.tenant_id !== undefined && m.tenant_id !== scanner.tenantId) || (m.site_id !== undefined && m.site_id !== scanner.siteId)) {
    return reply(res, 403, { error: "tenant_id / site_id do not match the scanner's" });
  }
  const r = opts.gateway.addScans(scanner.thingName, m.scans);
  if (!r.queued) return reply(res, 503, { error: "the gateway queue refused the message", seq: r.seq });
  reply(res, 202, { accepted: m.scans.length, seq: r.seq });
}
