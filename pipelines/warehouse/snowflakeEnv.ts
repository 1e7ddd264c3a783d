/**
 * Snowflake connection settings from the environment, for scripts run with `--target snowflake`.
 * The private key comes either from a file (SNOWFLAKE_PRIVATE_KEY_PATH), so it never sits in the
 * shell history or the process list, or as PEM text in HUB_SNOWFLAKE_PRIVATE_KEY: what ECS injects
 * from Secrets Manager into a task (the scheduled `cost-report --publish-tenant-costs`,
 * infra/aws/costPublishSchedule.ts), whose root file system is read-only. SNOWFLAKE_ACCESS_URL
 * (optional) overrides the URL derived from the account: PrivateLink, or `npm run serve`'s endpoint.
 */
import { readFileSync } from "node:fs";
import type { SnowflakeConfig } from "./snowflakeWarehouse.ts";

const REQUIRED = ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE", "SNOWFLAKE_DATABASE"] as const;

export function snowflakeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SnowflakeConfig {
  const missing: string[] = REQUIRED.filter((k) => !env[k]);
  const inline = env.HUB_SNOWFLAKE_PRIVATE_KEY;
  const path = env.SNOWFLAKE_PRIVATE_KEY_PATH;
  if (!inline && !path) missing.push("SNOWFLAKE_PRIVATE_KEY_PATH");
  if (missing.length) throw new Error(`--target snowflake needs ${missing.join(", ")} in the environment (the private key as a PEM file path, or as PEM text in HUB_SNOWFLAKE_PRIVATE_KEY)`);
  const privateKey = snowflakePrivateKeyFromEnv(env);
  return {
    account: env.SNOWFLAKE_ACCOUNT!,
    username: env.SNOWFLAKE_USER!,
    role: env.SNOWFLAKE_ROLE!,
    warehouse: env.SNOWFLAKE_WAREHOUSE!,
    database: env.SNOWFLAKE_DATABASE!,
    privateKey,
    privateKeyPassphrase: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE,
    // PrivateLink (https://<account>.privatelink.snowflakecomputing.com), or a served local hub.
    ...(env.SNOWFLAKE_ACCESS_URL ? { accessUrl: env.SNOWFLAKE_ACCESS_URL } : {}),
  };
}

/**
 * The private key, from exactly one of HUB_SNOWFLAKE_PRIVATE_KEY (PEM text) and
 * SNOWFLAKE_PRIVATE_KEY_PATH (a PEM file), for a caller that has checked one is set (each names what
 * it needs its own way). Errors name the variable, never the key.
 */
export function snowflakePrivateKeyFromEnv(env: NodeJS.ProcessEnv): string {
  const inline = env.HUB_SNOWFLAKE_PRIVATE_KEY;
  const path = env.SNOWFLAKE_PRIVATE_KEY_PATH;
  // Two sources of one key: refuse rather than guess which one the operator meant.
  if (inline && path) throw new Error("set one of HUB_SNOWFLAKE_PRIVATE_KEY and SNOWFLAKE_PRIVATE_KEY_PATH, not both");
  if (inline) return inline;
  try {
    return readFileSync(path!, "utf8");
  } catch (e) {
    throw new Error(`SNOWFLAKE_PRIVATE_KEY_PATH ${JSON.stringify(path)} cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
}
