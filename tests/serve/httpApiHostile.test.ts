/**
 * The tenant segment of serve's HTTP APIs (`PUT /v1/files/<tenant>/<file>`,
 * `POST /v1/models/<tenant>/<model>/invocations`) is the client's to write. Whatever it writes —
 * upper case, a path, percent-encoding, a look-alike, a thousand characters — the answer is a
 * refusal naming the value, never a server error: the tenant check (mayActFor) said "may not"
 * only for ids it could turn into a role name, and threw for every other, which serve answered
 * with 500 "internal error" and an error line in its log. The upload API is driven over real
 * HTTP on 127.0.0.1; nothing is loaded for a refused request, so the loader is never reached.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { mayActFor } from "../../pipelines/serve/httpAuth.ts";
import { UploadApi } from "../../pipelines/serve/uploadApi.ts";
import type { EndpointUser } from "../../pipelines/serve/snowflakeEndpoint.ts";

const ANA: EndpointUser = { name: "ANA", roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" };
const OPERATOR: EndpointUser = { name: "OPS", roles: ["HUB_ADMIN"], defaultRole: "HUB_ADMIN" };

/** Tenant segments a client may send, none of them a tenant id (TENANT_ID_PATTERN). */
const NOT_TENANT_IDS = [
  "ACME", "Acme", "acme_", "acme.", "acme ", " acme", "acme/", "../acme", "..", ".", "", "a", "-acme", "1acme", "acme\u0000", "acme\n",
  "\u0430cme", "ａｃｍｅ", "acme%2F..", "x".repeat(1000), "tenant_acme_role", "TENANT_ACME_ROLE", "acme;drop", "acme' OR '1'='1",
];

describe("the tenant segment of serve's HTTP APIs", () => {
  it("mayActFor answers 'no' for every segment that is not a tenant id, for a tenant's user and for an admin, and never throws", () => {
    for (const t of NOT_TENANT_IDS) {
      for (const u of [ANA, OPERATOR]) assert.equal(mayActFor(u, t), false, `${u.name} for ${JSON.stringify(t)}`);
    }
    // Still yes where it should be: the positive controls.
    assert.equal(mayActFor(ANA, "acme"), true);
    assert.equal(mayActFor(ANA, "globex"), false);
    assert.equal(mayActFor(OPERATOR, "globex"), true);
  });

  describe("PUT /v1/files over HTTP", () => {
    let server: http.Server;
    let base: string;
    let uploadDir: string;
    const notLoaded = () => Promise.reject(new Error("a refused upload reached the loader"));

    before(async () => {
      uploadDir = mkdtempSync(join(tmpdir(), "hub-uploads-"));
      const api = new UploadApi({
        uploadDir, tenants: ["acme", "globex"], landing: notLoaded, files: notLoaded,
        membership: () => { throw new Error("a refused upload asked for membership"); },
        maxBytes: 1024, log: () => undefined,
      });
      server = http.createServer((req, res) => {
        const user = req.headers["x-user"] === "ops" ? OPERATOR : ANA;
        api.handle(req, res, user, new URL(req.url ?? "/", "http://hub").pathname).catch(() => {
          // What hubService does with a throw: 500.
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "internal error" }));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((r) => server.close(r));
      rmSync(uploadDir, { recursive: true, force: true });
    });

    const put = async (path: string, user = "ana", body = "tenant_id,device_id\nacme,m1\n") => {
      const r = await fetch(`${base}${path}`, { method: "PUT", headers: { "x-user": user, "content-type": "text/csv" }, body });
      return { status: r.status, error: String(((await r.json()) as { error?: string }).error ?? "") };
    };

    it("refuses a tenant segment that is no tenant id with 403 naming it, for a tenant's user and an admin, and writes no file", async () => {
      // Not "." and "..": a URL's dot segments are resolved before the request is sent.
      for (const t of NOT_TENANT_IDS.filter((x) => x !== "." && x !== ".." && x.length < 200)) {
        for (const user of ["ana", "ops"]) {
          const r = await put(`/v1/files/${encodeURIComponent(t)}/week1.csv`, user);
          assert.equal(r.status, 403, `${user} ${JSON.stringify(t)}: ${r.error}`);
          assert.ok(r.error.includes(JSON.stringify(t)), `the refusal names ${JSON.stringify(t)}: ${r.error}`);
        }
      }
      // A segment that is not percent-encoding at all.
      assert.equal((await put("/v1/files/%E0%A4%A/week1.csv")).status, 403);
      assert.deepEqual(readdirSync(uploadDir), [], "nothing was written for any of them");
    });

    it("refuses a file name with a folder, a leading dot, a NUL or a traversal with 400, for the user's own tenant", async () => {
      for (const name of ["..%2F..%2Fetc%2Fpasswd.csv", "%2E%2E%2Fx.csv", ".hidden.csv", "a%00.csv", "a%2Fb.csv", "a%5Cb.csv", "%20x.csv", "x".repeat(201) + ".csv", "week1.csv%0D%0AX-Injected:%201"]) {
        const r = await put(`/v1/files/acme/${name}`);
        assert.equal(r.status, 400, `${name}: ${r.error}`);
      }
      assert.deepEqual(readdirSync(uploadDir), []);
    });
  });
});
