/**
 * The portal's models page in production (`serve --portal-data snowflake`): the registry is
 * SageMaker's model package groups, read with the task role's two read actions
 * (ml/registry/sagemakerRegistryReader.ts; infra/aws/portal.ts grants them), and the champion's
 * drift read on Snowflake through the tenant's own role, as every portal read. The region is the
 * task's (AWS_REGION, which the task definition sets).
 */
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SageMakerRegistryReader } from "../../../ml/registry/sagemakerRegistryReader.ts";
import { quietNodeVersionNotice } from "../../../pipelines/awsSdkNotice.ts";
import { tenantRoleName } from "../../../pipelines/definitions/governance.ts";
import type { PortalData } from "../../../pipelines/portal/portalData.ts";
import type { TenantModels } from "../../../pipelines/portal/portalSources.ts";
import { portalModels } from "./portalModels.ts";

export function sageMakerPortalModels(data: PortalData, sagemaker?: SageMakerClient): (tenant: string) => Promise<TenantModels> {
  quietNodeVersionNotice();
  const client = sagemaker ?? new SageMakerClient({});
  return portalModels({ registry: new SageMakerRegistryReader(client), tenantSession: (t) => data.tenantSession(t, tenantRoleName(t)), now: () => new Date() });
}
