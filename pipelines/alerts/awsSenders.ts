/**
 * The production channels (docs/alerts.md, "Production"):
 *
 * - `eventbridge`: PutEvents on the tenant's bus, source `hub.alerts`, one entry per notification.
 *   The tenant stack's rule (infra/aws/alertTopic.ts) matches the tenant's CRITICAL events and
 *   targets its SNS topic, whose email subscribers get them. PutEvents answers per entry: the
 *   entries that failed (FailedEntryCount > 0, an ErrorCode on the entry) are tried again, and only
 *   they; the others are delivered.
 *   https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 * - `sns`: Publish straight to the tenant's topic (every severity the channel takes).
 *   https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 *
 * The clients are the real AWS SDK v3 ones (tests wrap them with aws-sdk-client-mock). Errors the
 * SDK marks retryable (throttling, 5xx, transient network) are tried again; any other (access
 * denied, no such topic, a malformed request) is permanent.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { PublishCommand, SNSClient, type MessageAttributeValue } from "@aws-sdk/client-sns";
import type { EventBridgeChannel, SnsChannel } from "./alertChannels.ts";
import { errorText, type ChannelSender, type Outcome } from "./deliveryOutcome.ts";
import { idempotencyKey, notificationBody, type Notification } from "./notification.ts";

/** The `source` of the hub's events; the tenant's rule matches on it (never `aws.*`, which AWS reserves). */
export const EVENT_SOURCE = "hub.alerts";
export const EVENT_DETAIL_TYPES = { ALERT: "Hub alert", MONITOR: "Hub resource monitor" } as const;
/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

function sdkFailure(e: unknown): Outcome {
  const err = e as { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; name?: string };
  const status = err.$metadata?.httpStatusCode ?? 0;
  const retryable = !!err.$retryable || status >= 500 || status === 429 || /Throttl|Timeout|InternalError|InternalFailure|ServiceUnavailable/i.test(err.name ?? "") || status === 0;
  return { ok: false, permanent: !retryable, error: errorText({ code: err.name, message: (e as Error).message }) };
}

export class EventBridgeSender implements ChannelSender {
  constructor(
    private readonly channel: EventBridgeChannel,
    private readonly client: EventBridgeClient = new EventBridgeClient(channel.region ? { region: channel.region } : {}),
  ) {}

  entry(n: Notification): PutEventsRequestEntry {
    return {
      Source: EVENT_SOURCE,
      DetailType: EVENT_DETAIL_TYPES[n.source],
      Detail: JSON.stringify(notificationBody(n)),
      EventBusName: this.channel.busName,
      Time: n.raisedAt,
    };
  }

  async send(batch: readonly Notification[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (let i = 0; i < batch.length; i += PUT_EVENTS_MAX_ENTRIES) {
      const chunk = batch.slice(i, i + PUT_EVENTS_MAX_ENTRIES);
      try {
        const r = await this.client.send(new PutEventsCommand({ Entries: chunk.map((n) => this.entry(n)) }));
        // Entries come back in request order; a failed one has ErrorCode (and no EventId).
        chunk.forEach((_, j) => {
          const e = r.Entries?.[j];
          if (e?.ErrorCode) out.push({ ok: false, permanent: false, error: `PutEvents entry failed: ${e.ErrorCode}${e.ErrorMessage ? `: ${e.ErrorMessage}` : ""}` });
          else if (e?.EventId) out.push({ ok: true, detail: e.EventId });
          else out.push({ ok: false, permanent: false, error: "PutEvents answered no result for the entry" });
        });
      } catch (e) {
        const f = sdkFailure(e);
        for (const _ of chunk) out.push(f);
      }
    }
    return out;
  }

  close(): void {
    this.client.destroy();
  }
}

export class SnsSender implements ChannelSender {
  constructor(
    private readonly channel: SnsChannel,
    private readonly client: SNSClient = new SNSClient({ region: channel.topicArn.split(":")[3] }),
  ) {}

  /** The Publish request for one notification (exported for the tests' shape checks). */
  request(n: Notification) {
    const attr = (v: string): MessageAttributeValue => ({ DataType: "String", StringValue: v });
    const fifo = this.channel.topicArn.endsWith(".fifo");
    return {
      TopicArn: this.channel.topicArn,
      Message: JSON.stringify(notificationBody(n)),
      // Email subscribers see it as the subject: under 100 characters, no line breaks.
      Subject: `[${n.severity}] ${n.title}`.replace(/[\r\n\t]+/g, " ").slice(0, 99),
      MessageAttributes: {
        idempotency_key: attr(idempotencyKey(n.key)),
        tenant_id: attr(n.tenantId),
        severity: attr(n.severity),
        source: attr(n.source),
      },
      // Only FIFO topics take these (a standard topic refuses them); there SNS itself drops a
      // re-delivery within its 5-minute window.
      ...(fifo ? { MessageDeduplicationId: idempotencyKey(n.key), MessageGroupId: n.tenantId } : {}),
    };
  }

  async send(batch: readonly Notification[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const n of batch) {
      try {
        const r = await this.client.send(new PublishCommand(this.request(n)));
        out.push({ ok: true, detail: r.MessageId ?? "" });
      } catch (e) {
        out.push(sdkFailure(e));
      }
    }
    return out;
  }

  close(): void {
    this.client.destroy();
  }
}
