/**
 * What one attempt to hand a notification to a channel came to, and when to try again.
 */
import type { DeliveryPolicy } from "./alertChannels.ts";
import type { Notification } from "./notification.ts";

export type Outcome =
  | { readonly ok: true; readonly detail?: string }
  /** `permanent`: trying again cannot help (a 4xx, a rejected recipient): dead letter at once. */
  | { readonly ok: false; readonly permanent: boolean; readonly error: string; readonly retryAfterS?: number };

/** A channel kind's sender: one outcome per notification, in order; it never throws. */
export interface ChannelSender {
  send(batch: readonly Notification[]): Promise<Outcome[]>;
  close?(): Promise<void> | void;
}

/**
 * Wait after failed attempt `attempt` (1-based): initialBackoff × 2^(attempt-1), at most maxBackoff,
 * and not before a receiver's Retry-After (also at most maxBackoff). No jitter: the worker spreads
 * its attempts itself (a bounded number per pass), and a fixed schedule is what docs/alerts.md
 * promises operators.
 */
export function backoffMs(p: DeliveryPolicy, attempt: number, retryAfterS?: number): number {
  const exp = Math.min(p.maxBackoffS, p.initialBackoffS * 2 ** Math.max(0, attempt - 1));
  return Math.min(p.maxBackoffS, Math.max(exp, retryAfterS ?? 0)) * 1000;
}

/** Errors recorded in the table and logs: one line, bounded, never a secret (callers pass none in). */
export function errorText(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = `${err.code ? `${err.code}: ` : ""}${err.message ?? String(e)}`;
  return msg.replace(/\s+/g, " ").slice(0, 500);
}
