/**
 * Waiting on a condition instead of sleeping: `waitFor` checks `condition` every few milliseconds
 * and resolves as soon as it holds. The deadline only bounds a test that would otherwise hang; it
 * is never what a test asserts (a slow machine passes, later). The error names what was awaited.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waited ${deadlineMs} ms for ${what}, in vain`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
