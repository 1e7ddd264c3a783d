/**
 * `POST /v1/notes` (issue 28) over loopback, with the same authentication serve's route uses
 * (pipelines/serve/httpAuth.ts, Basic here): a user of one tenant posts a note for its tenant only;
 * everything else is refused with the field and the value, and lands nothing.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticateRequest } from "../../pipelines/serve/httpAuth.ts";
import { hashPassword, type EndpointUser } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { handleNoteRequest, MAX_NOTE_BODY_BYTES } from "../../pipelines/notes/noteEndpoint.ts";
import type { RawNote } from "../../pipelines/notes/noteRecords.ts";

const ACCOUNT = "HUB";
const users: EndpointUser[] = [
  { name: "ACME_SHIFTLOG", passwordHash: hashPassword("pw-acme"), roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
  { name: "TWO_TENANTS", passwordHash: hashPassword("pw-two"), roles: ["TENANT_ACME_ROLE", "TENANT_GLOBEX_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
  { name: "OPERATOR", passwordHash: hashPassword("pw-admin"), roles: ["HUB_ADMIN"], defaultRole: "HUB_ADMIN" },
];
const landed: RawNote[] = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => {
    const caller = authenticateRequest(req, users, ACCOUNT);
    if ("refused" in caller) return void res.writeHead(401).end(JSON.stringify({ error: caller.refused }));
    void handleNoteRequest({ tenants: () => ["acme", "globex"], land: async (n) => void landed.push(...n), now: () => new Date("2026-01-05T08:00:00Z") }, req, res, caller.user);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/notes`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;
const good = { site_id: "s1", device_id: "m-001", author_id: "op-12", note_ts: "2026-01-05T07:40:00Z", kind: "shift", text: "Coolant low, need a refill", language: "en" };

async function post(body: unknown, opts: { auth?: string; type?: string; raw?: string | Buffer; method?: string } = {}) {
  const res = await fetch(url, {
    method: opts.method ?? "POST",
    headers: { authorization: opts.auth ?? basic("ACME_SHIFTLOG", "pw-acme"), "content-type": opts.type ?? "application/json" },
    ...(opts.method === "GET" ? {} : { body: opts.raw ?? JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; field?: string; note_id?: string } };
}

describe("POST /v1/notes", () => {
  it("lands a note of the user's tenant and answers its key", async () => {
    const r = await post(good);
    assert.equal(r.status, 202);
    assert.match(r.body.note_id!, /^[0-9a-f]{32}$/);
    assert.equal(landed.length, 1);
    assert.deepEqual({ tenant: landed[0]!.tenantId, source: landed[0]!.source, author: landed[0]!.authorId, id: landed[0]!.noteId }, { tenant: "acme", source: "http", author: "op-12", id: r.body.note_id });
  });

  const refused: Array<[string, () => ReturnType<typeof post>, number, RegExp]> = [
    ["no credentials", () => post(good, { auth: "" }), 401, /credentials are required/],
    ["a wrong password", () => post(good, { auth: basic("ACME_SHIFTLOG", "nope") }), 401, /incorrect user name or password/],
    ["a user of two tenants (the body may not choose)", () => post(good, { auth: basic("TWO_TENANTS", "pw-two") }), 403, /roles of 2 tenants/],
    ["the admin, who is no tenant's user", () => post(good, { auth: basic("OPERATOR", "pw-admin") }), 403, /holds no tenant's role/],
    ["a tenant_id of another tenant in the body", () => post({ ...good, tenant_id: "globex" }), 400, /tenant_id: "globex" is not the tenant of the credential \(acme\)/],
    ["a field outside the allowlist", () => post({ ...good, author_name: "Jo Smith" }), 400, /author_name: not a field of a note/],
    ["a text over the limit", () => post({ ...good, text: "é".repeat(4001) }), 400, /text: 4001 characters, at most 4000/],
    ["a body over the byte limit", () => post(null, { raw: "x".repeat(MAX_NOTE_BODY_BYTES + 1) }), 413, /exceeds/],
    ["a body that is not JSON", () => post(null, { raw: "{" }), 400, /not UTF-8 JSON/],
    ["a body that is not UTF-8", () => post(null, { raw: Buffer.from([0x7b, 0xff, 0x7d]) }), 400, /not UTF-8 JSON/],
    ["a JSON array", () => post([good]), 400, /note: .* is not a JSON object/],
    ["another content type", () => post(good, { type: "text/plain" }), 415, /content-type: "text\/plain", expected application\/json/],
    ["another method", () => post(null, { method: "GET" }), 405, /use POST/],
  ];
  for (const [what, send, status, message] of refused) {
    it(`refuses ${what} (${status}) and lands nothing`, async () => {
      const before = landed.length;
      const r = await send();
      assert.equal(r.status, status);
      assert.match(r.body.error!, message);
      assert.equal(landed.length, before);
    });
  }

  it("names the refused field", async () => {
    const r = await post({ ...good, note_ts: "yesterday" });
    assert.deepEqual([r.status, r.body.field], [400, "note_ts"]);
  });
});
