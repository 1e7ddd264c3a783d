/** Runs one example stack under Pulumi's mocks (one stack per test process: the runtime is global). */
import { parseStackConfig, type StackConfig } from "../../infra/config.ts";
import { OFFLINE_PACKAGE_LOOKUP, runOffline, type DeclaredResource, type OfflineRun } from "../../infra/offline.ts";
import { readStackConfig } from "../../infra/stackFiles.ts";

/** A well-formed stand-in for the secret public key the stack files do not hold. */
export const TEST_PUBLIC_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0";

export async function offlineStack(stack: string): Promise<{ cfg: StackConfig; run: OfflineRun }> {
  const { raw } = readStackConfig(process.cwd(), stack, { "hub:servicePublicKey": TEST_PUBLIC_KEY });
  const cfg = parseStackConfig(stack, raw);
  return { cfg, run: await runOffline(cfg, { packageLookup: OFFLINE_PACKAGE_LOOKUP }) };
}

export function ofType(run: OfflineRun, type: string): DeclaredResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function inventory(run: OfflineRun): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of run.resources) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}

export function policyStatements(json: unknown): { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }[] {
  return (JSON.parse(String(json)) as { Statement: never[] }).Statement;
}
