/**
 * Webhook delivery: one POST of the notification's JSON per attempt (docs/alerts.md).
 *
 * - `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the channel's
 *   secret (GitHub's header convention), so a receiver can check the sender and the body.
 * - `Idempotency-Key`: the same for every attempt of a notification; receivers dedupe on it.
 * - 2xx: delivered. 408, 429 (honouring Retry-After in seconds), 5xx, a timeout or a dropped
 *   connection: tried again later. Any other 4xx: permanent (dead letter at once). A redirect is
 *   never followed (the signed body would go wherever a receiver points it): permanent.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { WebhookChannel } from "./alertChannels.ts";
import { errorText, type ChannelSender, type Outcome } from "./deliveryOutcome.ts";
import { idempotencyKey, notificationBody, type Notification } from "./notification.ts";

export const SIGNATURE_HEADER = "x-hub-signature-256";
export const IDEMPOTENCY_HEADER = "idempotency-key";

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface WebhookOptions {
  /** Extra CAs to trust (tests with a local HTTPS receiver); default the system's. */
  readonly ca?: string | Buffer;
}

export class WebhookSender implements ChannelSender {
  constructor(
    private readonly channel: WebhookChannel,
    private readonly secret: string,
    private readonly o: WebhookOptions = {},
  ) {}

  async send(batch: readonly Notification[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const n of batch) out.push(await this.post(n));
    return out;
  }

  private post(n: Notification): Promise<Outcome> {
    const body = Buffer.from(JSON.stringify(notificationBody(n)));
    const url = new URL(this.channel.url);
    const client = url.protocol === "https:" ? https : http;
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const req = client.request(
        url,
        {
          method: "POST",
          // No keep-alive agent: one request per attempt, and nothing left open when a pass ends.
          agent: false,
          headers: {
            "content-type": "application/json",
            "content-length": body.length,
            "user-agent": "manufacturing-data-hub-alerts/1",
            [IDEMPOTENCY_HEADER]: idempotencyKey(n.key),
            [SIGNATURE_HEADER]: signBody(this.secret, body),
          },
          ...(this.o.ca ? { ca: this.o.ca } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          // The receiver's body is not needed; read and drop it so the socket closes cleanly.
          res.resume();
          res.on("error", () => undefined);
          done(classify(status, res.headers, url));
        },
      );
      // One deadline for the whole attempt (connect, send, status line): a receiver that stalls
      // anywhere costs at most timeoutMs.
      const timer = setTimeout(() => {
        done({ ok: false, permanent: false, error: `timed out after ${this.channel.timeoutMs} ms` });
        req.destroy();
      }, this.channel.timeoutMs);
      req.on("error", (e) => done({ ok: false, permanent: false, error: errorText(e) }));
      req.end(body);
    });
  }
}

function classify(status: number, headers: http.IncomingHttpHeaders, url: URL): Outcome {
  if (status >= 200 && status < 300) return { ok: true, detail: `HTTP ${status}` };
  if (status >= 300 && status < 400) {
    let where = "no Location";
    try {
      where = headers.location ? `Location ${new URL(headers.location, url).host}` : where;
    } catch {
      where = "an invalid Location";
    }
    return { ok: false, permanent: true, error: `HTTP ${status}: redirect (${where}) not followed; configure the final URL` };
  }
  if (status === 408 || status === 429 || status >= 500) {
    const ra = Number(headers["retry-after"]);
    return { ok: false, permanent: false, error: `HTTP ${status}`, ...(Number.isFinite(ra) && ra > 0 ? { retryAfterS: ra } : {}) };
  }
  return { ok: false, permanent: true, error: `HTTP ${status}: the receiver refused the notification` };
}
