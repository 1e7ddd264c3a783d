/**
 * "Did you mean" for a mistyped value: the one valid choice within a small edit distance
 * (Levenshtein; case is ignored, so `ACME` suggests `acme`). Cheap enough for every refusal, and
 * silent when nothing is close or two choices are equally close (a guess between two misleads).
 */

/** Edit distance between `a` and `b` (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

/** The closest choice, when one alone is within a third of the value's length (at least 1, at most 3). */
export function closestChoice(value: string, choices: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(value.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const c of choices) {
    const d = editDistance(value, c);
    if (d < bestDistance) [best, bestDistance, tie] = [c, d, false];
    else if (d === bestDistance) tie = true;
  }
  return best !== undefined && !tie && bestDistance <= limit && best !== value ? best : undefined;
}

/** `; did you mean "acme"?` (the suffix of a refusal), or "" when no choice is close. */
export function didYouMean(value: string, choices: readonly string[], quote: (c: string) => string = (c) => JSON.stringify(c)): string {
  const c = closestChoice(value, choices);
  return c === undefined ? "" : `; did you mean ${quote(c)}?`;
}
