/**
 * Names and tags the stacks agree on (pure: the components, the policy pack and the scripts use the
 * same functions, so a name is computed in one place).
 */
import { tenantObjectPrefix, tenantRoleName } from "../pipelines/definitions/governance.ts";

/** Tag keys on every taggable AWS resource; the policy pack requires both. */
export const TENANT_TAG_KEY = "tenant";
export const COST_CENTER_TAG_KEY = "cost-center";
/** Value of the tenant tag on platform (shared) resources. */
export const SHARED_TENANT = "shared";

export function awsTags(tenant: string, costCenter: string): Record<string, string> {
  return { [TENANT_TAG_KEY]: tenant, [COST_CENTER_TAG_KEY]: costCenter, "managed-by": "pulumi" };
}

/** One warehouse per tenant and workload class (the name is the definitions', which the portal reads on). */
export { tenantWarehouseName } from "../pipelines/definitions/governance.ts";

export function tenantMonitorName(tenantId: string, workloadClass: string): string {
  return `${tenantObjectPrefix(tenantId)}${workloadClass.toUpperCase()}_MONITOR`;
}

export function tenantServiceUserName(tenantId: string): string {
  return `${tenantObjectPrefix(tenantId)}SVC`;
}

/** The operator portal's Snowflake user (platform stack); tenant stacks with hub:portalAccess grant it their role. */
export const PORTAL_SNOWFLAKE_USER = "HUB_PORTAL_SVC";

/** The Snowflake user of the hourly cost publish (platform stack, with hub:portalReportingKeySecretArn): role HUB_REPORTING, key-pair only. */
export const REPORTING_SNOWFLAKE_USER = "HUB_REPORTING_SVC";

/** Premium tenants get a schema of their own for their own objects. */
export function tenantSchemaName(tenantId: string): string {
  return tenantObjectPrefix(tenantId).slice(0, -1);
}

/** The archive's key layout is `tenant=<id>/year=/month=/day=` (ARCHITECTURE.md). */
export function archivePrefix(tenantId: string): string {
  tenantRoleName(tenantId);
  return `tenant=${tenantId}/`;
}

/** Where Firehose writes the records Snowflake refused (the S3 backup). */
export const FIREHOSE_BACKUP_PREFIX = "firehose-backup/";
export const MODEL_ARTIFACT_PREFIX = "models/";

export function modelPackageGroupName(tenantId: string, model: string): string {
  tenantRoleName(tenantId);
  return `hub-${tenantId}-${model}`;
}

/** The serverless endpoint serving a tenant's model (`scripts/score.ts` calls it by this name). */
export function servingEndpointName(tenantId: string, model: string): string {
  tenantRoleName(tenantId);
  return `hub-${tenantId}-${model}`;
}

export function thingGroupName(tenantId: string): string {
  tenantRoleName(tenantId);
  return `hub-${tenantId}-devices`;
}

/** A fully qualified Snowflake identifier, quoted the way the provider reports ids. */
export function fqn(...parts: string[]): string {
  return parts.map((p) => `"${p}"`).join(".");
}
