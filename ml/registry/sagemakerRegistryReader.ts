/**
 * The SageMaker registry, read only: what the portal's models page needs in production (a tenant's
 * versions with their approval status, the gate's reason and the metrics), with nothing but
 * `sagemaker:ListModelPackages` and `sagemaker:DescribeModelPackage` on the tenant's model package
 * groups, the two actions the portal's task role holds (infra/aws/portal.ts). The records are
 * decoded as the registry writes them (sagemakerRegistry.ts `decodePackage`: ModelApprovalStatus,
 * ApprovalDescription, CustomerMetadataProperties), so the page shows what `retrain list` shows.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModelPackages.html
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModelPackage.html
 */
import { DescribeModelPackageCommand, ListModelPackagesCommand, type SageMakerClient } from "@aws-sdk/client-sagemaker";
import type { ApprovalStatus, ModelKind, ModelRecord } from "../contract.ts";
import { modelPackageGroupName } from "../../infra/naming.ts";
import { DESCRIBE_CONCURRENCY, mapLimit, RegistryError, type Registry } from "./registry.ts";
import { decodePackage } from "./sagemakerRegistry.ts";

/** Every package of a group, oldest version first (paginated: ListModelPackages returns at most 100 a page). */
export async function modelPackageSummaries(sagemaker: SageMakerClient, group: string, status?: ApprovalStatus): Promise<{ arn: string; version: number }[]> {
  const out: { arn: string; version: number }[] = [];
  let token: string | undefined;
  do {
    const page = await sagemaker.send(
      new ListModelPackagesCommand({
        ModelPackageGroupName: group,
        ...(status ? { ModelApprovalStatus: status } : {}),
        SortBy: "CreationTime",
        SortOrder: "Ascending",
        MaxResults: 100,
        NextToken: token,
      }),
    );
    for (const s of page.ModelPackageSummaryList ?? []) out.push({ arn: s.ModelPackageArn!, version: s.ModelPackageVersion ?? 0 });
    token = page.NextToken;
  } while (token);
  return out.sort((a, b) => a.version - b.version);
}

export class SageMakerRegistryReader implements Pick<Registry, "list"> {
  constructor(private readonly sagemaker: SageMakerClient) {}

  /**
   * Every version of the tenant's model, oldest first. A group the tenant stack did not create (the
   * model is not in its hub:models) has no versions. A package whose own record names another
   * tenant or model is refused rather than shown: the group is the tenant's, its contents must be.
   */
  async list(tenantId: string, model: ModelKind): Promise<ModelRecord[]> {
    const group = modelPackageGroupName(tenantId, model);
    let summaries;
    try {
      summaries = await modelPackageSummaries(this.sagemaker, group);
    } catch (e) {
      if ((e as Error).name === "ValidationException" && /does not exist/i.test((e as Error).message)) return [];
      throw e;
    }
    return mapLimit(summaries, DESCRIBE_CONCURRENCY, async (s) => {
      const r = decodePackage(await this.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: s.arn })));
      if (r.tenantId !== tenantId || r.model !== model) {
        throw new RegistryError(`model package ${s.arn} in ${group} records tenant ${JSON.stringify(r.tenantId)} and model ${JSON.stringify(r.model)}, not ${tenantId}/${model}: not shown`);
      }
      return r;
    });
  }
}
