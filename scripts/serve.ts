#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * `npm run serve`: the hub as a running platform on this machine (scripts/lib/serve/hubService.ts):
 * the engine on the wall clock, the MQTT broker devices publish to, a Snowflake-protocol SQL
 * endpoint, the scan and file-upload APIs, /healthz and /metrics. Runs until SIGTERM or Ctrl-C,
 * which drain and exit 0; the addresses are in HOME/serve.json once it is ready.
 */
import { runCommand, UserError } from "./lib/command.ts";
import { hubHome } from "../pipelines/hubHome.ts";
import { PROJECT_DIR } from "../edge/fleetStackFile.ts";
import { listOption, numberOption, oneOf, stackOption } from "./lib/optionValues.ts";
import { HubService } from "./lib/serve/hubService.ts";
import { LOG_LEVELS, createLogger, type LogLevel } from "./lib/serve/serveLog.ts";
import { PORTAL_SIGN_IN, portalIdentity } from "./lib/serve/portalSignIn.ts";
import { portalDataOption } from "./lib/serve/portalDataOption.ts";
import { PORTAL_DATA } from "../pipelines/portal/portalData.ts";
import { isIP } from "node:net";

/** How long a drain may take before the process gives up on it and exits 1. */
const STOP_TIMEOUT_MS = 30_000;

await runCommand({
  name: "serve",
  description:
    "run the hub as a service on the wall clock: the engine (tasks every minute, dynamic tables by their lag, billing, monitors), the MQTT broker " +
    "for provisioned devices, a Snowflake-protocol SQL endpoint (snowflake-sdk connects to it), the RFID scan and file-upload APIs, /healthz and " +
    "/metrics; until SIGTERM or Ctrl-C, which drain and exit 0",
  usage: "npm run serve -- [--home DIR] [--bind ADDR] [--mqtt-port N] [--mqtts-port N] [--http-port N] [--tenants a,b] [--log-level L] [--log-format json|text]",
  options: {
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub); the same hub `npm start` runs" },
    bind: { type: "string", description: "address every listener binds (an IP address; 0.0.0.0 exposes the hub to the network)", default: "127.0.0.1" },
    "mqtt-port": { type: "string", description: "MQTT port for devices with passwords (0 picks a free one)", default: "1883" },
    "mqtts-port": { type: "string", description: "MQTT over TLS for devices with certificates from the hub's CA (provision.ts issues them; 0 picks a free one)", default: "8883" },
    "http-port": { type: "string", description: "HTTP port: SQL endpoint, scan and upload APIs, /healthz, /metrics (0 picks a free one)", default: "8089" },
    tenants: { type: "string", description: "tenant stacks to serve, comma-separated (default: every Pulumi.<tenant>.yaml)" },
    "price-per-credit": { type: "string", description: "money per credit on the portal's cost page (as cost-report's)", default: "3" },
    "max-upload-mb": { type: "string", description: "largest file the upload API takes, in MB", default: "512" },
    "portal-sign-in": { type: "string", description: "how people sign in to the portal: users (the users file's passwords) or cognito-alb (behind the load balancer's Cognito sign-in; production)", choices: PORTAL_SIGN_IN, default: "users" },
    "portal-alb-arn": { type: "string", description: "with cognito-alb: ARN of the load balancer whose signed claims are accepted" },
    "portal-user-pool-id": { type: "string", description: "with cognito-alb: the Cognito user pool (<region>_<id>)" },
    "portal-client-id": { type: "string", description: "with cognito-alb: the pool's app client the load balancer uses" },
    "portal-data": { type: "string", description: "where the portal reads: twin (this hub's engine) or snowflake (the tenants' account as the portal's service user; SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_DATABASE, HUB_SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH, optional SNOWFLAKE_ACCESS_URL; production)", choices: PORTAL_DATA, default: "twin" },
    "portal-workload-class": { type: "string", description: "with --portal-data snowflake: the tenants' warehouse class the portal reads on (TENANT_<T>_<CLASS>_WH; default bi)" },
    "log-level": { type: "string", description: "least severe log line written", choices: LOG_LEVELS, default: "info" },
    "log-format": { type: "string", description: "log lines as JSON (for collectors) or text (default: text on a terminal, JSON otherwise)", choices: ["json", "text"] },
  },
  examples: [
    "npm run serve",
    "npm run serve -- --http-port 0 --mqtt-port 0 --home /tmp/hub",
    "npm run serve -- --tenants acme --log-format json --log-level debug",
  ],
  run: async ({ options }) => {
    const bind = options.bind ?? "127.0.0.1";
    if (!isIP(bind)) throw new UserError(`--bind ${JSON.stringify(bind)} must be an IP address such as 127.0.0.1`);
    const mqttPort = numberOption("--mqtt-port", options["mqtt-port"], { integer: true, min: 0, max: 65_535, what: "a port number" });
    const mqttsPort = numberOption("--mqtts-port", options["mqtts-port"], { integer: true, min: 0, max: 65_535, what: "a port number" });
    const httpPort = numberOption("--http-port", options["http-port"], { integer: true, min: 0, max: 65_535, what: "a port number" });
    const pricePerCredit = numberOption("--price-per-credit", options["price-per-credit"], { min: 0 });
    const maxUploadMb = numberOption("--max-upload-mb", options["max-upload-mb"], { above: 0, max: 65_536, what: "a size in MB" });
    const tenants = options.tenants === undefined ? undefined : listOption("--tenants", options.tenants).map((t) => stackOption("--tenants", t, PROJECT_DIR, "tenant"));
    const level = oneOf("--log-level", options["log-level"] ?? "info", LOG_LEVELS) as LogLevel;
    const format = (options["log-format"] ?? (process.stderr.isTTY ? "text" : "json")) as "json" | "text";
    const identity = portalIdentity({ mode: options["portal-sign-in"], albArn: options["portal-alb-arn"], userPoolId: options["portal-user-pool-id"], clientId: options["portal-client-id"] });
    const portalData = portalDataOption({ mode: options["portal-data"], workloadClass: options["portal-workload-class"] });
    const log = createLogger({ level, format });
    const service = await HubService.start({
      home: hubHome(options.home), projectDir: PROJECT_DIR, tenants, bind, mqttPort, mqttsPort, httpPort, maxUploadBytes: Math.round(maxUploadMb * 1_048_576), pricePerCredit, log,
      ...(identity ? { portalIdentity: identity } : {}),
      ...(portalData ? { portalData } : {}),
    });
    if (process.stdout.isTTY) {
      console.log(`The hub is served: the portal on ${service.info.http}/portal/, SQL (snowflake-sdk: accessUrl) and APIs on ${service.info.http}, MQTT on ${service.info.mqtt} and ${service.info.mqtts}.`);
      console.log(`Add a portal user: scripts/users.ts add --tenant acme --user ana   Query: scripts/sql.ts "SELECT COUNT(*) FROM RAW.SENSOR_READINGS"   Stop: Ctrl-C`);
    }
    await new Promise<void>((resolve) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) {
          log("warn", "stopping now, without draining", { signal: sig });
          process.exit(130);
        }
        const timer = setTimeout(() => {
          log("error", "the drain did not finish in time; exiting", { timeoutMs: STOP_TIMEOUT_MS });
          process.exit(1);
        }, STOP_TIMEOUT_MS);
        timer.unref();
        service.stop(sig).then(
          () => resolve(),
          (e: Error) => {
            log("error", "stop failed", { error: e.message });
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });
  },
});
