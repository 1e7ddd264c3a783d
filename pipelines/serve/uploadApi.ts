/**
 * `PUT /v1/files/<tenant>/<file name>`: a tenant's CSV, JSON, JSON-lines or XLSX file, loaded
 * through the batch-load path (pipelines/ingest/fileLoad.ts), as seed 004's stage + Snowpipe
 * path lands uploaded files in Snowflake. The body is written to `HOME/uploads` (bounded), loaded
 * (every row checked, refusals to quarantine), then removed; the answer is the load's counts. The
 * same content loads once per tenant, so a client may simply send a file again after a failure.
 *
 * Loads run one at a time: each holds a file reader's memory and a batch in flight.
 */
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { extname, join } from "node:path";
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { FileRefusal, LOADABLE_EXTENSIONS, loadFile, type FileLoadResult } from "../ingest/fileLoad.ts";
import type { ChannelLanding } from "../ingest/channelLanding.ts";
import type { FileIo } from "../engine/fileIo.ts";
import type { TenantMembership } from "../ingest/tenantMembership.ts";
import type { EndpointUser } from "./snowflakeEndpoint.ts";
import { mayActFor } from "./httpAuth.ts";
import { drainThen, safeDecode } from "./httpBodies.ts";

/** A file name: no folders, no leading dot, a loadable extension (checked after). */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export interface UploadOptions {
  readonly uploadDir: string;
  readonly tenants: readonly string[];
  readonly landing: () => Promise<ChannelLanding>;
  readonly files: () => Promise<FileIo>;
  /** What the tenant owns now (the device registry may have changed since serve started). */
  readonly membership: (tenant: string) => TenantMembership;
  /** Largest body in bytes. */
  readonly maxBytes: number;
  readonly log: (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void;
}

export class UploadApi {
  private queue: Promise<unknown> = Promise.resolve();
  loaded = 0;
  refused = 0;

  constructor(private readonly o: UploadOptions) {}

  /** Answers the request; `user` has been authenticated by the caller. */
  async handle(req: IncomingMessage, res: ServerResponse, user: EndpointUser, pathname: string): Promise<void> {
    const send = (status: number, body: object, close = false) => {
      if (!res.headersSent) res.writeHead(status, { "content-type": "application/json", ...(close ? { connection: "close" } : {}) }).end(JSON.stringify(body));
    };
    const m = /^\/v1\/files\/([^/]*)\/([^/]*)$/.exec(pathname);
    if (!m) return drainThen(req, () => send(404, { error: "expected PUT /v1/files/<tenant>/<file name>" }));
    const [tenant, name] = [safeDecode(m[1]!), safeDecode(m[2]!)];
    if (req.method !== "PUT") return drainThen(req, () => send(405, { error: `use PUT, not ${req.method}` }));
    // The tenant check comes first: a caller learns nothing about tenants it may not act for.
    if (tenant === null || !mayActFor(user, tenant)) return drainThen(req, () => send(403, { error: `user ${user.name} may not load files for tenant ${JSON.stringify(tenant)}` }));
    if (!this.o.tenants.includes(tenant)) return drainThen(req, () => send(404, { error: `no tenant ${JSON.stringify(tenant)} on this hub (tenants: ${this.o.tenants.join(", ")})` }));
    if (name === null || !FILE_NAME.test(name)) {
      return drainThen(req, () => send(400, { error: `file name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-' (no folders), at most 200 characters` }));
    }
    const ext = extname(name).toLowerCase();
    if (!LOADABLE_EXTENSIONS.includes(ext)) return drainThen(req, () => send(415, { error: `${name}: only ${LOADABLE_EXTENSIONS.join(", ")} files are loaded` }));
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (declared > this.o.maxBytes) return drainThen(req, () => send(413, { error: `${name} is ${declared} bytes, over the upload limit of ${this.o.maxBytes}` }, true));

    const dir = join(this.o.uploadDir, tenant, randomUUID());
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, name);
    try {
      const got = await receive(req, path, this.o.maxBytes);
      if (got === "too large") return send(413, { error: `${name} is over the upload limit of ${this.o.maxBytes} bytes` }, true);
      // The client went away mid-body: nothing to answer, nothing was loaded.
      if (got === "aborted") return;
      const run = this.queue.then(() => this.load(tenant, path));
      this.queue = run.catch(() => undefined);
      const r = await run;
      if ("refused" in r) {
        this.refused++;
        this.o.log("warn", "upload refused", { tenant, file: name, user: user.name, reason: r.refused });
        return send(422, { error: r.refused });
      }
      this.loaded++;
      this.o.log("info", "file loaded", { tenant, file: name, user: user.name, rows: r.rows, loaded: r.loaded, quarantined: r.quarantined, alreadyLoaded: r.alreadyLoaded });
      send(200, {
        file: r.file, sha256: r.sha256, format: r.format, contract: r.contract, rows: r.rows, loaded: r.loaded, quarantined: r.quarantined,
        earlier: r.earlier, alreadyLoaded: r.alreadyLoaded,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async load(tenant: string, path: string): Promise<FileLoadResult | { refused: string }> {
    try {
      return await loadFile(await this.o.landing(), tenant, path, { files: await this.o.files(), membership: this.o.membership(tenant) });
    } catch (e) {
      if (e instanceof FileRefusal) return { refused: e.message };
      throw e;
    }
  }
}

/**
 * The body into `path`, at most `limit` bytes. Past the limit the rest is read and dropped (up to
 * 16 MB more, then the connection is cut), so the client hears its 413 rather than a reset.
 */
async function receive(req: IncomingMessage, path: string, limit: number): Promise<"ok" | "too large" | "aborted"> {
  const out = createWriteStream(path, { mode: 0o600 });
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit + 16 * 1_048_576) {
        req.destroy();
        return "too large";
      }
      if (size > limit) continue;
      if (!out.write(chunk)) await once(out, "drain");
    }
  } catch {
    return "aborted";
  } finally {
    out.end();
    await once(out, "close").catch(() => undefined);
  }
  if (!req.complete) return "aborted";
  return size > limit ? "too large" : "ok";
}
