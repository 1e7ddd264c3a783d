/**
 * The policy pack's rules for what serves people over the network (the operator portal, issue 23
 * §3): load balancer listeners speak HTTPS with TLS 1.2 or later, plain HTTP only to redirect to
 * HTTPS; ECS tasks get no public IP; an internet-facing ALB writes access logs and sits behind a
 * WAF web ACL, whose metrics are on. (Log groups encrypted with KMS: `logGroupsEncrypted` in
 * rules.ts.) Pure functions over resources, like the rest of rules.ts, which lists them.
 */
import type { PolicyResourceLike, ResourceRule, StackRule } from "./rules.ts";

/** Both type tokens @pulumi/aws registers listeners under (`aws.lb` and its `aws.alb` alias). */
const LISTENERS = new Set(["aws:lb/listener:Listener", "aws:alb/listener:Listener"]);
const LISTENER_RULES = new Set(["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"]);

/**
 * ELB policies that allow nothing below TLS 1.2: the TLS13-1-2/1-3 families, FS-1-2 and TLS-1-2
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
 * ELBSecurityPolicy-TLS13-1-0-… and -1-1-… also offer TLS 1.3 but still admit 1.0 / 1.1.
 */
export const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-|TLS-1-2-)/;

const asList = (v: unknown): any[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** Actions that only send the client to HTTPS: a redirect whose protocol is HTTPS (the ALB's default is #{protocol}, i.e. HTTP again). */
function onlyRedirectsToHttps(actions: unknown): boolean {
  const list = asList(actions);
  return list.length > 0 && list.every((a) => a?.type === "redirect" && String(a?.redirect?.protocol ?? "") === "HTTPS");
}

function listenerProblems(r: PolicyResourceLike): string[] {
  // The provider's default protocol for an application load balancer's listener is HTTP.
  const protocol = String(r.props["protocol"] ?? "HTTP").toUpperCase();
  const port = r.props["port"] ?? "?";
  if (protocol === "HTTPS" || protocol === "TLS") {
    const policy = r.props["sslPolicy"];
    // Unset, ELB picks its default policy, which has admitted TLS 1.0 for most of its history.
    if (typeof policy !== "string" || !TLS12_POLICY.test(policy)) return [`listener ${r.name} (${protocol} ${port}) uses TLS policy ${JSON.stringify(policy ?? "(default)")}, which admits TLS below 1.2; use ELBSecurityPolicy-TLS13-1-2-2021-06 or another TLS 1.2+ policy`];
    return [];
  }
  if (protocol === "HTTP") {
    return onlyRedirectsToHttps(r.props["defaultActions"]) ? [] : [`listener ${r.name} (HTTP ${port}) serves plain HTTP: an HTTP listener may only redirect to HTTPS`];
  }
  return [`listener ${r.name} (${protocol} ${port}) is neither HTTPS nor TLS`];
}

/** Does a listener rule belong to `listener`? By dependency, else by value. */
function ruleOf(rule: PolicyResourceLike, listener: PolicyResourceLike): boolean {
  if (rule.propertyDependencies?.["listenerArn"]?.includes(listener.urn)) return true;
  const ref = rule.props["listenerArn"];
  return ref !== undefined && (ref === listener.id || ref === listener.props["arn"]);
}

export const listenersHttpsOnly: StackRule = {
  kind: "stack",
  name: "lb-listeners-https-only",
  description: "Every load balancer listener is HTTPS (or TLS) with a TLS 1.2+ policy; an HTTP listener, and every rule on it, only redirects to HTTPS.",
  enforcementLevel: "mandatory",
  check: (rs) => {
    const out: { urn: string; message: string }[] = [];
    const listeners = rs.filter((r) => LISTENERS.has(r.type));
    for (const l of listeners) for (const message of listenerProblems(l)) out.push({ urn: l.urn, message });
    const plain = listeners.filter((l) => String(l.props["protocol"] ?? "HTTP").toUpperCase() === "HTTP");
    // A rule on an HTTP listener could forward what its default action only redirects.
    for (const rule of rs.filter((r) => LISTENER_RULES.has(r.type))) {
      const on = plain.find((l) => ruleOf(rule, l));
      if (on && !onlyRedirectsToHttps(rule.props["actions"])) out.push({ urn: rule.urn, message: `listener rule ${rule.name} on HTTP listener ${on.name} does more than redirect to HTTPS` });
    }
    return out;
  },
};

export const ecsTasksNoPublicIp: ResourceRule = {
  kind: "resource",
  name: "ecs-tasks-no-public-ip",
  description: "ECS task definitions use awsvpc networking, and services, task sets and scheduled tasks (EventBridge Scheduler, EventBridge rules) never assign public IPs (assignPublicIp false).",
  enforcementLevel: "mandatory",
  check: (r) => {
    if (r.type === "aws:ecs/taskDefinition:TaskDefinition") {
      // bridge or host networking puts a task on its instance's address, which may be public.
      return r.props["networkMode"] === "awsvpc" ? [] : [`task definition ${r.props["family"] ?? r.name} uses network mode ${JSON.stringify(r.props["networkMode"] ?? "(default: bridge)")}, not awsvpc`];
    }
    if (r.type === "aws:ecs/service:Service" || r.type === "aws:ecs/taskSet:TaskSet") {
      const n = r.props["networkConfiguration"];
      if (n?.assignPublicIp === true) return [`${r.type.split(":").pop()} ${r.name} assigns its tasks public IPs (networkConfiguration.assignPublicIp)`];
    }
    // Tasks started on a schedule are tasks too: EventBridge Scheduler's ECS target and an
    // EventBridge rule's, each with RunTask's awsvpc configuration (the provider's boolean for ENABLED).
    if (r.type === "aws:scheduler/schedule:Schedule" && r.props["target"]?.ecsParameters?.networkConfiguration?.assignPublicIp === true) {
      return [`Schedule ${r.name} runs tasks with public IPs (target.ecsParameters.networkConfiguration.assignPublicIp)`];
    }
    if (r.type === "aws:cloudwatch/eventTarget:EventTarget" && r.props["ecsTarget"]?.networkConfiguration?.assignPublicIp === true) {
      return [`EventTarget ${r.name} runs tasks with public IPs (ecsTarget.networkConfiguration.assignPublicIp)`];
    }
    return [];
  },
};

/** Both type tokens @pulumi/aws registers load balancers under. */
export const LOAD_BALANCERS = new Set(["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"]);
const WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";
const WEB_ACL = "aws:wafv2/webAcl:WebAcl";

/** An internet-facing Application Load Balancer (the provider's defaults: application, internet-facing). */
function internetFacingAlb(r: PolicyResourceLike): boolean {
  return LOAD_BALANCERS.has(r.type) && String(r.props["loadBalancerType"] ?? "application") === "application" && r.props["internal"] !== true;
}

/** Does `ref` (a property of `from`, named `prop`) name `target`? By dependency, else by id or ARN. */
function names(from: PolicyResourceLike, prop: string, target: PolicyResourceLike): boolean {
  if (from.propertyDependencies?.[prop]?.includes(target.urn)) return true;
  const ref = from.props[prop];
  return ref !== undefined && ref !== null && (ref === target.id || ref === target.props["arn"]);
}

/**
 * The buckets load balancers write access logs to: named by a load balancer's `accessLogs.bucket`
 * (by value: the id of an S3 bucket is its name), or depended on through `accessLogs`.
 */
export function albLogBuckets(rs: readonly PolicyResourceLike[]): Set<string> {
  const out = new Set<string>();
  const lbs = rs.filter((r) => LOAD_BALANCERS.has(r.type));
  for (const b of rs.filter((r) => r.type === "aws:s3/bucket:Bucket")) {
    const named = lbs.some((lb) => {
      const bucket = lb.props["accessLogs"]?.bucket;
      return lb.propertyDependencies?.["accessLogs"]?.includes(b.urn) || (bucket !== undefined && (bucket === b.id || bucket === b.props["bucket"]));
    });
    if (named) out.add(b.urn);
  }
  return out;
}

export const internetFacingAlbsGuarded: StackRule = {
  kind: "stack",
  name: "internet-facing-albs-logged-and-firewalled",
  description: "Every internet-facing Application Load Balancer writes access logs (accessLogs.enabled true, a bucket named) and has a WAFv2 web ACL associated (a WebAclAssociation naming it).",
  enforcementLevel: "mandatory",
  check: (rs) => {
    const out: { urn: string; message: string }[] = [];
    const associations = rs.filter((r) => r.type === WEB_ACL_ASSOCIATION);
    for (const lb of rs.filter(internetFacingAlb)) {
      const logs = lb.props["accessLogs"];
      // The provider's default for `enabled` is false, even with a bucket named.
      if (logs?.enabled !== true || !logs?.bucket) out.push({ urn: lb.urn, message: `internet-facing load balancer ${lb.name} writes no access logs (accessLogs.enabled must be true, with a bucket)` });
      if (!associations.some((a) => names(a, "resourceArn", lb))) out.push({ urn: lb.urn, message: `internet-facing load balancer ${lb.name} has no WAF web ACL associated (aws.wafv2.WebAclAssociation)` });
    }
    return out;
  },
};

export const webAclsObservable: ResourceRule = {
  kind: "resource",
  name: "waf-web-acls-metrics-on",
  description: "Every WAFv2 web ACL, and each of its rules, has CloudWatch metrics and sampled requests on (visibilityConfig), so what it blocks can be seen.",
  enforcementLevel: "mandatory",
  check: (r) => {
    if (r.type !== WEB_ACL) return [];
    const on = (v: any) => v?.cloudwatchMetricsEnabled === true && v?.sampledRequestsEnabled === true;
    const out: string[] = [];
    if (!on(r.props["visibilityConfig"])) out.push(`web ACL ${r.props["name"] ?? r.name} has CloudWatch metrics or sampled requests off`);
    for (const rule of asList(r.props["rules"])) if (!on(rule?.visibilityConfig)) out.push(`web ACL ${r.props["name"] ?? r.name}: rule ${rule?.name ?? "?"} has CloudWatch metrics or sampled requests off`);
    return out;
  },
};
