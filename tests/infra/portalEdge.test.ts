/** The portal's edge without mocks: who may write the ALB's access logs, per region, and the WAF's rules. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ELB_LOG_ACCOUNTS, ELB_LOG_DELIVERY_SERVICE, albLogDeliveryStatement, partitionOf } from "../../infra/aws/albAccessLogs.ts";
import { MANAGED_RULE_GROUPS, PORTAL_RATE_LIMIT, portalWafRules } from "../../infra/aws/portalWaf.ts";

const base = { account: "123456789012", bucketArn: "arn:aws:s3:::hub-alb-logs-x", prefix: "portal-alb" };

describe("ALB log delivery: the bucket policy AWS documents for the region", () => {
  it("a region opened before August 2022 names its ELB account as the principal", () => {
    const s = albLogDeliveryStatement({ ...base, region: "us-east-1" });
    assert.deepEqual(s.Principal, { AWS: "arn:aws:iam::127311923021:root" });
    assert.equal(s.Resource, "arn:aws:s3:::hub-alb-logs-x/portal-alb/AWSLogs/123456789012/*");
    assert.equal(s.Action, "s3:PutObject");
  });

  it("a newer region (Zurich, Hyderabad) names the log delivery service instead", () => {
    for (const region of ["eu-central-2", "ap-south-2"]) {
      assert.equal(ELB_LOG_ACCOUNTS[region], undefined);
      assert.deepEqual(albLogDeliveryStatement({ ...base, region }).Principal, { Service: ELB_LOG_DELIVERY_SERVICE });
    }
  });

  it("China and GovCloud accounts are named in their own partitions", () => {
    assert.equal(partitionOf("cn-north-1"), "aws-cn");
    assert.deepEqual(albLogDeliveryStatement({ ...base, region: "cn-north-1", bucketArn: "arn:aws-cn:s3:::b" }).Principal, { AWS: "arn:aws-cn:iam::638102146993:root" });
    assert.deepEqual(albLogDeliveryStatement({ ...base, region: "us-gov-west-1" }).Principal, { AWS: "arn:aws-us-gov:iam::048591011584:root" });
  });

  it("without a prefix the logs go under AWSLogs/<account>/ at the bucket's root", () => {
    assert.equal(albLogDeliveryStatement({ ...base, region: "eu-west-1", prefix: "" }).Resource, "arn:aws:s3:::hub-alb-logs-x/AWSLogs/123456789012/*");
  });

  it("refuses a prefix with AWSLogs or slashes at its ends, a region or account that is not one, by name and value", () => {
    assert.throws(() => albLogDeliveryStatement({ ...base, region: "eu-west-1", prefix: "x/AWSLogs" }), /prefix "x\/AWSLogs" must not contain AWSLogs/);
    assert.throws(() => albLogDeliveryStatement({ ...base, region: "eu-west-1", prefix: "portal/" }), /prefix "portal\/"/);
    assert.throws(() => albLogDeliveryStatement({ ...base, region: "eu-west-1*" }), /region "eu-west-1\*" is not an AWS region/);
    assert.throws(() => albLogDeliveryStatement({ ...base, region: "eu-west-1", account: "*" }), /account "\*" is not a 12-digit/);
  });
});

describe("the portal's WAF rules", () => {
  it("the managed groups keep their own actions; the rate rule blocks per connection address and comes last", () => {
    const rules = portalWafRules();
    assert.deepEqual(rules.map((r) => r.name), [...MANAGED_RULE_GROUPS, "rate-per-client-address"]);
    for (const r of rules.slice(0, -1)) assert.deepEqual([r.overrideAction, r.action], [{ none: {} }, undefined]);
    const rate = rules.at(-1)!;
    assert.deepEqual(rate.statement, { rateBasedStatement: { limit: PORTAL_RATE_LIMIT, aggregateKeyType: "IP", evaluationWindowSec: 300 } });
    assert.deepEqual(rules.map((r) => r.priority), [0, 1, 2, 3]);
    assert.ok(rules.every((r) => (r.visibilityConfig as { cloudwatchMetricsEnabled: boolean }).cloudwatchMetricsEnabled));
  });

  it("a limit WAF would refuse is refused here, with its value", () => {
    for (const bad of [0, 9, 100.5, Number.NaN, 3e9]) assert.throws(() => portalWafRules(bad), /rate limit .* must be a whole number of requests from 10/);
    assert.equal((portalWafRules(500).at(-1)!.statement as any).rateBasedStatement.limit, 500);
  });
});
