/**
 * `serve --portal-data`: where the portal reads its pages. `twin` (the default) reads the hub's own
 * engine; `snowflake` reads the tenants' Snowflake account as the production task runs it
 * (infra/aws/portal.ts), with the connection from the environment
 * (pipelines/portal/snowflakePortalData.ts) and each tenant's warehouse of `--portal-workload-class`.
 */
import { UserError } from "../command.ts";
import { PORTAL_DATA, type PortalData } from "../../../pipelines/portal/portalData.ts";
import { DEFAULT_LIVE_INTERVAL_MS, DEFAULT_PORTAL_WORKLOAD_CLASS, portalSnowflakeConfigFromEnv, snowflakePortalData } from "../../../pipelines/portal/snowflakePortalData.ts";
import { numberOption } from "../optionValues.ts";
import { validateSnowflakeConfig } from "../../../pipelines/warehouse/snowflakeWarehouse.ts";

/** As a tenant stack's hub:workloadClasses names them (infra/config.ts). */
const WORKLOAD_CLASS = /^[a-z][a-z0-9]{0,15}$/;

export interface PortalDataFlags {
  readonly mode?: string;
  readonly workloadClass?: string;
  /** `--portal-live-interval`, seconds. */
  readonly liveInterval?: string;
}

/** The portal's data for `snowflake`, undefined for `twin`; a bad flag or variable is a UserError naming it. */
export function portalDataOption(f: PortalDataFlags, env: NodeJS.ProcessEnv = process.env): PortalData | undefined {
  const mode = f.mode ?? "twin";
  if (!(PORTAL_DATA as readonly string[]).includes(mode)) throw new UserError(`--portal-data ${JSON.stringify(mode)} is not one of ${PORTAL_DATA.join(", ")}`);
  if (mode === "twin") {
    if (f.workloadClass !== undefined) throw new UserError("--portal-workload-class only goes with --portal-data snowflake");
    if (f.liveInterval !== undefined) throw new UserError("--portal-live-interval only goes with --portal-data snowflake (the twin's poll costs no warehouse)");
    return undefined;
  }
  // At least the default bi warehouse's auto-suspend (60 s): a shorter bound would keep it awake.
  const liveIntervalMs = f.liveInterval === undefined ? DEFAULT_LIVE_INTERVAL_MS : numberOption("--portal-live-interval", f.liveInterval, { min: 60, max: 86_400, what: "seconds (60 to 86400)" }) * 1000;
  const workloadClass = f.workloadClass ?? DEFAULT_PORTAL_WORKLOAD_CLASS;
  if (!WORKLOAD_CLASS.test(workloadClass)) throw new UserError(`--portal-workload-class ${JSON.stringify(workloadClass)} must be a workload class such as bi (lower-case letters and digits)`);
  try {
    const config = portalSnowflakeConfigFromEnv(env);
    // Every field and the key checked now, at start, rather than at the first page a person opens.
    validateSnowflakeConfig({ ...config, role: "PUBLIC", warehouse: "X" });
    return snowflakePortalData(config, { workloadClass, liveIntervalMs });
  } catch (e) {
    throw new UserError(`--portal-data snowflake: ${(e as Error).message}`);
  }
}
