/** What a mutation run found, in numbers: Stryker's mutation score and the mutants that lived. */
import type { Stryker } from "@stryker-mutator/core";

type MutantResult = Awaited<ReturnType<Stryker["runMutationTest"]>>[number];

export interface PartSummary {
  readonly mutate: readonly string[];
  readonly tests: readonly string[];
  /** Mutants by Stryker's status (Killed, Survived, Timeout, NoCoverage, CompileError, RuntimeError, Ignored). */
  readonly counts: Readonly<Record<string, number>>;
  /** Killed and timed out (detected), of the mutants the tests ran against. */
  readonly detected: number;
  readonly valid: number;
  readonly survivors: ReadonlyArray<{ where: string; mutator: string; replacement: string }>;
  /** Set when the part was stopped at its time budget: no score. */
  readonly stopped?: string;
}

/** Stryker's mutation score: detected / (detected + survived + no coverage), as a percentage. */
export function score(detected: number, valid: number): number | null {
  return valid === 0 ? null : (100 * detected) / valid;
}

export function partSummary(mutate: readonly string[], tests: readonly string[], results: readonly MutantResult[]): PartSummary {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const valid = detected + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
  const survivors = results
    .filter((r) => r.status === "Survived" || r.status === "NoCoverage")
    .map((r) => ({ where: `${r.fileName}:${r.location.start.line}:${r.location.start.column}`, mutator: r.mutatorName, replacement: (r.replacement ?? "").slice(0, 120) }));
  return { mutate, tests, counts, detected, valid, survivors };
}
