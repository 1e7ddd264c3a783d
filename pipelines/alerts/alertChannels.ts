/**
 * A tenant's alert channels: where its alerts and resource-monitor notifications are delivered
 * (docs/alerts.md). They live in the tenant's stack file, `Pulumi.<tenant>.yaml`, beside the rest of
 * what describes the tenant, under keys of their own `alerts` namespace:
 *
 *   config:
 *     alerts:channels:
 *       - { name: ops-hook, kind: webhook, url: https://hooks.acme.example/hub }
 *       - { name: managers, kind: email, to: [ops@acme.example], from: hub@acme.example,
 *           smtp: { host: smtp.acme.example, port: 587, user: hub } }
 *     alerts:delivery: { maxAttempts: 6, initialBackoffS: 30, maxBackoffS: 3600, maxAgeHours: 24 }
 *     alerts:topicSubscribers: [oncall@acme.example]      # production: SNS email subscriptions
 *
 * The stack file is the one per-tenant config file the hub and `pulumi up` both read, and it is
 * committed: so it holds no secret. A channel's secret (webhook signing secret, SMTP password) is
 * an environment variable or a 0600 file under HUB_HOME (channelSecrets.ts).
 *
 * Pure and strict (an allowlist): an unknown key, a bad URL, address or port is an error that names
 * the field and its value. The Pulumi program (SNS subscriptions) and the delivery worker parse the
 * same keys with this module.
 */
import { isIP } from "node:net";

export class AlertConfigError extends Error {
  override readonly name = "AlertConfigError";
  constructor(
    readonly field: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`${field}: ${JSON.stringify(value)} is not valid: ${expected}`);
  }
}

export const SEVERITIES = ["INFO", "WARNING", "CRITICAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

interface ChannelBase {
  /** Unique within the tenant; names its rows in OPS.ALERT_DELIVERIES and its secret. */
  readonly name: string;
  /** Deliver only notifications at least this severe; default INFO (all). */
  readonly minSeverity: Severity;
}

export interface WebhookChannel extends ChannelBase {
  readonly kind: "webhook";
  /** https://..., or http:// to a loopback address only (a receiver on this machine). */
  readonly url: string;
  /** Per attempt; default 5000 ms. */
  readonly timeoutMs: number;
}

/** How the SMTP connection is secured: STARTTLS required, TLS from the first byte, or plain (loopback only). */
export const SMTP_TLS = ["starttls", "implicit", "none"] as const;

export interface EmailChannel extends ChannelBase {
  readonly kind: "email";
  readonly to: readonly string[];
  readonly from: string;
  readonly smtp: {
    readonly host: string;
    readonly port: number;
    /** Default: implicit on port 465, starttls elsewhere. `none` only to a loopback host. */
    readonly tls: (typeof SMTP_TLS)[number];
    /** SMTP AUTH user; its password is the channel's secret. None: no AUTH. */
    readonly user: string | null;
  };
  /** Per attempt (connection, greeting and each command); default 10000 ms. */
  readonly timeoutMs: number;
}

export interface SnsChannel extends ChannelBase {
  readonly kind: "sns";
  /** The tenant's topic (the tenant stack's `alertTopicArn` output). */
  readonly topicArn: string;
}

export interface EventBridgeChannel extends ChannelBase {
  readonly kind: "eventbridge";
  /** The bus the tenant's critical-alert rule listens on; default `default`. */
  readonly busName: string;
  /** Default: the SDK's (AWS_REGION). */
  readonly region: string | null;
}

export type AlertChannel = WebhookChannel | EmailChannel | SnsChannel | EventBridgeChannel;
export const CHANNEL_KINDS = ["webhook", "email", "sns", "eventbridge"] as const;

export interface DeliveryPolicy {
  /** Attempts per notification and channel before its dead letter; default 6. */
  readonly maxAttempts: number;
  /** Wait before the 2nd attempt, doubled each time after; default 30 s. */
  readonly initialBackoffS: number;
  /** Longest wait between attempts; default 3600 s. */
  readonly maxBackoffS: number;
  /** Notifications raised longer ago than this are not sent to a channel that never tried them (a new channel does not replay history); default 24 h. */
  readonly maxAgeHours: number;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = { maxAttempts: 6, initialBackoffS: 30, maxBackoffS: 3600, maxAgeHours: 24 };

export interface TenantAlerting {
  readonly channels: readonly AlertChannel[];
  readonly delivery: DeliveryPolicy;
  /** Production: email addresses subscribed to the tenant's SNS topic (critical alerts, through EventBridge). */
  readonly topicSubscribers: readonly string[];
}

/** The `alerts:*` keys of a stack file. */
export const ALERT_KEYS = ["alerts:channels", "alerts:delivery", "alerts:topicSubscribers"] as const;

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
// RFC 5321 mailbox, conservatively: no quoting, no comments, no display names, a dotted domain.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (name: 1..256 of A-Za-z0-9_-, .fifo allowed)
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,251}(\.fifo)?$/;
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html (EventBusName: name or ARN)
const BUS = /^([\w.\-/]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256})$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Is `host` (a URL's hostname, brackets stripped) this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return isIP(h) === 6 && (h === "::1" || h === "0:0:0:0:0:0:0:1");
}

type Obj = Record<string, unknown>;

function object(v: unknown, field: string): Obj {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new AlertConfigError(field, v, "a mapping");
  return v as Obj;
}

/** The allowlist: any key not in `known` is an error naming it. */
function onlyKeys(o: Obj, known: readonly string[], field: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new AlertConfigError(`${field}.${k}`, o[k], `not a known key (known: ${known.join(", ")})`);
  }
}

function text(o: Obj, k: string, field: string, re: RegExp, what: string, fallback?: string): string {
  const v = o[k];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "string" || !re.test(v)) throw new AlertConfigError(`${field}.${k}`, v ?? null, what);
  return v;
}

function int(o: Obj, k: string, field: string, min: number, max: number, fallback: number): number {
  const v = o[k];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new AlertConfigError(`${field}.${k}`, v, `an integer from ${min} to ${max}`);
  return v;
}

function severity(o: Obj, field: string): Severity {
  const v = o.minSeverity ?? "INFO";
  if (!SEVERITIES.includes(v as Severity)) throw new AlertConfigError(`${field}.minSeverity`, v, `one of ${SEVERITIES.join(", ")}`);
  return v as Severity;
}

function emails(v: unknown, field: string): string[] {
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) throw new AlertConfigError(field, v ?? null, "an email address or a non-empty list of them");
  list.forEach((a, i) => {
    if (typeof a !== "string" || !EMAIL.test(a)) throw new AlertConfigError(`${field}[${i}]`, a, "an email address such as ops@example.com");
  });
  return list as string[];
}

function webhookUrl(v: unknown, field: string): string {
  let u: URL;
  try {
    if (typeof v !== "string") throw new Error();
    u = new URL(v);
  } catch {
    throw new AlertConfigError(field, v ?? null, "an absolute https:// URL");
  }
  if (u.username || u.password) throw new AlertConfigError(field, `${u.protocol}//***@${u.host}${u.pathname}`, "a URL without credentials (the signing secret authenticates the hub)");
  if (u.hash) throw new AlertConfigError(field, v, "a URL without a #fragment");
  if (u.protocol === "https:") return u.toString();
  if (u.protocol === "http:" && isLoopbackHost(u.hostname)) return u.toString();
  if (u.protocol === "http:") throw new AlertConfigError(field, v, "https:// (plain http:// only to a loopback address such as 127.0.0.1)");
  throw new AlertConfigError(field, v, "an https:// URL");
}

function parseChannel(v: unknown, field: string): AlertChannel {
  const o = object(v, field);
  const kind = o.kind;
  if (!CHANNEL_KINDS.includes(kind as AlertChannel["kind"])) throw new AlertConfigError(`${field}.kind`, kind ?? null, `one of ${CHANNEL_KINDS.join(", ")}`);
  const name = text(o, "name", field, NAME, "lower-case letters, digits and dashes, at most 32, starting with a letter");
  const base = { name, minSeverity: severity(o, field) };
  switch (kind as AlertChannel["kind"]) {
    case "webhook":
      onlyKeys(o, ["name", "kind", "minSeverity", "url", "timeoutMs"], field);
      return { ...base, kind: "webhook", url: webhookUrl(o.url, `${field}.url`), timeoutMs: int(o, "timeoutMs", field, 100, 60_000, 5000) };
    case "email": {
      onlyKeys(o, ["name", "kind", "minSeverity", "to", "from", "smtp", "timeoutMs"], field);
      const smtp = object(o.smtp, `${field}.smtp`);
      onlyKeys(smtp, ["host", "port", "tls", "user"], `${field}.smtp`);
      const host = text(smtp, "host", `${field}.smtp`, HOSTNAME, "a host name or IPv4 address");
      const port = int(smtp, "port", `${field}.smtp`, 1, 65_535, 587);
      const tls = smtp.tls === undefined ? (port === 465 ? "implicit" : "starttls") : smtp.tls;
      if (!SMTP_TLS.includes(tls as (typeof SMTP_TLS)[number])) throw new AlertConfigError(`${field}.smtp.tls`, tls, `one of ${SMTP_TLS.join(", ")}`);
      // Mail and a password in the clear cross only this machine.
      if (tls === "none" && !isLoopbackHost(host)) throw new AlertConfigError(`${field}.smtp.tls`, tls, `starttls or implicit: "none" only to a loopback host, and ${host} is not one`);
      const user = smtp.user === undefined ? null : text(smtp, "user", `${field}.smtp`, /^[^\s:]{1,256}$/, "an SMTP user name without spaces or colons");
      return {
        ...base, kind: "email", to: emails(o.to, `${field}.to`), from: text(o, "from", field, EMAIL, "one email address such as hub@example.com"),
        smtp: { host, port, tls: tls as (typeof SMTP_TLS)[number], user }, timeoutMs: int(o, "timeoutMs", field, 100, 120_000, 10_000),
      };
    }
    case "sns":
      onlyKeys(o, ["name", "kind", "minSeverity", "topicArn"], field);
      return { ...base, kind: "sns", topicArn: text(o, "topicArn", field, TOPIC_ARN, "an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>") };
    case "eventbridge":
      onlyKeys(o, ["name", "kind", "minSeverity", "busName", "region"], field);
      return {
        ...base, kind: "eventbridge", busName: text(o, "busName", field, BUS, "an event bus name or ARN", "default"),
        region: o.region === undefined ? null : text(o, "region", field, REGION, "an AWS region such as eu-west-1"),
      };
  }
}

/**
 * Parse a tenant's `alerts:*` keys as the stack file holds them (YAML already loaded: mappings,
 * lists, numbers). No key at all: no channels, which is not an error.
 */
export function parseTenantAlerting(config: Readonly<Record<string, unknown>>, where = "alerts"): TenantAlerting {
  for (const k of Object.keys(config)) {
    if (k.startsWith("alerts:") && !(ALERT_KEYS as readonly string[]).includes(k)) {
      throw new AlertConfigError(`${where} ${k}`, config[k], `not an alerts key (known: ${ALERT_KEYS.join(", ")})`);
    }
  }
  const rawChannels = config["alerts:channels"] ?? [];
  if (!Array.isArray(rawChannels)) throw new AlertConfigError(`${where} alerts:channels`, rawChannels, "a list of channels");
  const channels = rawChannels.map((c, i) => parseChannel(c, `${where} alerts:channels[${i}]`));
  const seen = new Set<string>();
  channels.forEach((c, i) => {
    if (seen.has(c.name)) throw new AlertConfigError(`${where} alerts:channels[${i}].name`, c.name, "a name no other channel of the tenant has");
    seen.add(c.name);
  });
  const d = config["alerts:delivery"] === undefined ? {} : object(config["alerts:delivery"], `${where} alerts:delivery`);
  const df = `${where} alerts:delivery`;
  onlyKeys(d, Object.keys(DEFAULT_DELIVERY), df);
  const initialBackoffS = int(d, "initialBackoffS", df, 1, 86_400, DEFAULT_DELIVERY.initialBackoffS);
  const delivery: DeliveryPolicy = {
    maxAttempts: int(d, "maxAttempts", df, 1, 20, DEFAULT_DELIVERY.maxAttempts),
    initialBackoffS,
    maxBackoffS: int(d, "maxBackoffS", df, initialBackoffS, 86_400, Math.max(initialBackoffS, DEFAULT_DELIVERY.maxBackoffS)),
    maxAgeHours: int(d, "maxAgeHours", df, 1, 24 * 30, DEFAULT_DELIVERY.maxAgeHours),
  };
  const subs = config["alerts:topicSubscribers"];
  const topicSubscribers = subs === undefined ? [] : emails(subs, `${where} alerts:topicSubscribers`);
  return { channels, delivery, topicSubscribers };
}

/** Does a channel take a notification of this severity (null severity: taken only by INFO channels). */
export function channelTakes(c: AlertChannel, s: string | null): boolean {
  const rank = (x: string | null) => SEVERITIES.indexOf((x ?? "INFO") as Severity);
  return rank(s) >= rank(c.minSeverity);
}
