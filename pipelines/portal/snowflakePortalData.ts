/**
 * The portal's data on Snowflake (`serve --portal-data snowflake`, as the production task runs it):
 * one snowflake-sdk connection per tenant as the portal's service user with the tenant's role on
 * the tenant's warehouse of the portal's workload class, and one as HUB_PORTAL for the
 * acknowledgements. Key-pair auth; the key comes from the environment, where ECS puts the secret.
 *
 * What the portal's user must hold (docs/portal.md, "Production"): every served tenant's role
 * (granted by each tenant stack), which brings USAGE on that tenant's warehouses and SELECT on its
 * grants, and HUB_PORTAL (the platform stack), for the one INSERT.
 */
import { snowflakePrivateKeyFromEnv } from "../warehouse/snowflakeEnv.ts";
import { connectSnowflake, type SnowflakeConfig } from "../warehouse/snowflakeWarehouse.ts";
import { snowflakeDialect } from "../dialect/index.ts";
import { tenantWarehouseName } from "../definitions/governance.ts";
import { PORTAL_ROLE, PORTAL_WAREHOUSE } from "../definitions/grants.ts";
import type { PortalData } from "./portalData.ts";

/** The connection without a role or warehouse: the portal picks them per tenant. */
export type PortalSnowflakeConfig = Omit<SnowflakeConfig, "role" | "warehouse">;

/** The workload class whose warehouse the portal's reads run on (every tier has `bi` by default). */
export const DEFAULT_PORTAL_WORKLOAD_CLASS = "bi";

/**
 * The least time between two warehouse reads of one tenant's watermark by the live stream: five
 * auto-suspend periods of the tenants' default `bi` warehouse (60 s), so a watched tenant's
 * warehouse sleeps most of the time (docs/portal.md gives the credits this costs).
 */
export const DEFAULT_LIVE_INTERVAL_MS = 300_000;

export function snowflakePortalData(config: PortalSnowflakeConfig, o: { workloadClass?: string; liveIntervalMs?: number } = {}): PortalData {
  const workloadClass = o.workloadClass ?? DEFAULT_PORTAL_WORKLOAD_CLASS;
  return {
    target: "snowflake",
    dialect: snowflakeDialect,
    live: { minWarehouseMs: o.liveIntervalMs ?? DEFAULT_LIVE_INTERVAL_MS },
    tenantSession: (tenant, role) =>
      connectSnowflake({ ...config, role, warehouse: tenantWarehouseName(tenant, workloadClass), defaultTag: { tenant, job: "portal" } }),
    writerSession: () => connectSnowflake({ ...config, role: PORTAL_ROLE, warehouse: PORTAL_WAREHOUSE, defaultTag: { job: "portal-ack" } }),
  };
}

const REQUIRED = ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_DATABASE"] as const;

/**
 * The portal's connection from the environment: SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER,
 * SNOWFLAKE_DATABASE, SNOWFLAKE_ACCESS_URL (optional: PrivateLink), and the private key either as
 * PEM text in HUB_SNOWFLAKE_PRIVATE_KEY (what ECS injects from Secrets Manager) or as a file in
 * SNOWFLAKE_PRIVATE_KEY_PATH, with SNOWFLAKE_PRIVATE_KEY_PASSPHRASE if it is encrypted. Errors name
 * the variable, never the key.
 */
export function portalSnowflakeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PortalSnowflakeConfig {
  const missing: string[] = REQUIRED.filter((k) => !env[k]);
  const inline = env.HUB_SNOWFLAKE_PRIVATE_KEY;
  const path = env.SNOWFLAKE_PRIVATE_KEY_PATH;
  if (!inline && !path) missing.push("HUB_SNOWFLAKE_PRIVATE_KEY (PEM text) or SNOWFLAKE_PRIVATE_KEY_PATH (a PEM file)");
  if (missing.length) throw new Error(`the portal's Snowflake connection needs ${missing.join(", ")} in the environment`);
  const privateKey = snowflakePrivateKeyFromEnv(env);
  return {
    account: env.SNOWFLAKE_ACCOUNT!,
    username: env.SNOWFLAKE_USER!,
    database: env.SNOWFLAKE_DATABASE!,
    privateKey,
    privateKeyPassphrase: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE,
    ...(env.SNOWFLAKE_ACCESS_URL ? { accessUrl: env.SNOWFLAKE_ACCESS_URL } : {}),
  };
}
