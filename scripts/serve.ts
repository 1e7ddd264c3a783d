#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * `npm run serve`: the hub as a running platform on this machine (scripts/lib/serve/hubService.ts):
 * the engine on the wall clock, the MQTT broker devices publish to, a Snowflake-protocol SQL
 * endpoint, the scan and file-upload APIs, /healthz and /metrics. Runs until SIGTERM or Ctrl-C,
 * which drain and exit 0; the addresses are in HOME/serve.json once it is ready.
 */
import { runCommand, UserError } from "./lib/command.ts";
import { hubHome } from "../pipelines/hubHome.ts";
import { listOption, numberOption, oneOf, PROJECT_DIR, stackOption } from "./lib/optionValues.ts";
import { LOG_LEVELS, createLogger, type LogLevel } from "./lib/serve/serveLog.ts";
import { portalIdentity, portalSignOut } from "./lib/serve/portalSignIn.ts";
import { portalDataOption } from "./lib/serve/portalDataOption.ts";
import { SERVE_OPTIONS, maxConcurrencyOption, statementTimeoutOption } from "./lib/serve/serveOptions.ts";
import { isIP } from "node:net";

/** How long a drain may take before the process gives up on it and exits 1. */
const STOP_TIMEOUT_MS = 30_000;

await runCommand({
  name: "serve",
  description:
    "run the hub as a service on the wall clock: the engine (tasks every minute, dynamic tables by their lag, billing, monitors), the MQTT broker " +
    "for provisioned devices, a Snowflake-protocol SQL endpoint (snowflake-sdk connects to it), the RFID scan and file-upload APIs, /healthz and " +
    "/metrics; until SIGTERM or Ctrl-C, which drain and exit 0",
  usage: "npm run serve -- [--home DIR] [--bind ADDR] [--mqtt-port N] [--mqtts-port N] [--http-port N] [--tenants a,b] [--statement-timeout S] [--max-concurrency N] [--log-level L] [--log-format json|text]",
  options: SERVE_OPTIONS,
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
    const statementTimeoutSeconds = statementTimeoutOption("--statement-timeout", options["statement-timeout"]);
    const maxConcurrency = maxConcurrencyOption("--max-concurrency", options["max-concurrency"]);
    const tenants = options.tenants === undefined ? undefined : listOption("--tenants", options.tenants).map((t) => stackOption("--tenants", t, PROJECT_DIR, "tenant"));
    const level = oneOf("--log-level", options["log-level"] ?? "info", LOG_LEVELS) as LogLevel;
    const format = (options["log-format"] ?? (process.stderr.isTTY ? "text" : "json")) as "json" | "text";
    const signInFlags = {
      mode: options["portal-sign-in"], albArn: options["portal-alb-arn"], userPoolId: options["portal-user-pool-id"], clientId: options["portal-client-id"],
      cognitoDomain: options["portal-cognito-domain"], logoutUri: options["portal-logout-uri"],
    };
    const identity = portalIdentity(signInFlags);
    const signOut = portalSignOut(signInFlags);
    const portalData = portalDataOption({ mode: options["portal-data"], workloadClass: options["portal-workload-class"], liveInterval: options["portal-live-interval"] });
    const log = createLogger({ level, format });
    // Loaded once every flag is checked: the service's modules (DuckDB, the broker, the SQL
    // transpiler, the trainers, the AWS SDK) are seconds of start-up that --help or a refused flag
    // should not wait for.
    const { HubService } = await import("./lib/serve/hubService.ts");
    const { sageMakerPortalModels } = portalData ? await import("./lib/serve/portalRegistry.ts") : { sageMakerPortalModels: undefined };
    const service = await HubService.start({
      home: hubHome(options.home), projectDir: PROJECT_DIR, tenants, bind, mqttPort, mqttsPort, httpPort, maxUploadBytes: Math.round(maxUploadMb * 1_048_576), pricePerCredit, statementTimeoutSeconds, log,
      ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
      ...(identity ? { portalIdentity: identity } : {}),
      ...(signOut ? { portalSignOut: signOut } : {}),
      // In production the models page reads SageMaker's registry (the task role's two read actions).
      ...(portalData && sageMakerPortalModels ? { portalData, portalModels: sageMakerPortalModels(portalData) } : {}),
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
