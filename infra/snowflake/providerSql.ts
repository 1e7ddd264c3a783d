/**
 * The SQL the Snowflake provider sends for each resource a stack declares, modelled from the
 * provider's source, and what each statement does to the account (a structured effect the deploy
 * replay applies). `scripts/plan.ts` prints it; `tests/infra/deployReplay.test.ts` replays it.
 *
 * Decision (docs/deploy.md, "What the plan shows"): provider resources stay (their in-place updates,
 * drift detection and imports are worth keeping), and their SQL is modelled here rather than our
 * renderer's SQL being shown in their place. `Execute` resources run our rendered SQL verbatim.
 * Each model names the provider file it follows (terraform-provider-snowflake, read at v1.1.0;
 * @pulumi/snowflake 1.3.0 bridges v1.2.1):
 * - identifiers: pkg/sdk/identifier_helpers.go, `FullyQualifiedName` quotes every part ("DB"."S"."N");
 * - Table: pkg/resources/table.go (`"%v"` around each column name) and pkg/sdk/tables.go;
 * - DynamicTable: pkg/sdk/dynamic_table.go `createDynamicTableOptions` (TARGET_LAG, INITIALIZE,
 *   REFRESH_MODE, WAREHOUSE, COMMENT, AS);
 * - Task: pkg/sdk/tasks_gen.go (WAREHOUSE, SCHEDULE, COMMENT, AFTER, WHEN, AS), then ALTER TASK … RESUME;
 * - RowAccessPolicy / MaskingPolicy: pkg/sdk/row_access_policies_gen.go, pkg/sdk/masking_policy.go,
 *   argument names double-quoted;
 * - ResourceMonitor: pkg/sdk/resource_monitors.go, START_TIMESTAMP single-quoted;
 * - Execute: pkg/resources/execute.go runs `execute` with ExecUnsafe, as given;
 * - GrantDatabaseRole: pkg/resources/grant_database_role.go parses `database_role_name` as a
 *   database object identifier and pkg/sdk/database_role.go (`grantDatabaseRoleOptions`) sends
 *   GRANT DATABASE ROLE "DB"."ROLE" TO ROLE "PARENT".
 * - ApiIntegration: pkg/resources/api_integration.go and pkg/sdk/api_integrations_gen.go
 *   (API_PROVIDER, API_AWS_ROLE_ARN, API_KEY, API_ALLOWED_PREFIXES, API_BLOCKED_PREFIXES, ENABLED,
 *   COMMENT; the name quoted as an account object).
 * - ExternalFunction: pkg/resources/external_function.go and pkg/sdk/external_functions_gen.go
 *   (arguments `name TYPE` unquoted, RETURNS, NULL when `return_null_allowed` (default true; false
 *   sends nothing), the null-input behaviour (default CALLED ON NULL INPUT), VOLATILE | IMMUTABLE,
 *   COMMENT, API_INTEGRATION quoted, HEADERS, CONTEXT_HEADERS, MAX_BATCH_ROWS, COMPRESSION, AS 'url').
 * - GrantPrivilegesToAccountRole on a FUNCTION, EXTERNAL FUNCTION or PROCEDURE: the object name is
 *   parsed with its argument types (pkg/sdk/identifier_parsers.go
 *   `ParseSchemaObjectIdentifierWithArguments`) and sent as "DB"."S"."F"(VARCHAR, VARCHAR): Snowflake
 *   identifies a function by its name and argument types
 *   (https://docs.snowflake.com/en/sql-reference/sql/create-external-function, "name").
 */
import type { DeclaredResource } from "../offline.ts";

/** Who runs a statement: the stack's provider (the deploying role) or the pipeline's provider. */
export const DEPLOYER = "DEPLOYER";

export type Effect =
  | { readonly kind: "database"; readonly name: string }
  | { readonly kind: "schema"; readonly database: string; readonly name: string }
  | { readonly kind: "role"; readonly name: string }
  | { readonly kind: "user"; readonly name: string; readonly defaultRole?: string }
  | { readonly kind: "grantRole"; readonly role: string; readonly toRole?: string; readonly toUser?: string }
  /** A database role (`DATABASE.ROLE`, e.g. SNOWFLAKE.USAGE_VIEWER) granted to an account role. */
  | { readonly kind: "grantDatabaseRole"; readonly databaseRole: string; readonly toRole: string }
  | { readonly kind: "monitor"; readonly name: string }
  | { readonly kind: "warehouse"; readonly name: string; readonly monitor?: string }
  | { readonly kind: "object"; readonly objectType: ObjectType; readonly fqn: readonly [string, string, string]; readonly columns?: readonly string[]; readonly uses?: { readonly warehouse?: string; readonly after?: readonly string[]; readonly table?: string; readonly policies?: readonly string[] } }
  | { readonly kind: "grant"; readonly role: string; readonly privileges: readonly string[]; readonly on: { readonly type: string; readonly name: string } }
  /** An API integration (an account object, like a warehouse). */
  | { readonly kind: "integration"; readonly name: string }
  /** A function: `fqn` plus its argument types make its signature; an external one names its integration. */
  | { readonly kind: "function"; readonly fqn: readonly [string, string, string]; readonly argumentTypes: readonly string[]; readonly integration?: string }
  | { readonly kind: "tag"; readonly objectType: string; readonly object: string; readonly tag: string }
  | { readonly kind: "execute" }
  | { readonly kind: "none" };

export type ObjectType = "TABLE" | "DYNAMIC TABLE" | "STREAM" | "TASK" | "ROW ACCESS POLICY" | "MASKING POLICY" | "TAG";

/** SQL embedded in a statement that Snowflake resolves and runs: what the replay parses. */
export interface Body {
  readonly kind: "query" | "task" | "policy" | "condition" | "execute";
  readonly sql: string;
  /** The role the body runs as (a dynamic table's or task's owner; a policy's argument scope). */
  readonly runsAs: string;
  /** Names the body may refer to that are not objects (a policy's argument). */
  readonly locals?: readonly string[];
}

export interface DeployStep {
  readonly urn: string;
  /** Names of the resources the engine runs before this one (its dependencies). */
  readonly dependsOn: readonly string[];
  readonly type: string;
  /** The role that sends the statements. */
  readonly role: string;
  readonly sql: readonly string[];
  readonly effect: Effect;
  readonly bodies: readonly Body[];
}

const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** A name as the provider's identifier parser reads it: `"A"."B"` or `A.B` into parts. */
export function nameParts(id: string): string[] {
  const parts: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^."]+)/g;
  for (let m = re.exec(id); m; m = re.exec(id)) parts.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!);
  return parts;
}
const fq = (...parts: string[]) => parts.map(q).join(".");

/** Object types a grant names with their argument types (the provider's `IsWithArguments`). */
const WITH_ARGUMENTS = ["FUNCTION", "EXTERNAL FUNCTION", "PROCEDURE"];

/**
 * `"DB"."S"."F"(VARCHAR, NUMBER)` → its three name parts and argument types, as the provider's
 * `ParseSchemaObjectIdentifierWithArguments` reads it; undefined without the `(...)`, which the
 * provider refuses ("'(' not present").
 */
export function functionSignature(text: string): { parts: string[]; argumentTypes: string[] } | undefined {
  const open = text.indexOf("(");
  if (open < 0 || !text.trimEnd().endsWith(")")) return undefined;
  const parts = nameParts(text.slice(0, open));
  const inner = text.slice(open + 1, text.trimEnd().length - 1).trim();
  return { parts, argumentTypes: inner ? inner.split(",").map((t) => t.trim()) : [] };
}

/** The key a function is known by in the replay: `DB.S.F(TYPE, TYPE)`. */
export function signatureKey(parts: readonly string[], argumentTypes: readonly string[]): string {
  return `${parts.join(".")}(${argumentTypes.join(", ")})`;
}
/** A value as SQL text; in a preview an output not yet known (the API's URL) shows as such. */
const known = (v: unknown) => (v && typeof v === "object" && "__pulumiUnknown" in v ? "<known after deploy>" : String(v));
const comment = (c: unknown) => (c ? ` COMMENT = ${lit(String(c))}` : "");

const SF = (name: string) => `snowflake:index/${name.charAt(0).toLowerCase()}${name.slice(1)}:${name}`;

/**
 * The steps of a stack's Snowflake deploy, in the order the program declares its resources (a
 * resource is declared after everything it depends on, so this is an order the engine may run).
 * `pipelineProviders` names the providers whose resources run as HUB_PIPELINE.
 */
export function deploySteps(resources: readonly DeclaredResource[], roleOfProvider: (provider: string | undefined) => string): DeployStep[] {
  const out: DeployStep[] = [];
  // A resource also waits for its provider, and so for what the provider's inputs depend on.
  const providers = new Map(resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => [r.name, r.dependsOn ?? []]));
  for (const r of resources) {
    if (!r.type.startsWith("snowflake:index/")) continue;
    const providerName = r.provider?.split("::").slice(-2, -1)[0];
    const dependsOn = [...(r.dependsOn ?? []), ...(providerName ? [providerName, ...(providers.get(providerName) ?? [])] : [])];
    const p = r.props as Record<string, any>;
    const role = roleOfProvider(r.provider);
    const step = (sql: string[], effect: Effect, bodies: Body[] = []) => out.push({ urn: r.urn, dependsOn, type: r.type, role, sql, effect, bodies });
    switch (r.type) {
      case SF("Database"):
        step([`CREATE DATABASE ${q(p.name)}${comment(p.comment)}`, ...(p.dropPublicSchemaOnCreation ? [`DROP SCHEMA ${fq(p.name, "PUBLIC")}`] : [])], { kind: "database", name: p.name });
        break;
      case SF("Schema"):
        step([`CREATE SCHEMA ${fq(p.database, p.name)}${comment(p.comment)}`], { kind: "schema", database: p.database, name: p.name });
        break;
      case SF("AccountRole"):
        step([`CREATE ROLE ${q(p.name)}${comment(p.comment)}`], { kind: "role", name: p.name });
        break;
      case SF("GrantAccountRole"):
        step([`GRANT ROLE ${q(p.roleName)} TO ${p.userName ? `USER ${q(p.userName)}` : `ROLE ${q(p.parentRoleName)}`}`], { kind: "grantRole", role: p.roleName, ...(p.userName ? { toUser: p.userName } : { toRole: p.parentRoleName }) });
        break;
      case SF("GrantDatabaseRole"): {
        if (!p.parentRoleName) {
          step([`-- ${r.type} to a database role or share: not modelled`], { kind: "none" });
          break;
        }
        const dbRole = nameParts(String(p.databaseRoleName));
        step([`GRANT DATABASE ROLE ${fq(...dbRole)} TO ROLE ${q(p.parentRoleName)}`], { kind: "grantDatabaseRole", databaseRole: dbRole.join("."), toRole: p.parentRoleName });
        break;
      }
      case SF("ServiceUser"):
        step(
          [`CREATE USER ${q(p.name)} RSA_PUBLIC_KEY = '…'${p.defaultRole ? ` DEFAULT_ROLE = ${q(p.defaultRole)}` : ""}${p.defaultWarehouse ? ` DEFAULT_WAREHOUSE = ${q(p.defaultWarehouse)}` : ""}${p.defaultNamespace ? ` DEFAULT_NAMESPACE = ${lit(p.defaultNamespace)}` : ""} TYPE = SERVICE${comment(p.comment)}`],
          { kind: "user", name: p.name, ...(p.defaultRole ? { defaultRole: p.defaultRole } : {}) },
        );
        break;
      case SF("ResourceMonitor"): {
        const triggers = [...(p.notifyTriggers ?? []).map((n: number) => `ON ${n} PERCENT DO NOTIFY`), ...(p.suspendTrigger ? [`ON ${p.suspendTrigger} PERCENT DO SUSPEND`] : []), ...(p.suspendImmediateTrigger ? [`ON ${p.suspendImmediateTrigger} PERCENT DO SUSPEND_IMMEDIATE`] : [])];
        const users = p.notifyUsers?.length ? ` NOTIFY_USERS = (${p.notifyUsers.map(q).join(", ")})` : "";
        step([`CREATE RESOURCE MONITOR ${q(p.name)} WITH CREDIT_QUOTA = ${p.creditQuota} FREQUENCY = ${p.frequency} START_TIMESTAMP = ${lit(String(p.startTimestamp))}${users} TRIGGERS ${triggers.join(" ")}`], { kind: "monitor", name: p.name });
        break;
      }
      case SF("Warehouse"):
        step(
          [`CREATE WAREHOUSE ${q(p.name)} WAREHOUSE_SIZE = ${p.warehouseSize} AUTO_SUSPEND = ${p.autoSuspend} AUTO_RESUME = ${p.autoResume} INITIALLY_SUSPENDED = ${p.initiallySuspended}${p.resourceMonitor ? ` RESOURCE_MONITOR = ${q(p.resourceMonitor)}` : ""}${comment(p.comment)}`],
          { kind: "warehouse", name: p.name, ...(p.resourceMonitor ? { monitor: p.resourceMonitor } : {}) },
        );
        break;
      case SF("Tag"):
        step([`CREATE TAG ${fq(p.database, p.schema, p.name)}${comment(p.comment)}`], { kind: "object", objectType: "TAG", fqn: [p.database, p.schema, p.name] });
        break;
      case SF("TagAssociation"):
        for (const id of p.objectIdentifiers ?? []) {
          const tag = nameParts(p.tagId);
          step([`ALTER ${p.objectType} ${id} SET TAG ${fq(...tag)} = ${lit(p.tagValue)}`], { kind: "tag", objectType: p.objectType, object: nameParts(id).join("."), tag: tag.join(".") });
        }
        break;
      case SF("RowAccessPolicy"):
      case SF("MaskingPolicy"): {
        const rap = r.type === SF("RowAccessPolicy");
        const args = (p.arguments ?? []).map((a: any) => `${q(a.name)} ${a.type}`).join(", ");
        step(
          [`CREATE ${rap ? "ROW ACCESS" : "MASKING"} POLICY ${fq(p.database, p.schema, p.name)} AS (${args}) RETURNS ${rap ? "BOOLEAN" : p.returnDataType} -> ${p.body}${comment(p.comment)}`],
          { kind: "object", objectType: rap ? "ROW ACCESS POLICY" : "MASKING POLICY", fqn: [p.database, p.schema, p.name] },
          [{ kind: "policy", sql: String(p.body), runsAs: role, locals: (p.arguments ?? []).map((a: any) => a.name) }],
        );
        break;
      }
      case SF("Table"): {
        const cols = (p.columns ?? []).map(
          (c: any) => `${q(c.name)} ${c.type}${c.nullable === false ? " NOT NULL" : ""}${c.maskingPolicy ? ` WITH MASKING POLICY ${fq(...nameParts(c.maskingPolicy))}` : ""}${c.comment ? ` COMMENT ${lit(c.comment)}` : ""}`,
        );
        const cluster = p.clusterBies?.length ? ` CLUSTER BY (${p.clusterBies.join(", ")})` : "";
        const tracking = p.changeTracking ? " CHANGE_TRACKING = true" : "";
        step(
          [`CREATE TABLE ${fq(p.database, p.schema, p.name)} (${cols.join(", ")})${cluster}${tracking}${comment(p.comment)}`],
          {
            kind: "object",
            objectType: "TABLE",
            fqn: [p.database, p.schema, p.name],
            columns: (p.columns ?? []).map((c: any) => String(c.name)),
            uses: { policies: (p.columns ?? []).filter((c: any) => c.maskingPolicy).map((c: any) => nameParts(c.maskingPolicy).join(".")) },
          },
          // Cluster keys are expressions over the new table's columns.
          p.clusterBies?.length ? [{ kind: "query", sql: `SELECT ${p.clusterBies.join(", ")} FROM ${fq(p.database, p.schema, p.name)}`, runsAs: role }] : [],
        );
        break;
      }
      case SF("Execute"):
        step([String(p.execute)], { kind: "execute" }, [{ kind: "execute", sql: String(p.execute), runsAs: role }]);
        break;
      case SF("StreamOnTable"): {
        const table = nameParts(p.table);
        step(
          [`CREATE STREAM ${fq(p.database, p.schema, p.name)} ON TABLE ${fq(...table)}${p.appendOnly === "true" ? " APPEND_ONLY = true" : ""}${comment(p.comment)}`],
          { kind: "object", objectType: "STREAM", fqn: [p.database, p.schema, p.name], uses: { table: table.join(".") } },
        );
        break;
      }
      case SF("DynamicTable"): {
        const lag = p.targetLag?.downstream ? "DOWNSTREAM" : lit(String(p.targetLag?.maximumDuration));
        step(
          [
            `CREATE DYNAMIC TABLE ${fq(p.database, p.schema, p.name)} TARGET_LAG = ${lag}${p.initialize ? ` INITIALIZE = ${p.initialize}` : ""}${p.refreshMode ? ` REFRESH_MODE = ${p.refreshMode}` : ""} WAREHOUSE = ${q(p.warehouse)}${comment(p.comment)} AS ${p.query}`,
          ],
          { kind: "object", objectType: "DYNAMIC TABLE", fqn: [p.database, p.schema, p.name], uses: { warehouse: p.warehouse } },
          [{ kind: "query", sql: String(p.query), runsAs: role }],
        );
        break;
      }
      case SF("Task"): {
        const schedule = p.schedule?.minutes ? ` SCHEDULE = '${p.schedule.minutes} MINUTE'` : p.schedule?.usingCron ? ` SCHEDULE = 'USING CRON ${p.schedule.usingCron}'` : "";
        const after = p.afters?.length ? ` AFTER ${p.afters.map((a: string) => fq(...nameParts(a))).join(", ")}` : "";
        const when = p.when ? ` WHEN ${p.when}` : "";
        const name = fq(p.database, p.schema, p.name);
        step(
          [`CREATE TASK ${name} WAREHOUSE = ${q(p.warehouse)}${schedule}${comment(p.comment)}${after}${when} AS ${p.sqlStatement}`, ...(p.started ? [`ALTER TASK ${name} RESUME`] : [])],
          { kind: "object", objectType: "TASK", fqn: [p.database, p.schema, p.name], uses: { warehouse: p.warehouse, after: (p.afters ?? []).map((a: string) => nameParts(a).join(".")) } },
          [{ kind: "task", sql: String(p.sqlStatement), runsAs: role }, ...(p.when ? [{ kind: "condition" as const, sql: String(p.when), runsAs: role }] : [])],
        );
        break;
      }
      case SF("GrantPrivilegesToAccountRole"): {
        const objectType = p.onSchemaObject ? String(p.onSchemaObject.objectType) : "";
        // A function is named by its signature; without one the provider refuses the grant, and
        // the replay finds no such function (functionSignature is undefined).
        const fn = WITH_ARGUMENTS.includes(objectType) ? functionSignature(String(p.onSchemaObject.objectName)) : undefined;
        const on = p.onAccount
          ? { type: "ACCOUNT", name: "" }
          : p.onAccountObject
            ? { type: String(p.onAccountObject.objectType), name: nameParts(String(p.onAccountObject.objectName)).join(".") }
            : p.onSchema
              ? { type: "SCHEMA", name: nameParts(String(p.onSchema.schemaName)).join(".") }
              : { type: objectType, name: fn ? signatureKey(fn.parts, fn.argumentTypes) : nameParts(String(p.onSchemaObject.objectName)).join(".") };
        const target = on.type === "ACCOUNT" ? "ACCOUNT" : fn ? `${on.type} ${fq(...fn.parts)}(${fn.argumentTypes.join(", ")})` : `${on.type} ${fq(...on.name.split("."))}`;
        step([`GRANT ${p.privileges.join(", ")} ON ${target} TO ROLE ${q(p.accountRoleName)}`], { kind: "grant", role: p.accountRoleName, privileges: p.privileges, on });
        break;
      }
      case SF("ApiIntegration"): {
        const prefixes = (xs: unknown) => `(${(Array.isArray(xs) ? xs : [xs]).map((x) => lit(known(x))).join(", ")})`;
        const aws = String(p.apiProvider).startsWith("aws_");
        step(
          [
            `CREATE API INTEGRATION ${q(p.name)} API_PROVIDER = ${p.apiProvider}${aws ? ` API_AWS_ROLE_ARN = ${lit(known(p.apiAwsRoleArn))}` : ""}${p.apiKey ? " API_KEY = '…'" : ""} API_ALLOWED_PREFIXES = ${prefixes(p.apiAllowedPrefixes ?? [])}${p.apiBlockedPrefixes?.length ? ` API_BLOCKED_PREFIXES = ${prefixes(p.apiBlockedPrefixes)}` : ""} ENABLED = ${p.enabled ? "true" : "false"}${comment(p.comment)}`,
          ],
          { kind: "integration", name: p.name },
        );
        break;
      }
      case SF("ExternalFunction"): {
        const args = (p.args ?? []) as { name: string; type: string }[];
        const headers = p.headers?.length ? ` HEADERS = (${p.headers.map((h: any) => `${lit(h.name)} = ${lit(h.value)}`).join(", ")})` : "";
        const contextHeaders = p.contextHeaders?.length ? ` CONTEXT_HEADERS = (${p.contextHeaders.join(", ")})` : "";
        step(
          [
            `CREATE EXTERNAL FUNCTION ${fq(p.database, p.schema, p.name)} (${args.map((a) => `${a.name} ${a.type}`).join(", ")}) RETURNS ${p.returnType}${p.returnNullAllowed !== false ? " NULL" : ""} ${p.nullInputBehavior ?? "CALLED ON NULL INPUT"} ${p.returnBehavior}${comment(p.comment)} API_INTEGRATION = ${q(known(p.apiIntegration))}${headers}${contextHeaders}${p.maxBatchRows ? ` MAX_BATCH_ROWS = ${p.maxBatchRows}` : ""}${p.compression ? ` COMPRESSION = ${p.compression}` : ""} AS ${lit(known(p.urlOfProxyAndResource))}`,
          ],
          { kind: "function", fqn: [p.database, p.schema, p.name], argumentTypes: args.map((a) => a.type), integration: p.apiIntegration },
        );
        break;
      }
      default:
        step([`-- ${r.type}: not modelled`], { kind: "none" });
    }
  }
  return out;
}

/** The role each Snowflake resource's statements run as: its provider's `role`, else the deploying role. */
export function providerRoles(resources: readonly DeclaredResource[]): (provider: string | undefined) => string {
  const providers = resources.filter((r) => r.type === "pulumi:providers:snowflake");
  return (ref) => {
    // A provider reference is `<urn>::<id>`; the URN ends in the provider's name.
    const name = ref?.split("::").slice(-2, -1)[0];
    const p = providers.find((x) => x.name === name);
    return typeof p?.props["role"] === "string" && p.props["role"] ? String(p.props["role"]) : DEPLOYER;
  };
}
