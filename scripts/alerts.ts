#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * Where a tenant's alerts went (docs/alerts.md): the state of each delivery, the dead letters, a
 * retry of the dead letters, and a test notification to one channel. Reads OPS.ALERT_DELIVERIES in
 * the hub's file (stop `serve` first; while it runs, the same rows are on its SQL endpoint:
 * `scripts/sql.ts "SELECT * FROM OPS.ALERT_DELIVERIES"`).
 */
import { existsSync } from "node:fs";
// The engine (DuckDB) and the senders (nodemailer, the AWS SDK) load once every flag is checked:
// --help and a refused flag answer without them.
import type { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { SimulatedClock } from "../pipelines/engine/clock.ts";
import { explainOpenError, hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";
import { PIPELINE_ROLE } from "../pipelines/definitions/governance.ts";
import { channelSecret } from "../pipelines/alerts/channelSecrets.ts";
import type { Notification } from "../pipelines/alerts/notification.ts";
import type { TenantAlerting } from "../pipelines/alerts/alertChannels.ts";
import { runCommand, UserError } from "./lib/command.ts";
import { PROJECT_DIR, tenantOption } from "./lib/optionValues.ts";
import { readTenantStack } from "./lib/hub/tenantTwin.ts";
import { textTable } from "./lib/textTable.ts";
import { didYouMean } from "./lib/didYouMean.ts";

const COMMANDS = ["deliveries", "dead-letters", "retry", "test-channel"] as const;
// A requeued dead letter has a RETRY row with the same attempt number, written later.
const LATEST = "QUALIFY ROW_NUMBER() OVER (PARTITION BY tenant_id, notification_key, channel ORDER BY attempt DESC, attempted_at DESC) = 1";

async function openFile(home: string): Promise<EmbeddedEngine> {
  const path = hubDatabasePath(home);
  if (!existsSync(path)) throw new UserError(`there is no hub at ${path}; run \`npm start\` first or pass --home`);
  const { EmbeddedEngine } = await import("../pipelines/engine/embeddedEngine.ts");
  try {
    return await EmbeddedEngine.open({ path, clock: new SimulatedClock() });
  } catch (e) {
    throw new UserError(explainOpenError(path, e).message);
  }
}

await runCommand({
  name: "alerts",
  description: "alert deliveries per tenant (OPS.ALERT_DELIVERIES): their state, the dead letters, a retry of the dead letters, a test notification to a channel",
  usage: "scripts/alerts.ts deliveries|dead-letters|retry|test-channel --tenant T [--channel C] [--limit N] [--home DIR]",
  options: {
    tenant: { type: "string", description: "tenant (a Pulumi.<tenant>.yaml stack)" },
    channel: { type: "string", description: "one channel of the tenant's alerts:channels (test-channel: required; retry: only this channel's)" },
    limit: { type: "string", description: "rows to show, newest first", default: "50" },
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
    json: { type: "boolean", description: "print JSON instead of a table" },
  },
  examples: [
    "scripts/alerts.ts deliveries --tenant acme",
    "scripts/alerts.ts dead-letters --tenant acme",
    "scripts/alerts.ts retry --tenant acme --channel ops-hook   # one more attempt for each dead letter, at the next delivery",
    "scripts/alerts.ts test-channel --tenant acme --channel ops-hook",
  ],
  run: async ({ options, positionals }) => {
    const cmd = positionals[0] as (typeof COMMANDS)[number] | undefined;
    if (!cmd || !COMMANDS.includes(cmd) || positionals.length > 1) {
      throw new UserError(`${cmd === undefined ? "a command is needed" : `unknown command ${JSON.stringify(positionals.join(" "))}${didYouMean(positionals[0]!, COMMANDS)}`}; commands: ${COMMANDS.join(", ")}`);
    }
    if (options.tenant === undefined) throw new UserError(`${cmd} needs --tenant T`);
    const tenant = tenantOption("--tenant", options.tenant);
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UserError(`--limit: ${JSON.stringify(options.limit)} is not an integer from 1 to 100000`);
    let alerting: TenantAlerting;
    try {
      alerting = readTenantStack(PROJECT_DIR, tenant).alerting;
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const channels = alerting.channels;
    const channel = options.channel === undefined ? undefined : channels.find((c) => c.name === options.channel);
    if (options.channel !== undefined && !channel) {
      throw new UserError(`--channel ${JSON.stringify(options.channel)} is not a channel of tenant ${tenant} (${channels.map((c) => c.name).join(", ") || "it has none: alerts:channels in its stack file"})`);
    }
    const print = (rows: Record<string, unknown>[]) => console.log(options.json ? JSON.stringify(rows, null, 2) : textTable(rows));

    if (cmd === "test-channel") {
      if (!channel) throw new UserError("test-channel needs --channel C");
      const home = hubHome(options.home);
      const needs = channel.kind === "webhook" || (channel.kind === "email" && channel.smtp.user !== null);
      const s = needs ? channelSecret(home, tenant, channel.name) : { secret: null };
      if (needs && s.secret === null) throw new UserError(`channel ${channel.name}: ${"problem" in s ? s.problem : "no secret"}`);
      const now = new Date();
      const test: Notification = {
        tenantId: tenant, source: "ALERT", key: `test/${tenant}/${channel.name}/${now.toISOString()}`, severity: "INFO", raisedAt: now,
        title: `test notification for channel ${channel.name}`, message: `A test from scripts/alerts.ts test-channel: channel ${channel.name} (${channel.kind}) of tenant ${tenant} works.`, fields: {},
      };
      const { defaultSender } = await import("../pipelines/alerts/deliveryWorker.ts");
      const sender = defaultSender()(tenant, channel, s.secret);
      try {
        const [o] = await sender.send([test]);
        if (!o || !o.ok) throw new UserError(`channel ${channel.name} (${channel.kind}): ${o ? `${o.error}${o.permanent ? " (permanent: a retry would not help)" : " (temporary: a retry might)"}` : "no outcome"}`);
        console.log(`channel ${channel.name} (${channel.kind}) took the test notification${o.detail ? `: ${o.detail}` : ""}; nothing was recorded`);
      } finally {
        await sender.close?.();
      }
      return;
    }

    const engine = await openFile(hubHome(options.home));
    try {
      const s = await engine.session({ role: PIPELINE_ROLE });
      try {
        const chan = channel ? " AND channel = ?" : "";
        const binds = channel ? [tenant, channel.name] : [tenant];
        if (cmd === "deliveries") {
          print(await s.query(
            `SELECT notification_key, channel, channel_kind, severity, attempt, status, error, attempted_at, next_attempt_at FROM OPS.ALERT_DELIVERIES
             WHERE tenant_id = ?${chan} ${LATEST} ORDER BY attempted_at DESC, notification_key LIMIT ${limit}`,
            { binds },
          ));
          return;
        }
        const dead = await s.query<Record<string, unknown> & { notification_key: string; channel: string; attempt: number | bigint }>(
          `SELECT * FROM OPS.ALERT_DELIVERIES WHERE tenant_id = ?${chan} ${LATEST} AND status = 'DEAD_LETTER' ORDER BY attempted_at DESC LIMIT ${limit}`,
          { binds },
        );
        if (cmd === "dead-letters") {
          print(dead.map((d) => ({ notification_key: d.notification_key, channel: d.channel, channel_kind: d["channel_kind"], attempts: Number(d.attempt), last_error: d["error"], given_up_at: d["attempted_at"] })));
          return;
        }
        // retry: a RETRY row due now after each dead letter; the delivery worker (serve, or the end
        // of npm start) makes one more attempt, and dead-letters it again if that fails too.
        if (dead.length === 0) {
          console.log(`no dead letters for tenant ${tenant}${channel ? ` on channel ${channel.name}` : ""}`);
          return;
        }
        const now = new Date().toISOString().replace("T", " ").replace("Z", "");
        for (const d of dead) {
          await s.execute(
            `INSERT INTO OPS.ALERT_DELIVERIES (tenant_id, notification_key, idempotency_key, source, severity, raised_at, channel, channel_kind, attempt, status, error, attempted_at, next_attempt_at, duration_ms)
             VALUES (?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, 'RETRY', 'requeued by scripts/alerts.ts retry', CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), 0)`,
            {
              binds: [
                tenant, d.notification_key, d["idempotency_key"] as string, d["source"] as string, d["severity"] as string | null,
                (d["raised_at"] as Date).toISOString().replace("T", " ").replace("Z", ""), d.channel, d["channel_kind"] as string, Number(d.attempt), now, now,
              ],
            },
          );
        }
        console.log(`${dead.length} dead letter(s) of tenant ${tenant} requeued: the next delivery (serve, or the end of npm start) tries each once more`);
      } finally {
        await s.close();
      }
    } finally {
      await engine.close();
    }
  },
});
