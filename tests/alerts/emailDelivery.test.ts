/**
 * Email delivery against a real SMTP server (smtp-server, by nodemailer's authors) on 127.0.0.1
 * port 0: the message arrives with the notification's Message-ID, STARTTLS is required when asked
 * for (and a server that does not offer it is refused, never a plain-text fallback), AUTH uses the
 * channel's secret, a rejected recipient is permanent and a 4xx is tried again.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { parseTenantAlerting, type EmailChannel } from "../../pipelines/alerts/alertChannels.ts";
import { EmailSender, messageIdOf } from "../../pipelines/alerts/emailSender.ts";
import { idempotencyKey, type Notification } from "../../pipelines/alerts/notification.ts";
import { testPki, type TestPki } from "../helpers/certificates.ts";

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly secure: boolean;
  readonly user: string | null;
}

async function smtp(opts: Partial<SMTPServerOptions> = {}): Promise<{ port: number; mails: Received[]; close(): Promise<void> }> {
  const mails: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    logger: false,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
        });
        cb();
      });
    },
    ...opts,
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function channel(port: number, extra: Record<string, unknown> = {}, smtpExtra: Record<string, unknown> = {}): EmailChannel {
  return parseTenantAlerting({
    "alerts:channels": [{ name: "mail", kind: "email", to: ["ops@acme.example", "lead@acme.example"], from: "hub@acme.example", smtp: { host: "127.0.0.1", port, tls: "none", ...smtpExtra }, timeoutMs: 2000, ...extra }],
  }).channels[0] as EmailChannel;
}

const NOTE: Notification = {
  tenantId: "acme", source: "ALERT", key: "alert/acme/m1/MACHINE_DOWN/2026-01-05T09", severity: "CRITICAL",
  raisedAt: new Date("2026-01-05T09:30:00Z"), title: "MACHINE_DOWN on m1 (s1)", message: "MACHINE_DOWN on m1 at 2026-01-05 09:00:00", fields: { device_id: "m1" },
};

const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

describe("email over SMTP to a local server", () => {
  let pki: TestPki;
  before(() => {
    pki = testPki();
  });

  it("delivers to every recipient with the notification's Message-ID, the same on every attempt", async () => {
    const s = await smtp();
    const sender = new EmailSender(channel(s.port));
    try {
      const first = await sender.send([NOTE]);
      const again = await sender.send([NOTE]);
      assert.deepEqual([first[0]!.ok, again[0]!.ok], [true, true]);
    } finally {
      sender.close();
      await s.close();
    }
    assert.equal(s.mails.length, 2);
    const m = s.mails[0]!;
    assert.equal(m.from, "hub@acme.example");
    assert.deepEqual(m.to, ["ops@acme.example", "lead@acme.example"]);
    // A long header is folded onto the next line (RFC 5322 2.2.3): \s* spans the fold.
    const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(m.raw)?.[1];
    assert.equal(messageId, messageIdOf(NOTE));
    assert.equal(/^Message-ID:\s*(<[^>]+>)/im.exec(s.mails[1]!.raw)?.[1], messageId, "a receiver can drop the re-delivery by Message-ID");
    assert.ok(messageId!.includes(idempotencyKey(NOTE.key)));
    assert.match(m.raw, /^Subject: \[CRITICAL\] MACHINE_DOWN on m1 \(s1\)/m);
  });

  it("with tls starttls, upgrades before sending and authenticates with the channel's secret", async () => {
    const s = await smtp({
      disabledCommands: [], key: pki.server.key, cert: pki.server.cert, authOptional: false, authMethods: ["PLAIN", "LOGIN"],
      onAuth(auth, _session, cb) {
        if (auth.username === "hub" && auth.password === "smtp-pass-not-real") return cb(null, { user: "hub" });
        cb(smtpError(535, "bad credentials"));
      },
    });
    const good = new EmailSender(channel(s.port, {}, { tls: "starttls", user: "hub" }), { password: "smtp-pass-not-real", ca: pki.ca });
    const bad = new EmailSender(channel(s.port, {}, { tls: "starttls", user: "hub" }), { password: "wrong", ca: pki.ca });
    try {
      assert.equal((await good.send([NOTE]))[0]!.ok, true);
      const refused = (await bad.send([NOTE]))[0]!;
      assert.ok(!refused.ok && refused.permanent, "failed AUTH (535) is permanent");
      assert.ok(!refused.ok && !refused.error.includes("wrong"), "the password is not in the error");
    } finally {
      good.close();
      bad.close();
      await s.close();
    }
    assert.equal(s.mails.length, 1);
    assert.equal(s.mails[0]!.secure, true, "the message went over the upgraded (TLS) connection");
    assert.equal(s.mails[0]!.user, "hub");
  });

  it("with tls starttls, refuses a server that does not offer STARTTLS (no plain-text fallback)", async () => {
    const s = await smtp();
    const sender = new EmailSender(channel(s.port, {}, { tls: "starttls" }), { ca: pki.ca });
    try {
      const o = (await sender.send([NOTE]))[0]!;
      assert.equal(o.ok, false);
    } finally {
      sender.close();
      await s.close();
    }
    assert.equal(s.mails.length, 0);
  });

  it("a server that rejects every RCPT (550) is a permanent failure; one rejected of two is permanent too, the other gets the mail", async () => {
    const all = await smtp({ onRcptTo: (_a, _s, cb) => cb(smtpError(550, "no such user")) });
    const one = await smtp({ onRcptTo: (a, _s, cb) => (a.address.startsWith("lead@") ? cb(smtpError(550, "no such user")) : cb()) });
    const toAll = new EmailSender(channel(all.port));
    const toOne = new EmailSender(channel(one.port));
    try {
      const a = (await toAll.send([NOTE]))[0]!;
      assert.ok(!a.ok && a.permanent, JSON.stringify(a));
      const b = (await toOne.send([NOTE]))[0]!;
      assert.ok(!b.ok && b.permanent, JSON.stringify(b));
      assert.ok(!b.ok && /1 of 2 recipients rejected/.test(b.error));
    } finally {
      toAll.close();
      toOne.close();
      await all.close();
      await one.close();
    }
    assert.equal(all.mails.length, 0);
    assert.deepEqual(one.mails.map((m) => m.to), [["ops@acme.example"]]);
  });

  it("a temporary rejection (451) and an unreachable server are tried again, not dead-lettered", async () => {
    const busy = await smtp({ onRcptTo: (_a, _s, cb) => cb(smtpError(451, "try later")) });
    const gone = await smtp();
    const goneChannel = channel(gone.port);
    await gone.close();
    const a = new EmailSender(channel(busy.port));
    const b = new EmailSender(goneChannel);
    try {
      const x = (await a.send([NOTE]))[0]!;
      assert.ok(!x.ok && !x.permanent, JSON.stringify(x));
      const y = (await b.send([NOTE]))[0]!;
      assert.ok(!y.ok && !y.permanent, JSON.stringify(y));
    } finally {
      a.close();
      b.close();
      await busy.close();
    }
  });
});
