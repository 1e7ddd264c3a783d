/**
 * Serving a tenant's model (issue 5, section 6): when the tenant stack lists the model in
 * `hub:servedModels`, the latest Approved package of its model package group is deployed to a
 * SageMaker serverless endpoint `hub-<tenant>-<model>`: a Model from the package, an
 * EndpointConfiguration with a serverless variant, the Endpoint, and an execution role that may
 * read only the tenant's archive prefix (the model artifacts) and pull the algorithm image.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ListModelPackagesCommand, type SageMakerClient } from "@aws-sdk/client-sagemaker";
import { archivePrefix, modelPackageGroupName, servingEndpointName } from "../naming.ts";
import { assumeRole, policyJson } from "./platform.ts";

/** The ARN of the newest Approved package in a group; an error when there is none (deploy nothing unapproved). */
export async function latestApprovedPackageArn(client: SageMakerClient, group: string): Promise<string> {
  const r = await client.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, ModelApprovalStatus: "Approved", SortBy: "CreationTime", SortOrder: "Descending", MaxResults: 1 }));
  const arn = r.ModelPackageSummaryList?.[0]?.ModelPackageArn;
  if (!arn) throw new Error(`model package group ${group} has no Approved package to serve; register one (scripts/retrain.ts --target sagemaker) or remove the model from hub:servedModels`);
  return arn;
}

export interface ModelServingArgs {
  /** Tenant id; required. */
  readonly tenantId: string;
  /** Model name (one of the tenant's `models`); required. */
  readonly model: string;
  /** ARN of the model package version to serve; required (see `latestApprovedPackageArn`). */
  readonly modelPackageArn: pulumi.Input<string>;
  /** The platform's archive bucket (name), where the artifacts are; required. */
  readonly archiveBucketName: pulumi.Input<string>;
  /** KMS keys the artifacts may be encrypted with; required. */
  readonly kmsKeyArns: pulumi.Input<string>[];
  /** Serverless memory, MB, a multiple of 1024 up to 6144; default 2048. */
  readonly memorySizeInMb?: number;
  /** Concurrent invocations, 1..200; default 5. */
  readonly maxConcurrency?: number;
  /** Tags on every taggable resource; required. */
  readonly tags: Record<string, string>;
}

export class ModelServing extends pulumi.ComponentResource {
  readonly endpointName: pulumi.Output<string>;
  readonly modelPackageArn: pulumi.Output<string>;

  constructor(name: string, args: ModelServingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:aws:ModelServing", name, {}, opts);
    const memory = args.memorySizeInMb ?? 2048;
    const concurrency = args.maxConcurrency ?? 5;
    if (memory % 1024 !== 0 || memory < 1024 || memory > 6144) throw new pulumi.ResourceError(`\`memorySizeInMb\` ${memory} must be 1024, 2048, ... 6144`, this);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 200) throw new pulumi.ResourceError(`\`maxConcurrency\` ${concurrency} must be an integer in 1..200`, this);
    const child = { parent: this };
    const prefix = archivePrefix(args.tenantId);

    const role = new aws.iam.Role(`${name}-serving-role`, { assumeRolePolicy: assumeRole("sagemaker.amazonaws.com"), tags: args.tags }, child);
    new aws.iam.RolePolicy(
      `${name}-serving-policy`,
      {
        role: role.id,
        policy: pulumi.all([args.archiveBucketName, pulumi.all(args.kmsKeyArns)]).apply(([bucket, keys]) =>
          policyJson([
            { Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${bucket}/${prefix}*` },
            { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [...new Set(keys)] },
            // Built-in algorithm images live in AWS-owned registries; pulling needs these.
            { Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: "*" },
            { Effect: "Allow", Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], Resource: "arn:aws:logs:*:*:log-group:/aws/sagemaker/Endpoints/*" },
          ]),
        ),
      },
      child,
    );
    const endpointName = servingEndpointName(args.tenantId, args.model);
    const model = new aws.sagemaker.Model(
      `${name}-model`,
      { executionRoleArn: role.arn, primaryContainer: { modelPackageName: args.modelPackageArn }, tags: { ...args.tags, "model-package-group": modelPackageGroupName(args.tenantId, args.model) } },
      child,
    );
    const config = new aws.sagemaker.EndpointConfiguration(
      `${name}-endpoint-config`,
      { productionVariants: [{ variantName: "AllTraffic", modelName: model.name, serverlessConfig: { memorySizeInMb: memory, maxConcurrency: concurrency } }], tags: args.tags },
      child,
    );
    const endpoint = new aws.sagemaker.Endpoint(`${name}-endpoint`, { name: endpointName, endpointConfigName: config.name, tags: args.tags }, child);
    this.endpointName = endpoint.name;
    this.modelPackageArn = pulumi.output(args.modelPackageArn);
    this.registerOutputs({ endpointName: this.endpointName, modelPackageArn: this.modelPackageArn });
  }
}
