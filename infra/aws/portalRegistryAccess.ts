/**
 * What the portal's task role may call (infra/aws/portal.ts): the models page reads the tenants'
 * SageMaker registry (ml/registry/sagemakerRegistryReader.ts) with two read actions and nothing
 * else, on the hub's model package groups and their packages only. Both names come from
 * `modelPackageGroupName` (`hub-<tenant>-<model>`), so the pattern is that function's prefix.
 *
 * One portal serves every tenant (docs/portal.md, "Production"), so the role reads every tenant's
 * groups: which tenant a person sees is decided per request from the signed claim, and the reader
 * refuses a package whose record names another tenant. Resources as the tenant stack's registry
 * role grants them (infra/aws/tenant.ts): the group ARN `model-package-group/<group>` and its
 * versions `model-package/<group>/<version>` (API_DescribeModelPackage takes the version's ARN).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
 */
import { modelPackageGroupName } from "../naming.ts";

/** The two actions the models page uses, and no write. */
export const PORTAL_REGISTRY_ACTIONS = ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"] as const;

/** `hub-`: what every group modelPackageGroupName makes starts with (checked on a sample tenant). */
export function groupNamePrefix(): string {
  const sample = modelPackageGroupName("acme", "forecast");
  const prefix = sample.slice(0, sample.indexOf("acme"));
  if (!prefix) throw new Error(`modelPackageGroupName gives ${sample}: no fixed prefix to limit the portal's registry access to`);
  return prefix;
}

/** The ARN partition of a region (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html). */
export function partitionOf(region: string): string {
  return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

export function portalRegistryStatement(o: { region: string; account: string }): { Sid: string; Effect: "Allow"; Action: string[]; Resource: string[] } {
  const base = `arn:${partitionOf(o.region)}:sagemaker:${o.region}:${o.account}`;
  const prefix = groupNamePrefix();
  return {
    Sid: "ReadTheTenantsModelRegistry",
    Effect: "Allow",
    Action: [...PORTAL_REGISTRY_ACTIONS],
    Resource: [`${base}:model-package-group/${prefix}*`, `${base}:model-package/${prefix}*/*`],
  };
}
