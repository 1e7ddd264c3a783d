/** The portal component's arguments the infra tests declare it with (portalService, costPublishSchedule). */
import type { PortalServiceArgs } from "../../infra/aws/portal.ts";

export const PORTAL_ARGS: PortalServiceArgs = {
  tags: { tenant: "shared", "cost-center": "data-platform" },
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/manufacturing-data-hub@sha256:" + "a".repeat(64),
  certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
  host: "portal.hub.example.com",
  cognitoDomain: "hub-portal-example",
  vpcId: "vpc-0a1b2c3d4e5f60718",
  publicSubnetIds: ["subnet-0a1b2c3d4e5f60101", "subnet-0a1b2c3d4e5f60102"],
  subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
  snowflakeKeySecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/portal-key-pair-AbCdEf",
  snowflake: { accountUrl: "https://xy12345.eu-west-1.privatelink.snowflakecomputing.com", database: "HUB", user: "HUB_PORTAL_SVC" },
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
  logRetentionDays: 90,
};
