/**
 * How long a test lets a child process (a script under tsx) run before killing it. It bounds a
 * hang, never speed: on a loaded 2-core machine (CI runs two test files at once) starting tsx on a
 * script that loads the Pulumi or AWS SDK packages took over 60 s, and a child killed by its bound
 * fails the test with an exit code of null instead of the answer it would have given. The runner's
 * own bound (--test-timeout) is 600 s per test.
 */
export const CHILD_PROCESS_BOUND_MS = 300_000;
