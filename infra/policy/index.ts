/**
 * The hub's policy pack: `pulumi preview --policy-pack infra/policy` (or scripts/tenants.ts
 * --policy-pack infra/policy). The rules live in `rules.ts`; this file only adapts them.
 * Config: `maxAutoSuspendSeconds` (default 300) for the warehouse rule.
 */
import { PolicyPack, type PolicyResource, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_POLICY_OPTIONS, HUB_RULES, type PolicyOptions, type PolicyResourceLike } from "./rules.ts";

function like(r: Pick<PolicyResource, "type" | "name" | "urn" | "props"> & { propertyDependencies?: Record<string, PolicyResource[]> }): PolicyResourceLike {
  const deps = Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, v.map((d) => d.urn)]));
  return { type: r.type, name: r.name, urn: r.urn, props: r.props, propertyDependencies: deps };
}

const configSchema = { properties: { maxAutoSuspendSeconds: { type: "integer" as const, default: DEFAULT_POLICY_OPTIONS.maxAutoSuspendSeconds, minimum: 60 } } };

new PolicyPack("hub-guardrails", {
  policies: HUB_RULES.map((rule): ResourceValidationPolicy | StackValidationPolicy =>
    rule.kind === "resource"
      ? {
          name: rule.name,
          description: rule.description,
          enforcementLevel: rule.enforcementLevel,
          configSchema,
          validateResource: (args, report) => {
            const o = { ...DEFAULT_POLICY_OPTIONS, ...args.getConfig<Partial<PolicyOptions>>() };
            for (const m of rule.check(like({ type: args.type, name: args.name, urn: args.urn, props: args.props }), o)) report(m);
          },
        }
      : {
          name: rule.name,
          description: rule.description,
          enforcementLevel: rule.enforcementLevel,
          configSchema,
          validateStack: (args, report) => {
            const o = { ...DEFAULT_POLICY_OPTIONS, ...args.getConfig<Partial<PolicyOptions>>() };
            for (const v of rule.check(args.resources.map(like), o)) report(v.message, v.urn);
          },
        },
  ),
});
