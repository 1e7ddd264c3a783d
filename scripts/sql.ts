#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/** Run SQL against the local hub as a role: a tenant role sees only its rows, masked. */
import { runCommand, UserError } from "./lib/command.ts";
import { textTable } from "./lib/textTable.ts";
import { EmbeddedEngine } from "../pipelines/engine/embeddedEngine.ts";
import { hubDatabasePath, hubHome } from "../pipelines/hubHome.ts";
import { ADMIN_ROLE } from "../pipelines/definitions/governance.ts";
import { existsSync } from "node:fs";

await runCommand({
  name: "sql",
  description: "run a query against the local hub (HUB_HOME) as a role",
  usage: 'scripts/sql.ts [--role ROLE] [--json] [--home DIR] "SELECT ..."',
  options: {
    role: { type: "string", description: "session role; tenant roles see only their tenants' rows", default: ADMIN_ROLE },
    json: { type: "boolean", description: "print rows as JSON" },
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
  },
  examples: [
    `scripts/sql.ts "SELECT * FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY LIMIT 5"`,
    `scripts/sql.ts --role TENANT_ACME_ROLE --json "SELECT tenant_id, COUNT(*) FROM CORE.SENSOR_READINGS_NORMALIZED GROUP BY 1"`,
  ],
  run: async ({ options, positionals }) => {
    const sql = positionals.join(" ").trim();
    if (!sql) throw new UserError("no SQL given; pass the query as an argument");
    const path = hubDatabasePath(hubHome(options.home));
    if (!existsSync(path)) throw new UserError(`there is no hub at ${path}; run \`npm start\` first or pass --home`);
    const engine = await EmbeddedEngine.open({ path });
    try {
      const role = options.role ?? ADMIN_ROLE;
      const roles = await engine.roles();
      // The engine answers as Snowflake does, naming no other role; this is the hub's own operator,
      // who may see them all.
      if (!roles.includes(role.toUpperCase())) throw new UserError(`--role ${JSON.stringify(role)} is not a role of this hub (roles: ${roles.join(", ")})`);
      const session = await engine.session({ role });
      const rows = await session.query(sql);
      if (options.json) console.log(JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
      else console.log(textTable(rows));
      await session.close();
    } finally {
      await engine.close();
    }
  },
});
