/**
 * A channel's secret (a webhook's signing secret, an SMTP password): never in the stack file, which
 * is committed, and never logged. Looked up in this order:
 *   1. the environment variable `HUB_ALERT_SECRET_<TENANT>_<CHANNEL>` (upper case, dashes as
 *      underscores), for deployments that inject secrets as variables;
 *   2. the file `<HUB_HOME>/secrets/alerts/<tenant>.<channel>`, which must be the owner's alone
 *      (mode 0600 or stricter, as ssh demands of a private key): a file others may read is refused.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export function secretEnvName(tenant: string, channel: string): string {
  return `HUB_ALERT_SECRET_${tenant}_${channel}`.toUpperCase().replaceAll("-", "_");
}

export function secretFilePath(home: string, tenant: string, channel: string): string {
  return join(home, "secrets", "alerts", `${tenant}.${channel}`);
}

export type SecretLookup = { readonly secret: string; readonly from: string } | { readonly secret: null; readonly problem: string };

/** The channel's secret, or why there is none usable (the message names where to put it, never a value). */
export function channelSecret(home: string, tenant: string, channel: string, env: NodeJS.ProcessEnv = process.env): SecretLookup {
  const name = secretEnvName(tenant, channel);
  const fromEnv = env[name];
  if (fromEnv !== undefined && fromEnv !== "") return { secret: fromEnv, from: `$${name}` };
  const path = secretFilePath(home, tenant, channel);
  if (!existsSync(path)) return { secret: null, problem: `no secret: set $${name} or write it to ${path} (mode 0600)` };
  const st = statSync(path);
  if (!st.isFile()) return { secret: null, problem: `${path} is not a file` };
  // Group or others may read or write it: refused, as ssh refuses a readable private key.
  if ((st.mode & 0o077) !== 0) return { secret: null, problem: `${path} has mode ${(st.mode & 0o777).toString(8)}: others may read it; chmod 600 it` };
  const secret = readFileSync(path, "utf8").replace(/\r?\n$/, "");
  if (!secret) return { secret: null, problem: `${path} is empty` };
  return { secret, from: path };
}
