/**
 * Email delivery over SMTP with nodemailer (docs/alerts.md): one message per notification, its
 * Message-ID built from the notification's idempotency key, so every attempt of one notification
 * carries the same Message-ID and a mailbox or filter can drop re-deliveries.
 *
 * Security: `starttls` requires the server to offer STARTTLS and upgrades before AUTH and MAIL
 * (nodemailer's requireTLS: a server that does not offer it is an error, never a plain-text
 * fallback); `implicit` is TLS from the first byte (port 465); `none` is allowed only to a loopback
 * host (alertChannels.ts). Certificates are verified (nodemailer's default).
 *
 * Outcomes: accepted by the server → delivered. A 5xx reply (a rejected recipient, sender or
 * message; failed AUTH) → permanent. A 4xx reply, a timeout or a dropped connection → tried again.
 * Some recipients rejected with 5xx while others accepted: the message went out, but the channel
 * is misconfigured: permanent, naming how many were rejected, so it shows as a dead letter.
 */
import { createTransport } from "nodemailer";
import type { EmailChannel } from "./alertChannels.ts";
import { errorText, type ChannelSender, type Outcome } from "./deliveryOutcome.ts";
import { idempotencyKey, notificationBody, notificationText, type Notification } from "./notification.ts";

export interface EmailOptions {
  /** SMTP password (the channel's secret); required when the channel has an smtp.user. */
  readonly password?: string | null;
  /** Extra CA to trust (tests with a local TLS SMTP server). */
  readonly ca?: string | Buffer;
}

/** The domain part of every Message-ID (RFC 5322 msg-id = "<" id-left "@" id-right ">"). */
export const MESSAGE_ID_DOMAIN = "alerts.manufacturing-data-hub";

export function messageIdOf(n: Notification): string {
  return `<${idempotencyKey(n.key)}@${MESSAGE_ID_DOMAIN}>`;
}

export class EmailSender implements ChannelSender {
  private readonly transport: ReturnType<typeof createTransport>;

  constructor(
    private readonly channel: EmailChannel,
    o: EmailOptions = {},
  ) {
    const s = channel.smtp;
    this.transport = createTransport({
      host: s.host,
      port: s.port,
      secure: s.tls === "implicit",
      requireTLS: s.tls === "starttls",
      ignoreTLS: s.tls === "none",
      ...(s.user ? { auth: { user: s.user, pass: o.password ?? "" } } : {}),
      connectionTimeout: channel.timeoutMs,
      greetingTimeout: channel.timeoutMs,
      socketTimeout: channel.timeoutMs,
      // nodemailer logs nothing unless asked; never hand it a logger that could print AUTH.
      logger: false,
      ...(o.ca ? { tls: { ca: o.ca } } : {}),
    });
  }

  async send(batch: readonly Notification[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const n of batch) out.push(await this.one(n));
    return out;
  }

  private async one(n: Notification): Promise<Outcome> {
    try {
      const info = await this.transport.sendMail({
        from: this.channel.from,
        to: [...this.channel.to],
        subject: `[${n.severity}] ${n.title}`,
        text: notificationText(n),
        messageId: messageIdOf(n),
        headers: {
          "X-Hub-Idempotency-Key": idempotencyKey(n.key),
          "X-Hub-Notification-Key": n.key,
          "X-Hub-Tenant": n.tenantId,
        },
        // The same JSON as the webhook's body, for mail rules and scripts.
        attachments: [{ filename: "notification.json", content: JSON.stringify(notificationBody(n), null, 2), contentType: "application/json" }],
      });
      const rejected = (info.rejected ?? []) as unknown[];
      if (rejected.length) {
        return { ok: false, permanent: true, error: `${rejected.length} of ${this.channel.to.length} recipients rejected (the others accepted the message)` };
      }
      return { ok: true, detail: String(info.response ?? "") };
    } catch (e) {
      const code = Number((e as { responseCode?: number }).responseCode);
      return { ok: false, permanent: code >= 500 && code < 600, error: errorText(e) };
    }
  }

  close(): void {
    this.transport.close();
  }
}
