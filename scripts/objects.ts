#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/** Print the DDL of every warehouse object in dependency order: the SQL preview before a deploy. */
import { runCommand, UserError } from "./lib/command.ts";
import { ALL_OBJECTS, findObject, objectName } from "../pipelines/definitions/catalog.ts";
import { deployScript, formatScript } from "../pipelines/render/deployScript.ts";
import type { DialectName } from "../pipelines/dialect/index.ts";

await runCommand({
  name: "objects",
  description: "print the DDL of every warehouse object, in dependency order, for Snowflake or the embedded DuckDB engine",
  usage: "scripts/objects.ts --dialect snowflake|duckdb [--object NAME] [--list]",
  options: {
    dialect: { type: "string", description: "which engine's SQL to print", choices: ["snowflake", "duckdb"], default: "snowflake" },
    object: { type: "string", description: "only this object (qualified, e.g. ANALYTICS.ALERTS, or bare name)", multiple: true },
    list: { type: "boolean", description: "list object names and kinds instead of SQL" },
  },
  examples: ["scripts/objects.ts --dialect snowflake > deploy.sql", "scripts/objects.ts --dialect duckdb --object MACHINE_UTILIZATION_HOURLY"],
  run: ({ options }) => {
    if (options.list) {
      for (const o of ALL_OBJECTS) console.log(`${o.kind.padEnd(18)} ${objectName(o)}`);
      return;
    }
    const only = options.object?.map((n) => {
      const o = findObject(n);
      if (!o) throw new UserError(`--object ${JSON.stringify(n)} is not a defined object; see --list`);
      return o;
    });
    process.stdout.write(formatScript(deployScript(options.dialect as DialectName, only)));
  },
});
