/**
 * The policy pack's rules for what serves people over the network (the operator portal, issue 23
 * §3): load balancer listeners speak HTTPS with TLS 1.2 or later, plain HTTP only to redirect to
 * HTTPS; ECS tasks get no public IP. (Log groups encrypted with KMS: `logGroupsEncrypted` in
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
  description: "ECS task definitions use awsvpc networking and services and task sets never assign public IPs (assignPublicIp false).",
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
    return [];
  },
};
