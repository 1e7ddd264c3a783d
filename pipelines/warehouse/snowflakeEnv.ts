/**
 * Snowflake connection settings from the environment, for scripts run with `--target snowflake`.
 * The private key comes from a file (SNOWFLAKE_PRIVATE_KEY_PATH) so it never sits in the shell
 * history or the process list. SNOWFLAKE_ACCESS_URL (optional) overrides the URL derived from the
 * account: PrivateLink, or `npm run serve`'s endpoint.
 */
import { readFileSync } from "node:fs";
import type { SnowflakeConfig } from "./snowflakeWarehouse.ts";

const REQUIRED = ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE", "SNOWFLAKE_DATABASE", "SNOWFLAKE_PRIVATE_KEY_PATH"] as const;

export function snowflakeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SnowflakeConfig {
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length) throw new Error(`--target snowflake needs ${missing.join(", ")} in the environment (the private key as a PEM file path)`);
  let privateKey: string;
  try {
    privateKey = readFileSync(env.SNOWFLAKE_PRIVATE_KEY_PATH!, "utf8");
  } catch (e) {
    throw new Error(`SNOWFLAKE_PRIVATE_KEY_PATH ${JSON.stringify(env.SNOWFLAKE_PRIVATE_KEY_PATH)} cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
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
