/**
 * `POST /v1/notes` on serve's port, beside `/v1/scans` (issue 28): one operator note per request,
 * landed in RAW.OPERATOR_NOTES at once (answer 202 with its key).
 *
 * Who may post: a user of the hub (pipelines/serve/httpAuth.ts: Basic for a person at a shift-log
 * terminal, a key-pair JWT for the MES or shift-log tool that forwards notes), not a scanner token.
 * A scanner token proves a device of one site; notes are written by people about any machine or
 * station of their tenant, and the tools that send them already hold a user for the SQL endpoint
 * and the upload API. The tenant is the one tenant whose role the user holds: a user holding none,
 * or several (the admin role included), is refused, since the body may not name the tenant. A
 * `tenant_id` in the body is allowed only when it is that tenant.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { tenantRoleName } from "../definitions/governance.ts";
import type { EndpointUser } from "../serve/snowflakeEndpoint.ts";
import { drainThen, readBoundedBody } from "../serve/httpBodies.ts";
import { MAX_NOTE_TEXT_CHARS, NoteRefused, parseNote, type RawNote } from "./noteRecords.ts";

/** A note's JSON: the text at up to 4 bytes a character in UTF-8 (JSON escapes aside), plus the other fields. */
export const MAX_NOTE_BODY_BYTES = MAX_NOTE_TEXT_CHARS * 6 + 2048;

export interface NoteEndpointOptions {
  /** The hub's tenants: a user's tenant is the one whose role it holds. */
  readonly tenants: () => readonly string[];
  readonly land: (notes: readonly RawNote[]) => Promise<void>;
  readonly now: () => Date;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** The one tenant whose role `user` holds, or why it cannot post notes. */
export function noteTenantOf(user: EndpointUser, tenants: readonly string[]): { tenant: string } | { refused: string } {
  const roles = new Set(user.roles.map((r) => r.toUpperCase()));
  const held = tenants.filter((t) => roles.has(tenantRoleName(t)));
  if (held.length === 1) return { tenant: held[0]! };
  return held.length === 0
    ? { refused: `user ${user.name} holds no tenant's role: a note is posted by a user of its tenant` }
    : { refused: `user ${user.name} holds the roles of ${held.length} tenants (${held.join(", ")}): post notes as a user of one tenant` };
}

/** `POST /v1/notes` for an authenticated user. */
export async function handleNoteRequest(opts: NoteEndpointOptions, req: IncomingMessage, res: ServerResponse, user: EndpointUser): Promise<void> {
  if (req.method !== "POST") return drainThen(req, () => reply(res, 405, { error: "use POST" }));
  const who = noteTenantOf(user, opts.tenants());
  if ("refused" in who) return drainThen(req, () => reply(res, 403, { error: who.refused }));
  const type = String(req.headers["content-type"] ?? "");
  if (!/^application\/json\s*(;|$)/i.test(type)) return drainThen(req, () => reply(res, 415, { error: `content-type: ${JSON.stringify(type)}, expected application/json` }));
  const body = await readBoundedBody(req, MAX_NOTE_BODY_BYTES);
  if (!body) return drainThen(req, () => reply(res, 413, { error: `the body exceeds ${MAX_NOTE_BODY_BYTES} bytes` }));
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return reply(res, 400, { error: "the body is not UTF-8 JSON" });
  }
  let note: RawNote;
  try {
    note = parseNote(value, who.tenant, "http", opts.now());
  } catch (e) {
    if (e instanceof NoteRefused) return reply(res, 400, { error: e.message, field: e.field });
    throw e;
  }
  await opts.land([note]);
  reply(res, 202, { note_id: note.noteId });
}
