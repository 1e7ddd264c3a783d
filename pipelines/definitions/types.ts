/**
 * The shapes of warehouse object definitions. Each object is defined once (in this folder); the
 * Pulumi program turns a definition into Snowflake resources and the embedded engine runs the same
 * definition on DuckDB. SQL text inside a definition is a function of the dialect, so every
 * engine difference goes through `pipelines/dialect`.
 */
import type { ColumnType, Dialect } from "../dialect/index.ts";

/** Snowflake schemas of the hub's database; DuckDB gets schemas of the same names. */
export type SchemaName = "RAW" | "CORE" | "ANALYTICS" | "ML" | "OPS" | "GOVERNANCE";

export const SCHEMAS: readonly SchemaName[] = ["GOVERNANCE", "RAW", "CORE", "ANALYTICS", "ML", "OPS"];

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable?: boolean;
  readonly comment: string;
  /** Column carries personal data and gets the masking policy. */
  readonly pii?: boolean;
  /**
   * How many distinct values a text column holds, for the embedded engine's storage (Snowflake
   * chooses its own encodings). `low` (tenants, devices, metric names): stored dictionary-encoded;
   * `high` (text that differs in every row but shares its substrings, such as JSON payloads):
   * FSST-compressed. Either way DuckDB skips trying every other encoding first.
   */
  readonly cardinality?: "low" | "high";
}

interface ObjectBase {
  readonly schema: SchemaName;
  readonly name: string;
  readonly comment: string;
}

export interface TableDef extends ObjectBase {
  readonly kind: "table";
  readonly columns: readonly ColumnDef[];
  /** Snowflake clustering key expressions. */
  readonly clusterBy?: readonly string[];
  /** Rows are only ever appended; streams on it are APPEND_ONLY and the engine refuses deletes. */
  readonly appendOnly?: boolean;
  /** Scratch tables Snowflake may keep TRANSIENT (no fail-safe). */
  readonly transient?: boolean;
  /**
   * Reference data owned by the definition (rules, catalogues): the table is replaced and
   * reloaded with these rows on every deploy, on both targets.
   */
  readonly seed?: () => ReadonlyArray<Readonly<Record<string, SeedValue>>>;
}

export type SeedValue = string | number | boolean | null;

export interface StreamDef extends ObjectBase {
  readonly kind: "stream";
  /** Qualified name of the table the stream is on (`SCHEMA.TABLE`). */
  readonly on: string;
  readonly appendOnly: true;
}

/** How a dynamic table is refreshed incrementally from one append-only source. */
export interface IncrementalSpec {
  /** Qualified name of the append-only source whose new rows drive the refresh. */
  readonly source: string;
  /**
   * The group keys: each output column and the expression over the source row that produces it.
   * A refresh recomputes only the groups whose keys appear among the new source rows.
   */
  readonly keys: ReadonlyArray<{ readonly column: string; readonly sourceExpr: (d: Dialect, alias: string) => string }>;
  /**
   * A time column of the source and the unit its groups are bucketed by. Every source row that can
   * affect a changed group has `timeColumn >= date_trunc(bucket, min(timeColumn of the new rows))`,
   * which lets the refresh skip old data. Omit when groups are not time-bounded.
   */
  readonly timeBound?: { readonly timeColumn: string; readonly bucket: "second" | "minute" | "hour" | "day" };
  /**
   * When the groups' columns are decomposable (sums, maxima, minima), a refresh computes the
   * query over the new source rows only and combines each touched group with its stored row:
   * the cost follows the new rows, not the size of the touched groups. Without it, touched
   * groups are recomputed from all their source rows.
   */
  readonly merge?: MergeSpec;
}

/** How a group's stored row and the partial row from new source rows combine. */
export type MergeRule =
  | "sum"
  | "max"
  | "min"
  /** Any non-null value (descriptive columns: site, severity). */
  | "any"
  /** The value from whichever side has the larger value in `column`. */
  | { readonly argMaxOf: string }
  /** Recomputed from the combined columns with this SQL expression (ratios, means). */
  | { readonly derive: string };

export interface MergeSpec {
  /** A rule for every non-key column of the dynamic table. */
  readonly columns: Readonly<Record<string, MergeRule>>;
}

/** Context passed to a dynamic table's query: which rows of its incremental source to read. */
export interface QueryScope {
  /**
   * A predicate over the incremental source, referenced through the alias the query gives it;
   * null for a full refresh (and always for Snowflake, which runs its own incremental refresh).
   */
  readonly sourcePredicate: ((alias: string) => string) | null;
}

export const FULL_SCOPE: QueryScope = { sourcePredicate: null };

/** `AND (<scope predicate>)` for a WHERE clause, or nothing on a full refresh. */
export function andScope(scope: QueryScope, alias: string): string {
  return scope.sourcePredicate ? ` AND (${scope.sourcePredicate(alias)})` : "";
}

/**
 * How Snowflake refreshes a dynamic table, declared rather than left to AUTO: AUTO resolves once, at
 * creation, and a query with a construct incremental refresh does not support silently becomes a
 * full refresh every time. Declared INCREMENTAL, such a query fails the deploy instead
 * (https://docs.snowflake.com/en/user-guide/dynamic-tables/supported-queries). The twin refreshes
 * each table the way its mode says, so its billing shows what Snowflake will run.
 */
export type RefreshMode =
  | { readonly mode: "INCREMENTAL" }
  /** Why the table cannot be incremental on Snowflake (shown in docs and the cost what-if). */
  | { readonly mode: "FULL"; readonly reason: string };

export const INCREMENTAL: RefreshMode = { mode: "INCREMENTAL" };

export interface DynamicTableDef extends ObjectBase {
  readonly kind: "dynamic_table";
  /** Snowflake REFRESH_MODE, and how the twin refreshes it. */
  readonly refreshMode: RefreshMode;
  readonly columns: readonly ColumnDef[];
  /** Snowflake TARGET_LAG, e.g. `1 minute`, or `DOWNSTREAM`. */
  readonly targetLag: string;
  /** Name of the warehouse (from `warehouses.ts`) that refreshes it. */
  readonly warehouse: string;
  /** Qualified names of the objects the query reads; the refresh order follows them. */
  readonly dependsOn: readonly string[];
  readonly incremental?: IncrementalSpec;
  /** The query, with the incremental scope to apply to its incremental source. */
  readonly query: (d: Dialect, scope: QueryScope) => string;
}

export interface TaskDef extends ObjectBase {
  readonly kind: "task";
  readonly warehouse: string;
  /** Root tasks have a schedule (`N MINUTE` or `USING CRON ...`); children have `after`. */
  readonly schedule?: string;
  readonly after?: readonly string[];
  /** Qualified stream names: the task runs only when one has data (SYSTEM$STREAM_HAS_DATA). */
  readonly whenStreamHasData?: readonly string[];
  /** Streams the body consumes; their offsets advance when the task's transaction commits. */
  readonly consumes: readonly string[];
  /** Statements run in one transaction, in order. */
  readonly body: (d: Dialect) => readonly string[];
  /**
   * Statements run before that transaction opens: the DDL of scratch tables the body fills
   * (`Dialect.materialize`), since on Snowflake DDL commits an open transaction. They read no stream.
   */
  readonly setup?: (d: Dialect) => readonly string[];
  /**
   * An external function the task calls on the rows of a query, before its body reads the answers
   * (Dialect.externalCall). Snowflake calls it in SQL; the twin's runner calls the resolver the
   * engine was given for it.
   */
  readonly external?: ExternalCall;
}

/**
 * A Snowflake EXTERNAL FUNCTION: a remote service behind an API integration. Not a schema object
 * of the catalog's deploy: it needs the API Gateway's URL and the integration, so the Pulumi
 * program creates it beside them (infra/snowflake/noteFunction.ts); the twin resolves it to a
 * TypeScript backend. Its request and response bodies are Snowflake's
 * (https://docs.snowflake.com/en/sql-reference/external-functions-data-format):
 * `{"data": [[row, arg1, ...], ...]}` in, `{"data": [[row, answer], ...]}` out.
 */
export interface ExternalFunctionDef extends ObjectBase {
  readonly kind: "external_function";
  readonly arguments: ReadonlyArray<{ readonly name: string; readonly type: ColumnType }>;
  /** Always VARIANT (`json`): the answer is an object. */
  readonly returns: "json";
  /** MAX_BATCH_ROWS: rows Snowflake sends per request, so one request stays inside the service's timeout. */
  readonly maxBatchRows: number;
}

export interface ExternalCall {
  readonly fn: ExternalFunctionDef;
  /** A query whose first column is `call_key` and whose next columns are the function's arguments, in order. */
  readonly input: (d: Dialect) => string;
  /** The scratch table the answers land in, `(call_key, answer)`. */
  readonly into: { readonly schema: SchemaName; readonly name: string };
}

export interface RowAccessPolicyDef extends ObjectBase {
  readonly kind: "row_access_policy";
  /** The argument column name and type the policy receives (the tenant column). */
  readonly argument: { readonly name: string; readonly type: ColumnType };
  /** Boolean expression over the argument (passed as `arg`), current role and the tenant map. */
  readonly body: (d: Dialect, arg: string) => string;
  /** Which tables it is attached to, and on which column. */
  readonly column: string;
}

export interface MaskingPolicyDef extends ObjectBase {
  readonly kind: "masking_policy";
  readonly argument: { readonly name: string; readonly type: ColumnType };
  /** The value to return, as an expression over the argument (passed as `arg`). */
  readonly body: (d: Dialect, arg: string) => string;
}

export interface TagDef extends ObjectBase {
  readonly kind: "tag";
  readonly allowedValues?: readonly string[];
}

export type WarehouseSize =
  | "XSMALL"
  | "SMALL"
  | "MEDIUM"
  | "LARGE"
  | "XLARGE"
  | "XXLARGE"
  | "XXXLARGE"
  | "X4LARGE"
  | "X5LARGE"
  | "X6LARGE";

export interface WarehouseDef {
  readonly kind: "warehouse";
  readonly name: string;
  readonly comment: string;
  readonly size: WarehouseSize;
  /** Seconds idle before the warehouse suspends itself. */
  readonly autoSuspendSeconds: number;
  readonly autoResume: boolean;
  readonly initiallySuspended: boolean;
  /** Name of the resource monitor that caps it. */
  readonly resourceMonitor: string;
}

export type MonitorFrequency = "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY" | "NEVER";

export interface ResourceMonitorDef {
  readonly kind: "resource_monitor";
  readonly name: string;
  readonly creditQuota: number;
  readonly frequency: MonitorFrequency;
  /** Percentages of the quota. */
  readonly notifyAt: readonly number[];
  readonly suspendAt: number;
  readonly suspendImmediateAt: number;
}

/** Every schema-level object; warehouses and monitors are account-level and listed separately. */
export type SchemaObjectDef =
  | TableDef
  | StreamDef
  | DynamicTableDef
  | TaskDef
  | RowAccessPolicyDef
  | MaskingPolicyDef
  | TagDef;

export type ObjectDef = SchemaObjectDef | WarehouseDef | ResourceMonitorDef;

export function qualifiedName(o: { schema: SchemaName; name: string }): string {
  return `${o.schema}.${o.name}`;
}

/** Column helper: keeps definitions short and every column documented. */
export function col(
  name: string,
  type: ColumnType,
  comment: string,
  opts: { nullable?: boolean; pii?: boolean; cardinality?: ColumnDef["cardinality"] } = {},
): ColumnDef {
  return { name, type, comment, nullable: opts.nullable ?? true, pii: opts.pii ?? false, ...(opts.cardinality ? { cardinality: opts.cardinality } : {}) };
}

/** Tables (and dynamic tables) that carry a tenant column get the row access policy. */
export const TENANT_COLUMN = "tenant_id";

export function hasTenantColumn(o: { columns: readonly ColumnDef[] }): boolean {
  return o.columns.some((c) => c.name === TENANT_COLUMN);
}
