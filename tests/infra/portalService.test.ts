/**
 * The portal's production component under Pulumi's mocks (one run, the component alone: no
 * Snowflake, no platform), its configuration, and the policy pack's rules for what serves people:
 * each new rule fails a bad resource and passes the component's own.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { declareUnderMocks, type OfflineRun } from "../../infra/offline.ts";
import { PORTAL_PORT, PortalService, TLS_POLICY, ecrRepositoryArn, snowflakeAccountOfUrl } from "../../infra/aws/portal.ts";
import { ConfigError, rsaPublicKey } from "../../infra/config.ts";
import { parsePortalConfig } from "../../infra/portalConfig.ts";
import { ecsTasksNoPublicIp, listenersHttpsOnly } from "../../infra/policy/portalRules.ts";
import { DEFAULT_POLICY_OPTIONS, evaluatePolicies, logGroupsEncrypted, type PolicyResourceLike } from "../../infra/policy/rules.ts";
import { TENANT_ATTRIBUTE, TENANT_CLAIM } from "../../pipelines/portal/tenantClaim.ts";
import { ELB_LOG_ACCOUNTS, PORTAL_ALB_LOG_PREFIX } from "../../infra/aws/albAccessLogs.ts";
import { MANAGED_RULE_GROUPS, PORTAL_RATE_LIMIT, REDACTED_FIELDS } from "../../infra/aws/portalWaf.ts";
import { ofType, policyStatements } from "./offlineStack.ts";
import { PORTAL_ARGS as ARGS } from "./portalArgs.ts";

const SNOWFLAKE_PUBLIC_KEY = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } }).publicKey;


let run: OfflineRun;
before(async () => {
  run = await declareUnderMocks("platform", () => {
    const p = new PortalService("hub-portal", ARGS);
    return { url: p.url, userPoolId: p.userPoolId, dns: p.loadBalancerDnsName };
  });
});

const one = (type: string) => {
  const rs = ofType(run, type);
  assert.equal(rs.length, 1, type);
  return rs[0]!;
};
const byName = (name: string) => run.resources.find((r) => r.name === name)!;

describe("the portal's component: what it declares", () => {
  it("one HTTPS listener on 443 with a TLS 1.2+ policy, Cognito sign-in before forwarding, and nothing on port 80", () => {
    const l = one("aws:lb/listener:Listener");
    assert.deepEqual([l.props["port"], l.props["protocol"], l.props["sslPolicy"], l.props["certificateArn"]], [443, "HTTPS", TLS_POLICY, ARGS.certificateArn]);
    const [auth, forward] = l.props["defaultActions"] as any[];
    assert.equal(auth.type, "authenticate-cognito");
    assert.equal(auth.authenticateCognito.userPoolClientId, byName("hub-portal-alb-client").id);
    assert.equal(auth.authenticateCognito.scope, "openid");
    assert.equal(auth.authenticateCognito.userPoolDomain, ARGS.cognitoDomain);
    assert.ok(l.dependsOn?.includes("hub-portal-sign-in-domain"), "created after the sign-in domain");
    assert.equal(forward.type, "forward");
    assert.ok(auth.order < forward.order);
    const lb = one("aws:lb/loadBalancer:LoadBalancer");
    assert.equal(lb.props["internal"], false);
    assert.equal(lb.props["dropInvalidHeaderFields"], true);
    assert.deepEqual(lb.props["subnets"], ARGS.publicSubnetIds);
  });

  it("security groups: the internet reaches the ALB on 443 only, the tasks only from the ALB's group on the portal's port", () => {
    const ingress = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    const albSg = byName("hub-portal-alb-sg").id;
    const taskSg = byName("hub-portal-task-sg").id;
    assert.deepEqual(
      ingress.map((r) => [r.props["securityGroupId"], r.props["fromPort"], r.props["toPort"], r.props["cidrIpv4"] ?? r.props["referencedSecurityGroupId"]]).sort(),
      [[albSg, 443, 443, "0.0.0.0/0"], [taskSg, PORTAL_PORT, PORTAL_PORT, albSg]].sort(),
    );
    const egress = ofType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
    assert.ok(egress.every((r) => r.props["ipProtocol"] === "tcp" && (r.props["fromPort"] === 443 || (r.props["fromPort"] === PORTAL_PORT && r.props["referencedSecurityGroupId"] === taskSg))), "HTTPS out, or the ALB to the tasks' port");
    for (const sg of ofType(run, "aws:ec2/securityGroup:SecurityGroup")) assert.equal(sg.props["ingress"] ?? sg.props["egress"], undefined, "no inline rules to fight the separate ones");
  });

  it("the service runs in the private subnets without public IPs, after the listener attaches its target group", () => {
    const s = one("aws:ecs/service:Service");
    assert.deepEqual(s.props["networkConfiguration"], { subnets: ARGS.subnetIds, securityGroups: [byName("hub-portal-task-sg").id], assignPublicIp: false });
    assert.equal(s.props["launchType"], "FARGATE");
    assert.ok(s.dependsOn?.includes("hub-portal-https"));
  });

  it("the task: the image, serve signed in by this ALB, the Snowflake key by secret ARN (never in the environment), its own task role, read-only root", () => {
    const t = one("aws:ecs/taskDefinition:TaskDefinition");
    assert.equal(t.props["networkMode"], "awsvpc");
    // The mocks' ARN of the task role (infra/offline.ts), not the execution role's: the app's calls and ECS's stay apart.
    assert.equal(t.props["taskRoleArn"], "arn:aws:iam:eu-west-1:123456789012:hub-portal-task-role");
    assert.equal(t.props["executionRoleArn"], "arn:aws:iam:eu-west-1:123456789012:hub-portal-execution-role");
    const [c] = JSON.parse(String(t.props["containerDefinitions"])) as any[];
    assert.equal(c.image, ARGS.image);
    assert.deepEqual(c.secrets, [{ name: "HUB_SNOWFLAKE_PRIVATE_KEY", valueFrom: ARGS.snowflakeKeySecretArn }]);
    assert.ok(!JSON.stringify(c.environment).includes("PRIVATE_KEY"));
    const arg = (flag: string) => c.command[c.command.indexOf(flag) + 1];
    assert.equal(arg("--portal-sign-in"), "cognito-alb");
    assert.match(arg("--portal-alb-arn"), /^arn:aws:elasticloadbalancing:/);
    assert.equal(arg("--portal-client-id"), byName("hub-portal-alb-client").id);
    assert.equal(arg("--http-port"), String(PORTAL_PORT));
    // It reads the tenants' Snowflake account over PrivateLink as the portal's user, not its own engine.
    assert.equal(arg("--portal-data"), "snowflake");
    // Sign-out ends the ALB's and Cognito's sessions: Cognito's domain, and the client's one sign-out URL.
    assert.equal(arg("--portal-cognito-domain"), `${ARGS.cognitoDomain}.auth.eu-west-1.amazoncognito.com`);
    assert.equal(arg("--portal-logout-uri"), `https://${ARGS.host}/portal/`);
    assert.deepEqual(byName("hub-portal-alb-client").props["logoutUrls"], [arg("--portal-logout-uri")]);
    const env = Object.fromEntries((c.environment as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    assert.deepEqual(
      [env.SNOWFLAKE_ACCOUNT, env.SNOWFLAKE_ACCESS_URL, env.SNOWFLAKE_DATABASE, env.SNOWFLAKE_USER],
      ["xy12345.eu-west-1", ARGS.snowflake.accountUrl, "HUB", "HUB_PORTAL_SVC"],
    );
    // The SageMaker client's region: the registry is in the stack's.
    assert.equal(env.AWS_REGION, "eu-west-1");
    assert.equal(c.readonlyRootFilesystem, true);
    assert.notEqual(c.user, "root");
    assert.equal(c.logConfiguration.options["awslogs-group"], "/hub/portal");
  });

  it("the execution role pulls from its one repository, writes its one log group and reads its one secret", () => {
    const statements = policyStatements(byName("hub-portal-execution-policy").props["policy"]);
    const by = Object.fromEntries(statements.map((s) => [[s.Action].flat().join(","), s.Resource]));
    assert.deepEqual(by, {
      "ecr:GetAuthorizationToken": "*",
      "ecr:BatchGetImage,ecr:GetDownloadUrlForLayer": "arn:aws:ecr:eu-west-1:123456789012:repository/manufacturing-data-hub",
      // The mocks' ARN of the log group (infra/offline.ts), then its streams.
      "logs:CreateLogStream,logs:PutLogEvents": "arn:aws:logs:eu-west-1:123456789012:hub-portal-logs:log-stream:*",
      "secretsmanager:GetSecretValue": ARGS.snowflakeKeySecretArn,
    });
    const trust = policyStatements(byName("hub-portal-execution-role").props["assumeRolePolicy"]);
    assert.deepEqual(trust.map((s) => (s as any).Principal.Service), ["ecs-tasks.amazonaws.com"]);
  });

  it("the task role reads the tenants' model registry and nothing else: ListModelPackages and DescribeModelPackage on the hub's groups and their versions", () => {
    const statements = policyStatements(byName("hub-portal-task-policy").props["policy"]);
    assert.deepEqual(statements.map((s) => [[s.Action].flat(), s.Resource]), [[
      ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"],
      ["arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/hub-*", "arn:aws:sagemaker:eu-west-1:123456789012:model-package/hub-*/*"],
    ]]);
    assert.ok(statements.every((s) => s.Effect === "Allow" && ![s.Action].flat().some((a) => /Create|Update|Delete|\*/.test(String(a)))), "no write, no wildcard action");
    const trust = policyStatements(byName("hub-portal-task-role").props["assumeRolePolicy"]);
    assert.deepEqual(trust.map((s) => (s as any).Principal.Service), ["ecs-tasks.amazonaws.com"]);
  });

  it("both log groups (the task's, the WAF's) are encrypted with the platform key and kept logRetentionDays", () => {
    const groups = ofType(run, "aws:cloudwatch/logGroup:LogGroup");
    assert.deepEqual(groups.map((g) => g.props["name"]).sort(), ["/hub/portal", "aws-waf-logs-hub-portal"]);
    for (const g of groups) assert.deepEqual([g.props["kmsKeyId"], g.props["retentionInDays"]], [ARGS.kmsKeyArn, 90]);
  });

  it("Cognito: invited people only, MFA, a strong password, threat protection, and a tenant attribute no app client can write", () => {
    const pool = one("aws:cognito/userPool:UserPool");
    assert.equal(pool.props["adminCreateUserConfig"].allowAdminCreateUserOnly, true);
    assert.equal(pool.props["mfaConfiguration"], "ON");
    assert.ok(pool.props["passwordPolicy"].minimumLength >= 12);
    assert.equal(pool.props["userPoolAddOns"].advancedSecurityMode, "ENFORCED");
    assert.deepEqual(pool.props["schemas"].map((s: any) => s.name), [TENANT_ATTRIBUTE]);
    const client = one("aws:cognito/userPoolClient:UserPoolClient");
    assert.ok(client.props["readAttributes"].includes(TENANT_CLAIM));
    assert.ok(Array.isArray(client.props["writeAttributes"]) && !client.props["writeAttributes"].includes(TENANT_CLAIM), "set, and without the tenant");
    assert.deepEqual([client.props["generateSecret"], client.props["allowedOauthFlows"], client.props["callbackUrls"]], [true, ["code"], ["https://portal.hub.example.com/oauth2/idpresponse"]]);
    assert.ok(!JSON.stringify(run.outputs).includes("ecret"), "the client secret is not an output");
  });

  it("without the reporting key, nothing is scheduled: no schedule, no second task definition, no scheduler role", () => {
    assert.deepEqual(ofType(run, "aws:scheduler/schedule:Schedule"), []);
    assert.equal(ofType(run, "aws:ecs/taskDefinition:TaskDefinition").length, 1);
    assert.ok(!run.resources.some((r) => r.name.includes("cost-publish")));
  });

  it("the repository ARN comes from the image, in its partition", () => {
    assert.equal(ecrRepositoryArn("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/hub:v1"), "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/hub");
    assert.throws(() => ecrRepositoryArn("docker.io/library/node:20"), /not an ECR image/);
  });
});

describe("the portal's edge: access logs and the WAF", () => {
  it("the ALB writes access logs to its own bucket, after the bucket's delivery policy exists", () => {
    const lb = one("aws:lb/loadBalancer:LoadBalancer");
    const bucket = byName("hub-portal-alb-logs-bucket");
    assert.deepEqual(lb.props["accessLogs"], { bucket: bucket.id, prefix: PORTAL_ALB_LOG_PREFIX, enabled: true });
    assert.ok(lb.dependsOn?.includes("hub-portal-alb-logs-delivery"), "ELB checks the policy when logging is turned on");
  });

  it("the log bucket: SSE-S3 (not KMS), versioned, public access blocked, expiring, TLS only, and ELB may put under its prefix alone", () => {
    const of = (suffix: string) => byName(`hub-portal-alb-logs-${suffix}`).props;
    assert.deepEqual(of("encryption")["rules"], [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    assert.equal(of("versioning")["versioningConfiguration"].status, "Enabled");
    const block = of("public-access");
    assert.ok(["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block[k] === true));
    const [rule] = of("lifecycle")["rules"] as any[];
    assert.deepEqual([rule.status, rule.expiration.days, rule.filter.prefix], ["Enabled", ARGS.logRetentionDays, ""]);
    const [put, tls] = policyStatements(of("delivery")["policy"]) as any[];
    // The mocks' region is eu-west-1, opened before August 2022: its ELB account, by ARN.
    assert.deepEqual(put.Principal, { AWS: `arn:aws:iam::${ELB_LOG_ACCOUNTS["eu-west-1"]}:root` });
    assert.deepEqual([put.Effect, put.Action], ["Allow", "s3:PutObject"]);
    assert.match(put.Resource, new RegExp(`^arn:aws:s3:::hub-alb-logs-hub-portal-alb-logs-bucket/${PORTAL_ALB_LOG_PREFIX}/AWSLogs/\\d{12}/\\*$`));
    assert.deepEqual([tls.Effect, tls.Condition], ["Deny", { Bool: { "aws:SecureTransport": "false" } }]);
  });

  it("a regional web ACL with the three managed groups and a rate limit per address, associated with this ALB", () => {
    const acl = one("aws:wafv2/webAcl:WebAcl");
    assert.equal(acl.props["scope"], "REGIONAL");
    assert.deepEqual(acl.props["defaultAction"], { allow: {} });
    const rules = acl.props["rules"] as any[];
    assert.deepEqual(rules.filter((r) => r.statement.managedRuleGroupStatement).map((r) => r.statement.managedRuleGroupStatement.name).sort(), [...MANAGED_RULE_GROUPS].sort());
    const rate = rules.find((r) => r.statement.rateBasedStatement)!;
    assert.deepEqual([rate.action, rate.statement.rateBasedStatement.aggregateKeyType, rate.statement.rateBasedStatement.limit], [{ block: {} }, "IP", PORTAL_RATE_LIMIT]);
    assert.equal(new Set(rules.map((r) => r.priority)).size, rules.length, "priorities are distinct");
    const assoc = one("aws:wafv2/webAclAssociation:WebAclAssociation");
    assert.equal(assoc.props["resourceArn"], one("aws:lb/loadBalancer:LoadBalancer").id);
    assert.equal(assoc.props["webAclArn"], `arn:aws:wafv2:eu-west-1:123456789012:hub-portal-waf-acl`);
  });

  it("the WAF logs what it blocks or counts to its own group, with the cookies, the CSRF token and the query string redacted", () => {
    const logging = one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
    assert.deepEqual(logging.props["logDestinationConfigs"], ["arn:aws:logs:eu-west-1:123456789012:hub-portal-waf-logs"]);
    assert.deepEqual(logging.props["redactedFields"], REDACTED_FIELDS);
    assert.equal(logging.props["loggingFilter"].defaultBehavior, "DROP");
    assert.ok(logging.dependsOn?.includes("hub-portal-waf-log-delivery"));
    const [delivery] = policyStatements(one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy").props["policyDocument"]) as any[];
    assert.deepEqual([delivery.Principal, delivery.Resource], [{ Service: "delivery.logs.amazonaws.com" }, "arn:aws:logs:eu-west-1:123456789012:hub-portal-waf-logs:*"]);
  });

  it("the target group keeps a person on one task (the portal's session and CSRF token live in that task)", () => {
    assert.deepEqual(one("aws:lb/targetGroup:TargetGroup").props["stickiness"], { type: "lb_cookie", enabled: true, cookieDuration: 12 * 3600 });
  });
});

describe("the policy pack on the portal", () => {
  let n = 0;
  const res = (type: string, props: Record<string, unknown>, extra: Partial<PolicyResourceLike> = {}): PolicyResourceLike => {
    const name = `r${++n}`;
    return { type, name, urn: `urn:pulumi:test::hub::${type}::${name}`, id: `${name}-id`, props, ...extra };
  };
  const L = "aws:lb/listener:Listener";
  const O = DEFAULT_POLICY_OPTIONS;

  it("passes the component's own resources, every rule", () => {
    assert.deepEqual(evaluatePolicies(run.resources), []);
  });

  it("an HTTP listener that forwards, a redirect that keeps HTTP, TCP, and a TLS policy admitting TLS 1.0 or 1.1 are refused", () => {
    const bad = [
      res(L, { port: 80, protocol: "HTTP", defaultActions: [{ type: "forward", targetGroupArn: "tg" }] }),
      res(L, { port: 80, defaultActions: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "200" } }] }),
      res(L, { port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { port: "443", statusCode: "HTTP_301" } }] }),
      res(L, { port: 80, protocol: "HTTP", defaultActions: [] }),
      res(L, { port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08", defaultActions: [] }),
      res(L, { port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-0-2021-06", defaultActions: [] }),
      res(L, { port: 443, protocol: "HTTPS", defaultActions: [] }),
      res("aws:alb/listener:Listener", { port: 8080, protocol: "TCP", defaultActions: [] }),
    ];
    assert.deepEqual(listenersHttpsOnly.check(bad, O).map((v) => v.urn), bad.map((b) => b.urn));
  });

  it("an HTTP listener that only redirects to HTTPS passes, unless a rule on it forwards (found by dependency or by id)", () => {
    const redirect = res(L, { port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }] });
    const https = res(L, { port: 443, protocol: "HTTPS", sslPolicy: TLS_POLICY, defaultActions: [{ type: "forward" }] });
    assert.deepEqual(listenersHttpsOnly.check([redirect, https], O), []);
    const byDep = res("aws:lb/listenerRule:ListenerRule", { actions: [{ type: "forward", targetGroupArn: "tg" }] }, { propertyDependencies: { listenerArn: [redirect.urn] } });
    const byId = res("aws:lb/listenerRule:ListenerRule", { listenerArn: redirect.id, actions: [{ type: "fixed-response" }] });
    const onHttps = res("aws:lb/listenerRule:ListenerRule", { listenerArn: https.id, actions: [{ type: "forward" }] });
    assert.deepEqual(listenersHttpsOnly.check([redirect, https, byDep, byId, onHttps], O).map((v) => v.urn), [byDep.urn, byId.urn]);
  });

  it("an ECS service or task set with public IPs, and a task definition not on awsvpc, are refused", () => {
    const bad = [
      res("aws:ecs/service:Service", { networkConfiguration: { subnets: ["s"], assignPublicIp: true } }),
      res("aws:ecs/taskSet:TaskSet", { networkConfiguration: { subnets: ["s"], assignPublicIp: true } }),
      res("aws:ecs/taskDefinition:TaskDefinition", { family: "x", networkMode: "bridge" }),
      res("aws:ecs/taskDefinition:TaskDefinition", { family: "y" }),
    ];
    for (const r of bad) assert.equal(ecsTasksNoPublicIp.check(r, O).length, 1, r.type);
    assert.deepEqual(ecsTasksNoPublicIp.check(res("aws:ecs/service:Service", { networkConfiguration: { subnets: ["s"], assignPublicIp: false } }), O), []);
  });

  it("the portal's log group without its key would be refused", () => {
    const g = byName("hub-portal-logs");
    assert.equal(logGroupsEncrypted.check({ ...g, props: { ...g.props, kmsKeyId: undefined } }, O).length, 1);
  });
});

describe("the portal's stack configuration", () => {
  const base = {
    "hub:portalImage": ARGS.image,
    "hub:portalCertificateArn": ARGS.certificateArn,
    "hub:portalHost": ARGS.host,
    "hub:portalCognitoDomain": ARGS.cognitoDomain,
    "hub:portalPublicSubnetIds": JSON.stringify(ARGS.publicSubnetIds),
    "hub:portalSnowflakeKeySecretArn": ARGS.snowflakeKeySecretArn,
    "hub:portalSnowflakePublicKey": SNOWFLAKE_PUBLIC_KEY,
  };
  const fail = (k: string, v: unknown, e: string): never => {
    throw new ConfigError(k, v, e);
  };
  const REPORTING_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/reporting-key-pair-GhIjKl";
  const parse = (over: Record<string, string | undefined>) => parsePortalConfig({ ...base, ...over }, fail, ARGS.subnetIds, rsaPublicKey);

  it("the Snowflake account of a URL, as the driver takes it beside the URL", () => {
    assert.equal(snowflakeAccountOfUrl("https://xy12345.eu-west-1.privatelink.snowflakecomputing.com"), "xy12345.eu-west-1");
    assert.equal(snowflakeAccountOfUrl("https://myorg-myaccount.snowflakecomputing.com"), "myorg-myaccount");
    assert.throws(() => snowflakeAccountOfUrl("https://evil.example.com/?x=.snowflakecomputing.com"), /is not https:\/\/<account>/);
  });

  it("no image, no portal; with one, the defaults and the stack's subnets", () => {
    assert.equal(parsePortalConfig({}, fail, ARGS.subnetIds, rsaPublicKey), null);
    const c = parse({ "hub:portalSubnetIds": "[]" })!;
    assert.deepEqual([c.subnetIds, c.desiredCount, c.cpu, c.memoryMb, c.mfa], [ARGS.subnetIds, 2, 512, 1024, "ON"]);
  });

  it("the reporting key pair is optional and comes as a pair: without it no cost publish, with it the secret and the key's PEM body", () => {
    assert.equal(parse({})!.reporting, undefined);
    const c = parse({ "hub:portalReportingKeySecretArn": REPORTING_SECRET, "hub:portalReportingPublicKey": SNOWFLAKE_PUBLIC_KEY })!;
    assert.deepEqual(c.reporting, { keySecretArn: REPORTING_SECRET, publicKey: rsaPublicKey(SNOWFLAKE_PUBLIC_KEY, "x") });
  });

  it("each bad value is refused by key and value", () => {
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ "hub:portalImage": "docker.io/library/node:20" }, /hub:portalImage: "docker\.io/],
      [{ "hub:portalCertificateArn": undefined }, /hub:portalCertificateArn: null is not valid: required when hub:portalImage is set/],
      [{ "hub:portalHost": "Portal.Example.com" }, /hub:portalHost/],
      [{ "hub:portalCognitoDomain": "my-aws-portal" }, /hub:portalCognitoDomain: "my-aws-portal"/],
      [{ "hub:portalPublicSubnetIds": JSON.stringify(["subnet-0a1b2c3d4e5f60101"]) }, /hub:portalPublicSubnetIds: .* at least 2/],
      [{ "hub:portalSubnetIds": JSON.stringify(["subnet-0a1b2c3d4e5f60101"]) }, /hub:portalSubnetIds: .*private subnets/],
      [{ "hub:portalCpu": "768" }, /hub:portalCpu: 768/],
      [{ "hub:portalMemoryMb": "8192" }, /hub:portalMemoryMb: 8192 .* 1024 to 4096/],
      [{ "hub:portalMfa": "OFF" }, /hub:portalMfa: "OFF" is not valid: ON or OPTIONAL/],
      [{ "hub:portalSnowflakePublicKey": undefined }, /hub:portalSnowflakePublicKey: null is not valid: required when hub:portalImage is set/],
      [{ "hub:portalSnowflakePublicKey": "not-a-key" }, /hub:portalSnowflakePublicKey: "not-a-key\.\.\." is not valid: an RSA public key/],
      [{ "hub:portalReportingKeySecretArn": "hub/reporting-key" }, /hub:portalReportingKeySecretArn: "hub\/reporting-key" is not valid: a Secrets Manager secret ARN/],
      [{ "hub:portalReportingKeySecretArn": REPORTING_SECRET }, /hub:portalReportingPublicKey: null is not valid: required when hub:portalReportingKeySecretArn is set/],
      [{ "hub:portalReportingPublicKey": SNOWFLAKE_PUBLIC_KEY }, /hub:portalReportingKeySecretArn: null is not valid: required when hub:portalReportingPublicKey is set/],
      [{ "hub:portalReportingKeySecretArn": REPORTING_SECRET, "hub:portalReportingPublicKey": "not-a-key" }, /hub:portalReportingPublicKey: "not-a-key\.\.\." is not valid: an RSA public key/],
      [{ "hub:portalReportingKeySecretArn": ARGS.snowflakeKeySecretArn, "hub:portalReportingPublicKey": SNOWFLAKE_PUBLIC_KEY }, /hub:portalReportingKeySecretArn: .* a secret of its own, not hub:portalSnowflakeKeySecretArn/],
    ];
    for (const [over, why] of cases) assert.throws(() => parse(over), (e: unknown) => e instanceof ConfigError && why.test(e.message), JSON.stringify(over));
  });
});
