/**
 * The web application firewall in front of the portal's load balancer (issue 23, the portal's
 * edge): a regional AWS WAF web ACL, associated with the ALB, that every request passes before the
 * ALB's Cognito sign-in or a portal task sees it.
 *
 * - AWS's managed rule groups (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html):
 *   the core rule set (CommonRuleSet: oversized bodies, path traversal, XSS, SSRF to instance
 *   metadata…), known bad inputs (Log4j / Java deserialisation, …) and Amazon's IP reputation list.
 *   Their capacity (700 + 200 + 25 WCU) and the rate rule's (2) stay under a web ACL's 1 500.
 * - A rate limit per client address (PORTAL_RATE_LIMIT, with its reason).
 * - CloudWatch metrics and sampled requests on every rule; blocked and counted requests logged to
 *   `aws-waf-logs-hub-portal` (encrypted with the platform key), with the Cookie and CSRF headers
 *   and the query string redacted: the cookie carries the ALB's session (a bearer credential) and
 *   the portal's, and the query string of /oauth2/idpresponse carries Cognito's authorisation code.
 *   Every request, allowed or not, is in the ALB's access logs (albAccessLogs.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { policyJson } from "./platform.ts";
import { partitionOf } from "./albAccessLogs.ts";

type WebAclRule = aws.types.input.wafv2.WebAclRule;

/**
 * Requests one client address may make in 5 minutes before the WAF blocks it (until its rate falls
 * below the limit again). A portal page with live data asks for its data about once a second while
 * readings land (docs/portal.md, "Live updates"), and a plant's people usually share one NAT
 * address: 10 000 per 5 minutes is 33 requests a second, some 30 open pages behind one address,
 * while one address flooding the sign-in redirects or the tasks is cut off there.
 */
export const PORTAL_RATE_LIMIT = 10_000;
/** The window the rate is counted over (WAF allows 60, 120, 300 or 600 s). */
export const RATE_WINDOW_S = 300;
/** WAF refuses a log destination whose name does not start with this. */
export const WAF_LOG_GROUP_PREFIX = "aws-waf-logs-";

/** AWS managed rule groups on the portal, in the order WAF evaluates them (cheapest and broadest first). */
export const MANAGED_RULE_GROUPS = ["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"] as const;

/** Request parts never written to the WAF's logs: the session cookies, the CSRF token, the OAuth code in the query. */
export const REDACTED_FIELDS: aws.types.input.wafv2.WebAclLoggingConfigurationRedactedField[] = [
  { singleHeader: { name: "cookie" } },
  { singleHeader: { name: "x-csrf-token" } },
  { queryString: {} },
];

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });

/** The web ACL's rules: the managed groups as they come (their own actions), then the rate limit per address. */
export function portalWafRules(limit: number = PORTAL_RATE_LIMIT): WebAclRule[] {
  if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000) throw new Error(`rate limit ${limit} must be a whole number of requests from 10 to 2 000 000 000 (WAF's bounds)`);
  const managed: WebAclRule[] = MANAGED_RULE_GROUPS.map((group, i) => ({
    name: group,
    priority: i,
    // `none`: the group's own rule actions apply (block); `count` would only watch.
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
    visibilityConfig: visibility(`hub-portal-${group}`),
  }));
  const rate: WebAclRule = {
    name: "rate-per-client-address",
    priority: MANAGED_RULE_GROUPS.length,
    action: { block: {} },
    // The connection's address (`IP`), never X-Forwarded-For, which a client writes itself.
    statement: { rateBasedStatement: { limit, aggregateKeyType: "IP", evaluationWindowSec: RATE_WINDOW_S } },
    visibilityConfig: visibility("hub-portal-rate-per-client-address"),
  };
  return [...managed, rate];
}

export interface PortalWafArgs {
  /** Tags on every taggable resource; required. */
  readonly tags: Record<string, string>;
  /** The load balancer the web ACL guards; required. */
  readonly loadBalancerArn: pulumi.Input<string>;
  /** KMS key of the log group (its key policy admits CloudWatch Logs); required. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Log retention in days; required. */
  readonly logRetentionDays: number;
  /** Requests per client address per 5 minutes; default PORTAL_RATE_LIMIT. */
  readonly rateLimit?: number;
}

export class PortalWaf extends pulumi.ComponentResource {
  readonly webAclArn: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: PortalWafArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hub:aws:PortalWaf", name, {}, opts);
    let rules: WebAclRule[];
    try {
      rules = portalWafRules(args.rateLimit ?? PORTAL_RATE_LIMIT);
    } catch (e) {
      throw new pulumi.ResourceError(`\`rateLimit\`: ${(e as Error).message}`, this);
    }
    const child = { parent: this };
    const region = aws.getRegionOutput({}, child).region;
    const account = aws.getCallerIdentityOutput({}, child).accountId;
    const acl = new aws.wafv2.WebAcl(
      `${name}-acl`,
      {
        name: "hub-portal",
        description: "The operator portal's load balancer: AWS managed rules and a rate limit per client address.",
        // REGIONAL: an ALB's web ACL (CLOUDFRONT is for distributions only).
        scope: "REGIONAL",
        defaultAction: { allow: {} },
        rules,
        visibilityConfig: visibility("hub-portal"),
        tags: args.tags,
      },
      child,
    );
    new aws.wafv2.WebAclAssociation(`${name}-association`, { resourceArn: args.loadBalancerArn, webAclArn: acl.arn }, child);

    const logs = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `${WAF_LOG_GROUP_PREFIX}hub-portal`, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags: args.tags }, child);
    // WAF would otherwise add this web ACL to the account's shared AWSWAF-LOGS resource policy,
    // which fails once that policy is full (the provider's note on WebAclLoggingConfiguration).
    const delivery = new aws.cloudwatch.LogResourcePolicy(
      `${name}-log-delivery`,
      {
        policyName: "hub-portal-waf-log-delivery",
        policyDocument: pulumi.all([logs.arn, region, account]).apply(([arn, r, a]) =>
          policyJson([
            {
              Sid: "WafLogDelivery",
              Effect: "Allow",
              Principal: { Service: "delivery.logs.amazonaws.com" },
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: `${arn}:*`,
              Condition: { ArnLike: { "aws:SourceArn": `arn:${partitionOf(r)}:logs:${r}:${a}:*` }, StringEquals: { "aws:SourceAccount": a } },
            },
          ]),
        ),
      },
      child,
    );
    new aws.wafv2.WebAclLoggingConfiguration(
      `${name}-logging`,
      {
        resourceArn: acl.arn,
        logDestinationConfigs: [logs.arn],
        redactedFields: REDACTED_FIELDS,
        // What the WAF did: blocked and counted requests. Every request is in the ALB's access logs.
        loggingFilter: {
          defaultBehavior: "DROP",
          filters: [{ behavior: "KEEP", requirement: "MEETS_ANY", conditions: [{ actionCondition: { action: "BLOCK" } }, { actionCondition: { action: "COUNT" } }, { actionCondition: { action: "EXCLUDED_AS_COUNT" } }] }],
        },
      },
      { parent: this, dependsOn: [delivery] },
    );
    this.webAclArn = acl.arn;
    this.logGroupName = logs.name;
    this.registerOutputs({ webAclArn: this.webAclArn });
  }
}
