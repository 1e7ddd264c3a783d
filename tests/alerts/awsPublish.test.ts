/**
 * The production publish path with the real AWS SDK v3 clients wrapped by aws-sdk-client-mock:
 * request shapes as the API references define them (SNS Publish; EventBridge PutEvents and its
 * per-entry results), and through the worker: a PutEvents answer with FailedEntryCount > 0 sends
 * again the failed entries only.
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from "@aws-sdk/client-eventbridge";
import { PublishCommand, SNSClient, type PublishCommandInput } from "@aws-sdk/client-sns";
import { EventBridgeSender, PUT_EVENTS_MAX_ENTRIES, SnsSender } from "../../pipelines/alerts/awsSenders.ts";
import { parseTenantAlerting, type EventBridgeChannel, type SnsChannel } from "../../pipelines/alerts/alertChannels.ts";
import { idempotencyKey, type Notification } from "../../pipelines/alerts/notification.ts";
import { DeliveryWorker } from "../../pipelines/alerts/deliveryWorker.ts";
import { adminQuery, testEngine } from "../helpers/engine.ts";

const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
afterEach(() => {
  sns.reset();
  events.reset();
});

const note = (i: number, severity: Notification["severity"] = "CRITICAL"): Notification => ({
  tenantId: "acme", source: "ALERT", key: `alert/acme/m${i}/MACHINE_DOWN/2026-01-05T09`, severity,
  raisedAt: new Date("2026-01-05T09:30:00Z"), title: `MACHINE_DOWN on m${i}\nsecond line`, message: `m${i} down`, fields: { device_id: `m${i}` },
});
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:hub-acme-alerts";
const snsChannel = (topicArn = TOPIC) => parseTenantAlerting({ "alerts:channels": [{ name: "topic", kind: "sns", topicArn }] }).channels[0] as SnsChannel;
const busChannel = () => parseTenantAlerting({ "alerts:channels": [{ name: "bus", kind: "eventbridge", busName: "hub-alerts", region: "eu-west-1" }] }).channels[0] as EventBridgeChannel;
const awsError = (name: string, status: number, retryable = false) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...(retryable ? { $retryable: {} } : {}) });

describe("SNS Publish", () => {
  it("sends TopicArn, the JSON body as Message, a one-line Subject under 100 characters and String MessageAttributes; no FIFO fields on a standard topic", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "mid-1" });
    const sender = new SnsSender(snsChannel(), new SNSClient({ region: "eu-west-1" }));
    assert.deepEqual(await sender.send([note(1)]), [{ ok: true, detail: "mid-1" }]);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input as PublishCommandInput;
    assert.equal(input.TopicArn, TOPIC);
    const body = JSON.parse(input.Message!);
    assert.equal(body.idempotency_key, idempotencyKey(note(1).key));
    assert.ok(input.Subject!.length < 100 && !/[\r\n]/.test(input.Subject!), input.Subject);
    assert.deepEqual(input.MessageAttributes, {
      idempotency_key: { DataType: "String", StringValue: idempotencyKey(note(1).key) },
      tenant_id: { DataType: "String", StringValue: "acme" },
      severity: { DataType: "String", StringValue: "CRITICAL" },
      source: { DataType: "String", StringValue: "ALERT" },
    });
    assert.equal(input.MessageDeduplicationId, undefined, "standard topics refuse MessageDeduplicationId");
    assert.equal(input.MessageGroupId, undefined);
  });

  it("on a FIFO topic, dedupes on the idempotency key (at most 128 characters) in the tenant's message group", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "mid-2" });
    const fifo = new SnsSender(snsChannel(`${TOPIC}.fifo`), new SNSClient({ region: "eu-west-1" }));
    await fifo.send([note(2)]);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input as PublishCommandInput;
    assert.equal(input.MessageDeduplicationId, idempotencyKey(note(2).key));
    assert.ok(input.MessageDeduplicationId!.length <= 128 && /^[A-Za-z0-9!-~]+$/.test(input.MessageDeduplicationId!));
    assert.equal(input.MessageGroupId, "acme");
    fifo.close();
  });

  it("throttling and 5xx are tried again; AuthorizationError and NotFound are permanent", async () => {
    sns.on(PublishCommand)
      .rejectsOnce(awsError("Throttled", 400, true))
      .rejectsOnce(awsError("InternalError", 500))
      .rejectsOnce(awsError("AuthorizationError", 403))
      .rejectsOnce(awsError("NotFound", 404));
    const out = await new SnsSender(snsChannel(), new SNSClient({ region: "eu-west-1" })).send([note(1), note(2), note(3), note(4)]);
    assert.deepEqual(out.map((o) => (o.ok ? "ok" : o.permanent ? "permanent" : "retry")), ["retry", "retry", "permanent", "permanent"]);
    assert.match(out[2]!.ok ? "" : out[2]!.error, /^AuthorizationError: /);
  });
});

describe("EventBridge PutEvents", () => {
  it("sends Source hub.alerts, a DetailType, the JSON body as Detail, the bus and the time; at most 10 entries per call", async () => {
    events.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({ FailedEntryCount: 0, Entries: input.Entries!.map((_, i) => ({ EventId: `e${i}` })) }));
    const notes = Array.from({ length: 12 }, (_, i) => note(i));
    const out = await new EventBridgeSender(busChannel(), new EventBridgeClient({ region: "eu-west-1" })).send(notes);
    assert.ok(out.every((o) => o.ok));
    const calls = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    assert.deepEqual(calls.map((e) => e.length), [PUT_EVENTS_MAX_ENTRIES, 2]);
    const e = calls[0]![0]!;
    assert.deepEqual([e.Source, e.DetailType, e.EventBusName, e.Time], ["hub.alerts", "Hub alert", "hub-alerts", note(0).raisedAt]);
    const detail = JSON.parse(e.Detail!);
    assert.deepEqual([detail.tenant_id, detail.severity, detail.idempotency_key], ["acme", "CRITICAL", idempotencyKey(note(0).key)]);
  });

  it("FailedEntryCount > 0: the failed entries (ErrorCode) are tried again, the others are delivered", async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: "e0" }, { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" }, { EventId: "e2" }],
    });
    const out = await new EventBridgeSender(busChannel(), new EventBridgeClient({ region: "eu-west-1" })).send([note(0), note(1), note(2)]);
    assert.deepEqual(out.map((o) => (o.ok ? "ok" : o.permanent ? "permanent" : "retry")), ["ok", "retry", "ok"]);
    assert.match(out[1]!.ok ? "" : out[1]!.error, /ThrottlingException: slow down/);
  });
});

describe("the worker over EventBridge", () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), "hub-alerts-aws-"));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("sends again only the entries PutEvents failed, and records one DELIVERED per notification", async () => {
    const { engine } = await testEngine("2026-01-05T10:00:00Z");
    try {
      const s = await engine.admin();
      for (const d of ["m1", "m2", "m3"]) {
        await s.execute(
          `INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
           VALUES ('acme', 's1', ?, 'MACHINE_DOWN', 'CRITICAL', TIMESTAMP '2026-01-05 09:00:00', TIMESTAMP '2026-01-05 09:00:00', 1, 'down', TIMESTAMP '2026-01-05 09:30:00')`,
          { binds: [d] },
        );
      }
      await s.close();
      events.on(PutEventsCommand)
        .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: "a" }, { ErrorCode: "InternalFailure" }, { EventId: "c" }] })
        .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "b" }] });
      let wall = Date.parse("2026-03-01T00:00:00Z");
      const w = await DeliveryWorker.open({
        engine, home, log: () => undefined, now: () => new Date(wall),
        tenants: [{ tenantId: "acme", alerting: parseTenantAlerting({ "alerts:channels": [{ name: "bus", kind: "eventbridge", busName: "hub-alerts", region: "eu-west-1" }], "alerts:delivery": { initialBackoffS: 5 } }) }],
        senders: (_t, c) => new EventBridgeSender(c as EventBridgeChannel, new EventBridgeClient({ region: "eu-west-1" })),
      });
      await w.runOnce();
      wall += 5000;
      await w.runOnce();
      await w.close();
      const calls = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.Detail!).device_id));
      assert.deepEqual(calls, [["m1", "m2", "m3"], ["m2"]]);
      const rows = await adminQuery<{ notification_key: string; attempt: number; status: string }>(engine, "SELECT notification_key, attempt, status FROM OPS.ALERT_DELIVERIES ORDER BY notification_key, attempt");
      assert.deepEqual(rows.map((r) => [r.notification_key.split("/")[2], Number(r.attempt), r.status]), [
        ["m1", 1, "DELIVERED"], ["m2", 1, "RETRY"], ["m2", 2, "DELIVERED"], ["m3", 1, "DELIVERED"],
      ]);
    } finally {
      await engine.close();
    }
  });
});
