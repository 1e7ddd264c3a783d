/**
 * What Snowflake documents about each SNOWFLAKE.ACCOUNT_USAGE view the billing twin offers: which
 * SNOWFLAKE database role grants SELECT on it, and how far its rows lag. Both sides read this one
 * table: the grant definition (grants.ts) and the deploy replay decide who may read a view from it,
 * the twin's session refuses the rest, and the twin's views hide rows newer than the latency when
 * asked to (pipelines/engine/accountUsage.ts), so the cost report's "complete until" is exercised
 * locally as on Snowflake.
 *
 * Sources (read 2026-12-05):
 * - database roles: https://docs.snowflake.com/en/sql-reference/snowflake-db-roles
 *   ("Database role required to access ACCOUNT_USAGE views");
 * - latency: https://docs.snowflake.com/en/sql-reference/account-usage ("ACCOUNT_USAGE views",
 *   the Latency column; maxima, the actual lag may be less), and each view's own page.
 */

/** The SNOWFLAKE database roles of the ACCOUNT_USAGE schema. */
export type SnowflakeDatabaseRole = "OBJECT_VIEWER" | "USAGE_VIEWER" | "GOVERNANCE_VIEWER" | "SECURITY_VIEWER";
export const SNOWFLAKE_DATABASE_ROLES: readonly SnowflakeDatabaseRole[] = ["OBJECT_VIEWER", "USAGE_VIEWER", "GOVERNANCE_VIEWER", "SECURITY_VIEWER"];

/** The shared database the views live in, and their schema, as Snowflake names them. */
export const SNOWFLAKE_DATABASE = "SNOWFLAKE";
export const ACCOUNT_USAGE_SCHEMA = "ACCOUNT_USAGE";

export interface AccountUsageView {
  /** Any one of these database roles grants SELECT on the view. */
  readonly databaseRoles: readonly SnowflakeDatabaseRole[];
  /** The documented maximum latency, in milliseconds. */
  readonly latencyMs: number;
  /**
   * The column a row's age is measured by: a row is in the view once this time is `latencyMs` old
   * (an hour's meter once the hour has ended, a query once it has finished).
   */
  readonly completedAt: string;
  /** The view's own page. */
  readonly page: string;
}

const PAGE = "https://docs.snowflake.com/en/sql-reference/account-usage/";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Every ACCOUNT_USAGE view the twin has (pipelines/engine/accountUsage.ts creates exactly these). */
export const ACCOUNT_USAGE_VIEWS: Readonly<Record<string, AccountUsageView>> = {
  // "Latency for the view may be up to 180 minutes (3 hours), except for the
  // CREDITS_USED_CLOUD_SERVICES column [up to 6 hours]": the twin lags whole rows by 3 hours.
  WAREHOUSE_METERING_HISTORY: { databaseRoles: ["USAGE_VIEWER"], latencyMs: 3 * HOUR, completedAt: "END_TIME", page: `${PAGE}warehouse_metering_history` },
  WAREHOUSE_EVENTS_HISTORY: { databaseRoles: ["USAGE_VIEWER"], latencyMs: 3 * HOUR, completedAt: "TIMESTAMP", page: `${PAGE}warehouse_events_history` },
  // A day's row is the sum of the hours metered so far, each with the meter's lag.
  METERING_DAILY_HISTORY: { databaseRoles: ["USAGE_VIEWER"], latencyMs: 3 * HOUR, completedAt: "END_TIME", page: `${PAGE}metering_daily_history` },
  QUERY_HISTORY: { databaseRoles: ["GOVERNANCE_VIEWER"], latencyMs: 45 * MINUTE, completedAt: "END_TIME", page: `${PAGE}query_history` },
  // An object view: a monitor appears up to 2 hours after it was created.
  RESOURCE_MONITORS: { databaseRoles: ["OBJECT_VIEWER"], latencyMs: 2 * HOUR, completedAt: "CREATED", page: `${PAGE}resource_monitors` },
  // "Latency for the view may be up to 45 minutes"; only completed runs (SUCCEEDED, FAILED,
  // CANCELLED, SKIPPED), so a run is measured from its COMPLETED_TIME.
  TASK_HISTORY: { databaseRoles: ["USAGE_VIEWER"], latencyMs: 45 * MINUTE, completedAt: "COMPLETED_TIME", page: `${PAGE}task_history` },
  // "Latency for the view may be up to 3 hours"; "use a role that is granted the
  // SNOWFLAKE.USAGE_VIEWER database role".
  DYNAMIC_TABLE_REFRESH_HISTORY: { databaseRoles: ["USAGE_VIEWER"], latencyMs: 3 * HOUR, completedAt: "REFRESH_END_TIME", page: `${PAGE}dynamic_table_refresh_history` },
};

export const ACCOUNT_USAGE_VIEW_NAMES: readonly string[] = Object.keys(ACCOUNT_USAGE_VIEWS);

/**
 * Where the data of `views` is complete at `now`: each view's rows are there up to now minus its
 * latency, and the meter counts whole hours, so the earliest of those, down to the hour.
 */
export function completeUntil(now: Date, views: readonly string[]): Date {
  const lag = Math.max(0, ...views.map((v) => {
    const view = ACCOUNT_USAGE_VIEWS[v];
    if (!view) throw new Error(`${v} is not one of the twin's ACCOUNT_USAGE views (${ACCOUNT_USAGE_VIEW_NAMES.join(", ")})`);
    return view.latencyMs;
  }));
  const t = now.getTime() - lag;
  return new Date(t - (((t % HOUR) + HOUR) % HOUR));
}
