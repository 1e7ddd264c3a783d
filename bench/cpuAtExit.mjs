// Imported (`node --import`) by commandStartup.bench.ts into the command it measures: at exit, writes
// the process's CPU seconds, user + system, to $CPU_AT_EXIT_FILE. Measured from inside because
// spawnSync does not report a child's CPU time, and CPU time, unlike wall time, holds when other
// jobs share the machine's cores.
import { writeFileSync } from "node:fs";

const file = process.env.CPU_AT_EXIT_FILE;
process.on("exit", () => {
  const { user, system } = process.cpuUsage();
  if (file) writeFileSync(file, String((user + system) / 1e6));
});
