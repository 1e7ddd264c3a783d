/**
 * Live updates for the portal: server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * While a tenant has listeners, one poller per tenant reads the tenant's data watermark every
 * `pollMs` (a handful of MAX/COUNT over its views, through its own role) and pushes `update` to
 * each listener when it changed, so a page refetches only after the pipeline committed something it
 * shows. A listener costs no query of its own, and a user may hold only a few streams at once.
 */
import type { ServerResponse } from "node:http";

export interface EventsOptions {
  /** The tenant's watermark; a different answer means new data. */
  readonly watermark: (tenant: string) => Promise<string>;
  /** Default 1000 ms. */
  readonly pollMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream; default 15 s. */
  readonly heartbeatMs?: number;
  /** Streams one user may hold; default 4 (a few tabs). */
  readonly perUser?: number;
  readonly log: (level: "warn" | "debug", msg: string, fields?: Record<string, unknown>) => void;
}

interface Listener {
  readonly res: ServerResponse;
  readonly user: string;
}

interface TenantPoll {
  readonly listeners: Set<Listener>;
  last: string | null;
  timer: NodeJS.Timeout | null;
  polling: boolean;
}

export class PortalEvents {
  private readonly tenants = new Map<string, TenantPoll>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly o: EventsOptions) {
    this.heartbeat = setInterval(() => {
      for (const t of this.tenants.values()) for (const l of t.listeners) l.res.write(": keep-alive\n\n");
    }, o.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Streams open now for `user`. */
  countFor(user: string): number {
    let n = 0;
    for (const t of this.tenants.values()) for (const l of t.listeners) if (l.user === user) n++;
    return n;
  }

  get perUser(): number {
    return this.o.perUser ?? 4;
  }

  /** Start an event stream on `res` (the caller checked the session and the per-user bound). */
  open(tenant: string, user: string, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      // A proxy that buffers would hold the events back (nginx honours this header).
      "x-accel-buffering": "no",
    });
    // The client waits this long before reconnecting after a drop.
    res.write("retry: 2000\n\n");
    let t = this.tenants.get(tenant);
    if (!t) this.tenants.set(tenant, (t = { listeners: new Set(), last: null, timer: null, polling: false }));
    const l: Listener = { res, user };
    t.listeners.add(l);
    const poll = t;
    res.on("close", () => {
      poll.listeners.delete(l);
      if (poll.listeners.size === 0) {
        if (poll.timer) clearTimeout(poll.timer);
        this.tenants.delete(tenant);
      }
    });
    if (t.last !== null) res.write(`event: update\ndata: ${JSON.stringify({ watermark: t.last })}\n\n`);
    if (!t.timer && !t.polling) this.schedule(tenant, t, 0);
  }

  private schedule(tenant: string, t: TenantPoll, ms: number): void {
    t.timer = setTimeout(() => void this.poll(tenant, t), ms);
  }

  private async poll(tenant: string, t: TenantPoll): Promise<void> {
    t.timer = null;
    if (t.listeners.size === 0) return;
    t.polling = true;
    try {
      const w = await this.o.watermark(tenant);
      if (w !== t.last) {
        t.last = w;
        // The page compares it with the watermark its data came with and refetches if they differ,
        // so a commit between the page's fetch and the stream's first poll is not missed.
        for (const l of t.listeners) l.res.write(`event: update\ndata: ${JSON.stringify({ watermark: w })}\n\n`);
      }
    } catch (e) {
      this.o.log("warn", "portal watermark failed", { tenant, error: (e as Error).message });
    } finally {
      t.polling = false;
    }
    if (t.listeners.size > 0 && this.tenants.get(tenant) === t) this.schedule(tenant, t, this.o.pollMs ?? 1000);
  }

  /** End every stream (serve is stopping). */
  close(): void {
    clearInterval(this.heartbeat);
    for (const t of this.tenants.values()) {
      if (t.timer) clearTimeout(t.timer);
      for (const l of t.listeners) l.res.end();
    }
    this.tenants.clear();
  }
}
