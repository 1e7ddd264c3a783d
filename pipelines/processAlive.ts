/** Whether a process of this machine with this pid exists: a lock or serve file left by a killed process names a pid that does not. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but is another user's.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
