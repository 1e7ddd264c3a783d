/**
 * A SageMaker model registry and an S3 bucket held in test memory, behind aws-sdk-client-mock
 * around the real SDK clients: each mocked command changes or reads this state the way the API
 * documents, so the registry contract suite can run against the SageMaker target with no network.
 * The suites also assert the recorded request shapes.
 */
import { mockClient } from "aws-sdk-client-mock";
import {
  CreateModelPackageCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
  type CreateModelPackageCommandInput,
} from "@aws-sdk/client-sagemaker";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

interface FakePackage {
  arn: string;
  group: string;
  version: number;
  status: string;
  approvalDescription?: string;
  metadata: Record<string, string>;
  inference?: CreateModelPackageCommandInput["InferenceSpecification"];
  created: Date;
}

export function fakeSageMaker() {
  const sagemaker = new SageMakerClient({ region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const s3 = new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const sm = mockClient(sagemaker);
  const s3m = mockClient(s3);
  const packages: FakePackage[] = [];
  const objects = new Map<string, string>();
  let tick = 0;

  sm.on(CreateModelPackageCommand).callsFake((i: CreateModelPackageCommandInput) => {
    const group = i.ModelPackageGroupName!;
    const version = packages.filter((p) => p.group === group).length + 1;
    const arn = `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${group}/${version}`;
    packages.push({ arn, group, version, status: i.ModelApprovalStatus ?? "PendingManualApproval", metadata: { ...i.CustomerMetadataProperties }, inference: i.InferenceSpecification, created: new Date(1_700_000_000_000 + tick++ * 1000) });
    return { ModelPackageArn: arn };
  });
  const find = (arn: string) => {
    const p = packages.find((x) => x.arn === arn);
    if (!p) throw Object.assign(new Error(`Model package ${arn} does not exist`), { name: "ValidationException" });
    return p;
  };
  sm.on(UpdateModelPackageCommand).callsFake((i) => {
    const p = find(i.ModelPackageArn);
    if (i.ModelApprovalStatus) p.status = i.ModelApprovalStatus;
    if (i.ApprovalDescription !== undefined) p.approvalDescription = i.ApprovalDescription;
    return { ModelPackageArn: p.arn };
  });
  sm.on(DescribeModelPackageCommand).callsFake((i) => {
    const p = find(i.ModelPackageName);
    return {
      ModelPackageArn: p.arn, ModelPackageGroupName: p.group, ModelPackageVersion: p.version, ModelApprovalStatus: p.status,
      ApprovalDescription: p.approvalDescription, CustomerMetadataProperties: p.metadata, InferenceSpecification: p.inference, CreationTime: p.created,
    };
  });
  // Pages of two, to exercise NextToken.
  sm.on(ListModelPackagesCommand).callsFake((i) => {
    let list = packages.filter((p) => p.group === i.ModelPackageGroupName && (!i.ModelApprovalStatus || p.status === i.ModelApprovalStatus));
    list = [...list].sort((a, b) => a.created.getTime() - b.created.getTime());
    if (i.SortOrder === "Descending") list.reverse();
    const start = Number(i.NextToken ?? 0);
    const page = list.slice(start, start + Math.min(2, i.MaxResults ?? 2));
    return {
      ModelPackageSummaryList: page.map((p) => ({ ModelPackageArn: p.arn, ModelPackageGroupName: p.group, ModelPackageVersion: p.version, ModelApprovalStatus: p.status, CreationTime: p.created })),
      NextToken: start + page.length < list.length ? String(start + page.length) : undefined,
    };
  });
  s3m.on(PutObjectCommand).callsFake((i) => {
    objects.set(`${i.Bucket}/${i.Key}`, String(i.Body));
    return { ETag: '"x"' };
  });
  s3m.on(GetObjectCommand).callsFake((i) => {
    const body = objects.get(`${i.Bucket}/${i.Key}`);
    if (body === undefined) throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" });
    return { Body: { transformToString: async () => body } };
  });
  return { sagemaker, s3, sm, s3m, packages, objects };
}
