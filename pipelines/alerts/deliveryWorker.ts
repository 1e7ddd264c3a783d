/**
 * The delivery worker (docs/alerts.md): reads new alerts and tenant monitor notifications and hands
 * each to every channel of its tenant that takes its severity, at least once.
 *
 * - Every attempt is a row of OPS.ALERT_DELIVERIES; a (notification, channel) is done at DELIVERED
 *   or DEAD_LETTER. A failed attempt is tried again after a doubling backoff, up to the tenant's
 *   maxAttempts; then, or at once for a permanent failure, a DEAD_LETTER row with the last error.
 * - At least once, not exactly once: a crash between a receiver's answer and the row's commit sends
 *   again on the next start. Every attempt carries the notification's idempotency key, so receivers
 *   dedupe.
 * - `kick()` never waits: serve calls it from its tick. Each channel runs at most one batch at a
 *   time (at most `perChannel` notifications), so a slow receiver delays only its own channel, and
 *   the engine's tick never waits on any of them.
 * - Attempt times and backoff are on the wall clock (`now`); which notifications are recent enough
 *   for a channel that never tried them is judged on the engine's clock, the one they were raised on.
 */
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import type { DeliveryStatus } from "../definitions/alerting.ts";
import { channelTakes, type AlertChannel, type TenantAlerting } from "./alertChannels.ts";
import { channelSecret } from "./channelSecrets.ts";
import { backoffMs, errorText, type ChannelSender, type Outcome } from "./deliveryOutcome.ts";
import { DeliveryLedger, type DeliveryRow, type DeliveryState } from "./deliveryLedger.ts";
import { idempotencyKey, type Notification } from "./notification.ts";
import { WebhookSender } from "./webhookSender.ts";
import { EmailSender } from "./emailSender.ts";
import { EventBridgeSender, SnsSender } from "./awsSenders.ts";

export type WorkerLog = (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;

export interface TenantChannels {
  readonly tenantId: string;
  readonly alerting: TenantAlerting;
}

/** Builds a channel's sender; the default makes the real one. Tests pass clients wrapped in mocks. */
export type SenderFactory = (tenant: string, channel: AlertChannel, secret: string | null) => ChannelSender;

export interface DeliveryWorkerOptions {
  readonly engine: EmbeddedEngine;
  readonly tenants: readonly TenantChannels[];
  /** HUB_HOME, where channel secrets may be files. */
  readonly home: string;
  readonly log: WorkerLog;
  /** Wall clock for attempts and backoff; default Date.now. */
  readonly now?: () => Date;
  /** Notifications per channel per batch; default 10. */
  readonly perChannel?: number;
  readonly senders?: SenderFactory;
  readonly env?: NodeJS.ProcessEnv;
}

export function defaultSender(o: { ca?: string | Buffer } = {}): SenderFactory {
  return (_tenant, c, secret) => {
    switch (c.kind) {
      case "webhook":
        return new WebhookSender(c, secret!, o);
      case "email":
        return new EmailSender(c, { password: secret, ...o });
      case "sns":
        return new SnsSender(c);
      case "eventbridge":
        return new EventBridgeSender(c);
    }
  };
}

/** Which kinds need a secret, and when. */
function needsSecret(c: AlertChannel): boolean {
  return c.kind === "webhook" || (c.kind === "email" && c.smtp.user !== null);
}

interface LiveChannel {
  readonly tenantId: string;
  readonly channel: AlertChannel;
  readonly sender: ChannelSender;
  readonly alerting: TenantAlerting;
  busy: Promise<void> | null;
}

export interface WorkerCounts {
  attempts: number;
  delivered: number;
  retried: number;
  deadLetters: number;
}

export class DeliveryWorker {
  private readonly ledger: DeliveryLedger;
  private readonly channels: LiveChannel[] = [];
  private state = new Map<string, DeliveryState & { tenantId: string }>();
  private cycling: Promise<void> | null = null;
  private closed = false;
  /** Since this worker started, by channel kind and status (serve's /metrics). */
  readonly counts = new Map<string, WorkerCounts>();
  /** Channels skipped for their configuration (no usable secret), with why: said once, at open. */
  readonly problems: string[] = [];

  private constructor(private readonly o: DeliveryWorkerOptions) {
    this.ledger = new DeliveryLedger(o.engine);
  }

  /** Resolve every channel's secret, build the senders, load what was already attempted. */
  static async open(o: DeliveryWorkerOptions): Promise<DeliveryWorker> {
    const w = new DeliveryWorker(o);
    const make = o.senders ?? defaultSender();
    for (const t of o.tenants) {
      for (const c of t.alerting.channels) {
        let secret: string | null = null;
        if (needsSecret(c)) {
          const s = channelSecret(o.home, t.tenantId, c.name, o.env);
          if (s.secret === null) {
            // Not a dead letter: its notifications wait until the secret is there.
            w.problems.push(`tenant ${t.tenantId} channel ${c.name} (${c.kind}) is skipped: ${s.problem}`);
            continue;
          }
          secret = s.secret;
        }
        w.channels.push({ tenantId: t.tenantId, channel: c, sender: make(t.tenantId, c, secret), alerting: t.alerting, busy: null });
      }
    }
    for (const p of w.problems) o.log("warn", p);
    w.state = await w.ledger.states([...new Set(w.channels.map((c) => c.tenantId))]);
    return w;
  }

  /** How many channels will be delivered to. */
  get channelCount(): number {
    return this.channels.length;
  }

  /** Dead letters per tenant (settled DEAD_LETTER pairs, ever), from the table and this run. */
  deadLetters(): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.state.values()) if (s.status === "DEAD_LETTER") out.set(s.tenantId, (out.get(s.tenantId) ?? 0) + 1);
    return out;
  }

  /** Start a cycle unless one is already looking for work; never waits for receivers. */
  kick(): void {
    if (this.closed || this.cycling || this.channels.length === 0) return;
    this.cycling = this.cycle()
      .catch((e) => this.o.log("error", "alert delivery failed to look for work", { error: errorText(e) }))
      .finally(() => {
        this.cycling = null;
      });
  }

  /** One cycle, and wait for every batch it started (tests, the main job's drain). */
  async runOnce(): Promise<void> {
    await this.cycling;
    await this.cycle();
    await this.idle();
  }

  /** Wait until no channel has a batch in flight. */
  async idle(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.busy));
  }

  /**
   * Deliver until nothing is due, waiting for retries that fall due within `maxWaitMs` (the main
   * job's end). What is still pending stays in the table for the next run.
   */
  async drain(maxWaitMs: number): Promise<{ pending: number }> {
    const now = this.o.now ?? (() => new Date());
    const until = now().getTime() + maxWaitMs;
    for (;;) {
      await this.runOnce();
      const next = await this.nextDue();
      if (next === null) return { pending: 0 };
      const wait = next.getTime() - now().getTime();
      if (now().getTime() + Math.max(0, wait) > until) return { pending: this.pendingCount() };
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private pendingCount(): number {
    let n = 0;
    for (const s of this.state.values()) if (s.status === "RETRY") n++;
    return n;
  }

  /** When the earliest RETRY falls due, or null if nothing waits (new work is found by the next cycle). */
  private async nextDue(): Promise<Date | null> {
    let min: Date | null = null;
    for (const s of this.state.values()) {
      if (s.status === "RETRY" && s.nextAttemptAt && (!min || s.nextAttemptAt < min)) min = s.nextAttemptAt;
    }
    return min;
  }

  private async cycle(): Promise<void> {
    const free = this.channels.filter((c) => !c.busy);
    if (free.length === 0) return;
    const now = (this.o.now ?? (() => new Date()))();
    const engineNow = this.o.engine.clock.now();
    const tenants = [...new Set(free.map((c) => c.tenantId))];
    // New notifications within the tenant's max age, and older ones still waiting for a retry.
    const cutoff = (c: LiveChannel) => new Date(engineNow.getTime() - c.alerting.delivery.maxAgeHours * 3_600_000);
    let since = new Date(Math.min(...free.map((c) => cutoff(c).getTime())));
    for (const s of this.state.values()) if (s.status === "RETRY" && s.raisedAt < since) since = s.raisedAt;
    const notes = [...(await this.ledger.alerts(tenants, since)), ...(await this.ledger.monitorEvents(tenants, since))]
      .sort((a, b) => a.raisedAt.getTime() - b.raisedAt.getTime());
    for (const c of free) {
      const limit = this.o.perChannel ?? 10;
      const due: Array<{ n: Notification; attempt: number }> = [];
      for (const n of notes) {
        if (due.length >= limit) break;
        if (n.tenantId !== c.tenantId || !channelTakes(c.channel, n.severity)) continue;
        const s = this.state.get(DeliveryLedger.key(n.key, c.channel.name));
        if (s?.status === "DELIVERED" || s?.status === "DEAD_LETTER") continue;
        if (s?.status === "RETRY" && s.nextAttemptAt && s.nextAttemptAt > now) continue;
        if (!s && n.raisedAt < cutoff(c)) continue;
        due.push({ n, attempt: (s?.attempt ?? 0) + 1 });
      }
      if (due.length === 0) continue;
      c.busy = this.deliver(c, due).finally(() => {
        c.busy = null;
      });
    }
  }

  private async deliver(c: LiveChannel, due: ReadonlyArray<{ n: Notification; attempt: number }>): Promise<void> {
    const t0 = performance.now();
    let outcomes: Outcome[];
    try {
      outcomes = await c.sender.send(due.map((d) => d.n));
    } catch (e) {
      // Senders do not throw; if one does, every notification of the batch is tried again.
      outcomes = due.map(() => ({ ok: false, permanent: false, error: errorText(e) }));
    }
    const now = (this.o.now ?? (() => new Date()))();
    const ms = (performance.now() - t0) / Math.max(1, due.length);
    const p = c.alerting.delivery;
    const rows: DeliveryRow[] = due.map(({ n, attempt }, i) => {
      const o = outcomes[i] ?? { ok: false, permanent: false, error: "the sender gave no outcome" };
      let status: DeliveryStatus = "DELIVERED";
      let next: Date | null = null;
      if (!o.ok) {
        status = o.permanent || attempt >= p.maxAttempts ? "DEAD_LETTER" : "RETRY";
        if (status === "RETRY") next = new Date(now.getTime() + backoffMs(p, attempt, o.retryAfterS));
      }
      return {
        tenantId: c.tenantId, notification: n, idempotencyKey: idempotencyKey(n.key), channel: c.channel.name, channelKind: c.channel.kind,
        attempt, status, error: o.ok ? null : o.error, attemptedAt: now, nextAttemptAt: next, durationMs: ms,
      };
    });
    for (const r of rows) {
      this.state.set(DeliveryLedger.key(r.notification.key, r.channel), { tenantId: r.tenantId, attempt: r.attempt, status: r.status, nextAttemptAt: r.nextAttemptAt, raisedAt: r.notification.raisedAt });
      const k = this.counts.get(r.channelKind) ?? { attempts: 0, delivered: 0, retried: 0, deadLetters: 0 };
      k.attempts++;
      if (r.status === "DELIVERED") k.delivered++;
      else if (r.status === "RETRY") k.retried++;
      else k.deadLetters++;
      this.counts.set(r.channelKind, k);
      if (r.status === "DEAD_LETTER") {
        this.o.log("warn", "alert delivery gave up (dead letter)", { tenant: r.tenantId, channel: r.channel, notification: r.notification.key, attempt: r.attempt, error: r.error });
      }
    }
    try {
      await this.ledger.record(rows);
    } catch (e) {
      // The receivers have it; without the rows a restart sends again (at least once).
      this.o.log("error", "alert deliveries could not be recorded", { error: errorText(e), rows: rows.length });
    }
  }

  /**
   * Stop: no new cycles; wait for the batches in flight (at most `maxWaitMs`, default no bound).
   * A batch still running after that is recorded if it can be and otherwise sent again on the next
   * start: at least once.
   */
  async close(maxWaitMs?: number): Promise<void> {
    this.closed = true;
    const inFlight = (async () => {
      await this.cycling;
      await this.idle();
    })();
    if (maxWaitMs === undefined) await inFlight;
    else {
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([inFlight.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), maxWaitMs)))]);
      clearTimeout(timer);
      if (!waited) this.o.log("warn", "alert deliveries still in flight at stop; they are sent again on the next start", { waitedMs: maxWaitMs });
    }
    for (const c of this.channels) await c.sender.close?.();
    await this.ledger.close();
  }
}
