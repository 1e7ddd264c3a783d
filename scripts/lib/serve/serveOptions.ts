/**
 * `serve`'s flags, apart from the script so the image's contract test (tests/infra/dockerImage.test.ts)
 * can hold the task definition's command (infra/aws/portal.ts) to the flags serve really takes.
 */
import { PORTAL_SIGN_IN } from "./portalSignIn.ts";
import { LOG_LEVELS } from "./serveLog.ts";
import { PORTAL_DATA } from "../../../pipelines/portal/portalData.ts";
import { MAX_STATEMENT_TIMEOUT_S } from "../../../pipelines/sql/statementTimeout.ts";
import { UserError } from "../command.ts";

/**
 * The SQL endpoint's statement timeout unless --statement-timeout says otherwise: 5 minutes. One
 * tenant's runaway query holds a core of a small shared machine until it ends; and snowflake-sdk
 * gives up on a request after 360 s (dist/lib/http/base.js DEFAULT_REQUEST_TIMEOUT) and sends the
 * statement again (its retry middleware), while the endpoint answers only when a statement ends,
 * so a statement that outlives 360 s would run once more per retry. Under that, the client hears
 * Snowflake's timeout error instead (docs/serve.md).
 */
export const SERVE_STATEMENT_TIMEOUT_S = 300;

export const SERVE_OPTIONS = {
  home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub); the same hub `npm start` runs" },
  bind: { type: "string", description: "address every listener binds (an IP address; 0.0.0.0 exposes the hub to the network)", default: "127.0.0.1" },
  "mqtt-port": { type: "string", description: "MQTT port for devices with passwords (0 picks a free one)", default: "1883" },
  "mqtts-port": { type: "string", description: "MQTT over TLS for devices with certificates from the hub's CA (provision.ts issues them; 0 picks a free one)", default: "8883" },
  "http-port": { type: "string", description: "HTTP port: SQL endpoint, scan and upload APIs, /healthz, /metrics (0 picks a free one)", default: "8089" },
  tenants: { type: "string", description: "tenant stacks to serve, comma-separated (default: every Pulumi.<tenant>.yaml)" },
  "price-per-credit": { type: "string", description: "money per credit on the portal's cost page (as cost-report's)", default: "3" },
  "statement-timeout": { type: "string", description: "seconds any SQL endpoint statement may run before it is canceled, whatever its session's STATEMENT_TIMEOUT_IN_SECONDS (the smaller non-zero applies, as with a Snowflake warehouse's); 0..604800, 0 = Snowflake's 7-day maximum", default: String(SERVE_STATEMENT_TIMEOUT_S) },
  "max-concurrency": { type: "string", description: "tenant SQL statements of one warehouse that run at once (Snowflake's MAX_CONCURRENCY_LEVEL); the rest wait in order, their wait counting against their statement timeout; 1..1024 (default: from UV_THREADPOOL_SIZE, 2 for Node's default pool of 4)" },
  "max-upload-mb": { type: "string", description: "largest file the upload API takes, in MB", default: "512" },
  "portal-sign-in": { type: "string", description: "how people sign in to the portal: users (the users file's passwords) or cognito-alb (behind the load balancer's Cognito sign-in; production)", choices: PORTAL_SIGN_IN, default: "users" },
  "portal-alb-arn": { type: "string", description: "with cognito-alb: ARN of the load balancer whose signed claims are accepted" },
  "portal-user-pool-id": { type: "string", description: "with cognito-alb: the Cognito user pool (<region>_<id>)" },
  "portal-client-id": { type: "string", description: "with cognito-alb: the pool's app client the load balancer uses" },
  "portal-cognito-domain": { type: "string", description: "with cognito-alb: Cognito's hosted domain (<prefix>.auth.<region>.amazoncognito.com); sign-out then also ends the load balancer's and Cognito's sessions" },
  "portal-logout-uri": { type: "string", description: "with --portal-cognito-domain: where Cognito returns people after sign-out (one of the app client's sign-out URLs)" },
  "portal-data": { type: "string", description: "where the portal reads: twin (this hub's engine) or snowflake (the tenants' account as the portal's service user; SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_DATABASE, HUB_SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH, optional SNOWFLAKE_ACCESS_URL; production)", choices: PORTAL_DATA, default: "twin" },
  "portal-workload-class": { type: "string", description: "with --portal-data snowflake: the tenants' warehouse class the portal reads on (TENANT_<T>_<CLASS>_WH; default bi)" },
  "portal-live-interval": { type: "string", description: "with --portal-data snowflake: least seconds between two warehouse reads of a watched tenant's data watermark by the live stream (default 300; bounds what live pages cost, docs/portal.md)" },
  "log-level": { type: "string", description: "least severe log line written", choices: LOG_LEVELS, default: "info" },
  "log-format": { type: "string", description: "log lines as JSON (for collectors) or text (default: text on a terminal, JSON otherwise)", choices: ["json", "text"] },
} as const;

/**
 * --statement-timeout's seconds, as ALTER SESSION takes STATEMENT_TIMEOUT_IN_SECONDS: digits only
 * (not "1e3", "0x10", "1.5" or " 60", which Number() would read), 0..604800.
 */
export function statementTimeoutOption(flag: string, value: string | undefined): number {
  const n = value !== undefined && /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= MAX_STATEMENT_TIMEOUT_S)) {
    throw new UserError(`${flag} ${JSON.stringify(value ?? "")} must be a whole number of seconds from 0 to ${MAX_STATEMENT_TIMEOUT_S} (0: Snowflake's 7-day maximum)`);
  }
  return n;
}

/** --max-concurrency: a whole number of statements, 1..1024 (libuv's largest threadpool); undefined: the default. */
export function maxConcurrencyOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 1024)) throw new UserError(`${flag} ${JSON.stringify(value)} must be a whole number of statements from 1 to 1024`);
  return n;
}
