/**
 * The bucket an Application Load Balancer writes its access logs to (issue 23, the portal's edge),
 * as "Enable access logs for your Application Load Balancer" asks for it
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html):
 *
 * - in the load balancer's region, encrypted with SSE-S3: the only server-side encryption ALB log
 *   delivery supports (SSE-KMS is refused, so this bucket cannot use the platform key);
 * - a bucket policy that lets Elastic Load Balancing put objects under `<prefix>/AWSLogs/<account>/`
 *   only: in regions opened before August 2022 as the region's ELB account, in later ones as the
 *   service principal `logdelivery.elasticloadbalancing.amazonaws.com` (albLogDeliveryStatement);
 * - versioned, public access blocked, TLS only, and expired after `retentionDays` (the logs hold
 *   client addresses and request paths).
 *
 * Its own server access logs are not kept: the policy pack exempts a bucket load balancers log to
 * (infra/policy/rules.ts, s3-access-logged), as it exempts the bucket S3's access logs go to.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { policyJson } from "./platform.ts";

/**
 * The Elastic Load Balancing account of each region opened before August 2022, which the AWS guide
 * lists for the bucket policy; the same map as the Terraform provider's `aws_elb_service_account`
 * (internal/service/elb/service_account_data_source.go). A region not here is newer and takes the
 * service principal instead.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-south-1": "718504428378",
  "ap-northeast-1": "582318560864",
  "ap-northeast-2": "600734575887",
  "ap-northeast-3": "383597477331",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-southeast-3": "589379963580",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-west-3": "009996457667",
  "eu-south-1": "635631232127",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
  "cn-north-1": "638102146993",
  "cn-northwest-1": "037604701340",
  "us-gov-west-1": "048591011584",
  "us-gov-east-1": "190560391635",
};

/** The service principal of ALB log delivery in regions opened in August 2022 or later. */
export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

/** Where the portal's ALB writes under the bucket (AWS adds `/AWSLogs/<account>/…`; the prefix must not contain `AWSLogs`). */
export const PORTAL_ALB_LOG_PREFIX = "portal-alb";

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** The partition of a region: aws, aws-cn or aws-us-gov (the ARN of an ELB account names it). */
export function partitionOf(region: string): string {
  return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

/**
 * The bucket policy statement that lets `region`'s load balancers of `account` write their access
 * logs to `bucketArn` under `prefix`, and nowhere else in the bucket.
 */
export function albLogDeliveryStatement(o: { region: string; account: string; bucketArn: string; prefix: string }): Record<string, unknown> {
  if (!REGION.test(o.region)) throw new Error(`region ${JSON.stringify(o.region)} is not an AWS region name such as eu-west-1`);
  if (!/^\d{12}$/.test(o.account)) throw new Error(`account ${JSON.stringify(o.account)} is not a 12-digit AWS account id`);
  if (/AWSLogs/i.test(o.prefix) || o.prefix.startsWith("/") || o.prefix.endsWith("/")) {
    throw new Error(`prefix ${JSON.stringify(o.prefix)} must not contain AWSLogs nor start or end with "/" (ELB adds /AWSLogs/<account>/ itself)`);
  }
  const elbAccount = ELB_LOG_ACCOUNTS[o.region];
  const principal = elbAccount ? { AWS: `arn:${partitionOf(o.region)}:iam::${elbAccount}:root` } : { Service: ELB_LOG_DELIVERY_SERVICE };
  const path = o.prefix ? `${o.prefix}/` : "";
  return { Sid: "ElbAccessLogDelivery", Effect: "Allow", Principal: principal, Action: "s3:PutObject", Resource: `${o.bucketArn}/${path}AWSLogs/${o.account}/*` };
}

/** Deny every request to the bucket that does not use TLS. */
export function tlsOnlyStatement(bucketArn: string): Record<string, unknown> {
  return { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } };
}

export interface AlbAccessLogBucketArgs {
  /** Tags on the bucket; required. */
  readonly tags: Record<string, string>;
  /** Where under the bucket the load balancer writes; required (PORTAL_ALB_LOG_PREFIX for the portal). */
  readonly prefix: string;
  /** Days a log file is kept, then deleted; required (the stack's hub:logRetentionDays). */
  readonly retentionDays: number;
}

export class AlbAccessLogBucket extends pulumi.ComponentResource {
  /** The bucket's name, as the load balancer's `accessLogs.bucket` takes it. */
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** The delivery policy: a load balancer must be created after it (ELB checks it when logging is enabled). */
  readonly deliveryPolicy: aws.s3.BucketPolicy;

  constructor(name: string, args: AlbAccessLogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:aws:AlbAccessLogs", name, {}, opts);
    if (!Number.isInteger(args.retentionDays) || args.retentionDays < 1) throw new pulumi.ResourceError(`\`retentionDays\` ${args.retentionDays} must be a whole number of days, at least 1`, this);
    const child = { parent: this };
    const region = aws.getRegionOutput({}, child).region;
    const account = aws.getCallerIdentityOutput({}, child).accountId;
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucketPrefix: "hub-alb-logs-", tags: args.tags }, child);
    new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
    // SSE-S3: ALB log delivery refuses a bucket whose default encryption is SSE-KMS.
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, child);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      child,
    );
    this.deliveryPolicy = new aws.s3.BucketPolicy(
      `${name}-delivery`,
      {
        bucket: bucket.id,
        policy: pulumi.all([bucket.arn, region, account]).apply(([arn, r, a]) => policyJson([albLogDeliveryStatement({ region: r, account: a, bucketArn: arn, prefix: args.prefix }), tlsOnlyStatement(arn)])),
      },
      // A policy put before the block exists could be judged public and refused mid-deploy.
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-alb-logs",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: args.retentionDays },
            // Versioning keeps a deleted log as a noncurrent version: those go after a day.
            noncurrentVersionExpiration: { noncurrentDays: 1 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      child,
    );
    // A bucket's id is its name (the provider's), known from the same output the configurations use.
    this.bucketName = bucket.id;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
