/**
 * `serve`: the hub as a running platform on the wall clock. One process holds the hub's database
 * and brings up, on real ports:
 * - the engine: tasks on their deployed schedules, dynamic tables by their target lag, warehouses
 *   suspending and billed, monitors firing, ticked every second;
 * - the MQTT broker devices publish to (their identities from `scripts/provision.ts`), and the
 *   streaming ingest committing what they send into RAW, stamped with the wall clock;
 * - one HTTP port: Snowflake's REST protocol for snowflake-sdk and the tools built on it, the RFID
 *   scan API, the file-upload API, `/healthz` and `/metrics`.
 * Tenant queries run on their own connections beside the pipeline's: they never wait for a task.
 *
 * The hub's own tools find it through `HOME/serve.json` and log in with the operator's key.
 * SIGTERM drains: the HTTP port and the broker stop taking work, what the ingest holds is
 * committed and acknowledged, the tick in flight ends, the engine checkpoints.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { SystemClock } from "../../../pipelines/engine/clock.ts";
import type { EmbeddedEngine, TickReport } from "../../../pipelines/engine/embeddedEngine.ts";
import type { DuckDbWarehouse } from "../../../pipelines/warehouse/duckdbWarehouse.ts";
import { CONTROL_SCHEMA } from "../../../pipelines/engine/controlTables.ts";
import { creditsPerHour } from "../../../pipelines/engine/billingTwin.ts";
import { DeviceRegistry, INGEST_USERNAME, deviceRegistryPath } from "../../../edge/deviceRegistry.ts";
import { EmbeddedBroker } from "../../../edge/embeddedBroker.ts";
import { BrokerJournal } from "../../../edge/brokerJournal.ts";
import { LocalCa, localCaDir } from "../../../edge/localCa.ts";
import { Gateway, type GatewayDevice } from "../../../edge/gateway.ts";
import { ScannerTokens, handleScanRequest } from "../../../edge/scanEndpoint.ts";
import { readStackFleet } from "../../../edge/fleetStackFile.ts";
import { registeredDevices, tenantMembership } from "../../../edge/fleetMembership.ts";
import { ChannelLanding } from "../../../pipelines/ingest/channelLanding.ts";
import { StreamingIngest } from "../../../pipelines/ingest/streamingIngest.ts";
import { SnowflakeEndpoint, type EndpointUser } from "../../../pipelines/serve/snowflakeEndpoint.ts";
import { AdmissionGate, defaultMaxConcurrency, tenantCapacity, threadpoolSize } from "../../../pipelines/sql/admissionGate.ts";
import { SERVE_STATEMENT_TIMEOUT_S } from "./serveOptions.ts";
import { usersPath, usersSource } from "../../../pipelines/serve/users.ts";
import { operatorKey, removeServeInfo, runningServe, writeServeInfo, type ServeInfo } from "../../../pipelines/serve/serveFile.ts";
import { authenticateRequest, mayActFor } from "../../../pipelines/serve/httpAuth.ts";
import { SignInLimiter } from "../../../pipelines/portal/signInLimiter.ts";
import { handleNoteRequest } from "../../../pipelines/notes/noteEndpoint.ts";
import { drainThen, readBoundedBody } from "../../../pipelines/serve/httpBodies.ts";
import { LocalEndpoint, LocalEndpointError } from "../../../ml/serving/localEndpoint.ts";
import { PortalServer, type PortalOptions } from "../../../pipelines/portal/portalServer.ts";
import { publishTwinTenantCosts } from "../../../pipelines/portal/portalSources.ts";
import { portalModels } from "./portalModels.ts";
import { tenantRoleName } from "../../../pipelines/definitions/governance.ts";
import { LocalRegistry } from "../../../ml/registry/localRegistry.ts";
import type { ModelKind } from "../../../ml/contract.ts";
import { MODEL_KINDS } from "../../../ml/registry/registry.ts";
import { UploadApi } from "../../../pipelines/serve/uploadApi.ts";
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricFamily } from "../../../pipelines/serve/prometheus.ts";
import { HUB_DATABASE } from "../../../pipelines/sql/snowflakeSession.ts";
import { ensureWritableHome } from "../../../pipelines/hubHome.ts";
import { sessionFilePath } from "../../../pipelines/portal/sessionFile.ts";
import { openHub, type OpenedHub } from "../hub/mainJob.ts";
import { scannerId } from "../hub/liveEdge.ts";
import { UserError } from "../command.ts";
import { runArchive, type ArchiveFlags } from "../archiveCommand.ts";
import { ADMIN_ROLE } from "../../../pipelines/definitions/governance.ts";
import type { Logger } from "./serveLog.ts";
import { openAlertDelivery } from "../hub/alertDelivery.ts";
import type { DeliveryWorker } from "../../../pipelines/alerts/deliveryWorker.ts";

/** How often serve looks for alerts to deliver (docs/alerts.md); the look never waits for receivers. */
export const ALERT_KICK_MS = 3000;
/**
 * How often serve appends the tenants' cost snapshot to OPS.TENANT_COSTS on the twin (the portal's
 * cost page reads it); the metering it reads moves by the hour, so minutes are plenty.
 */
export const COST_PUBLISH_MS = 5 * 60_000;
/** How long a stop waits for alert deliveries in flight (the whole drain has 30 s). */
export const ALERT_STOP_MS = 5000;

/** The user the hub's own tools log in as, with the key in HOME/serve/operator.pem. */
export const OPERATOR_USER = "HUB_OPERATOR";

export interface ServeOptions {
  readonly home: string;
  readonly projectDir: string;
  readonly tenants?: readonly string[];
  /** Address every listener binds; default 127.0.0.1. */
  readonly bind: string;
  readonly mqttPort: number;
  /** MQTT over TLS with device certificates from the hub's CA (provision.ts issues them). */
  readonly mqttsPort: number;
  readonly httpPort: number;
  /** How often the engine looks for due tasks and lags; default 1000 ms. */
  readonly tickMs?: number;
  /** Largest file upload, bytes. */
  readonly maxUploadBytes: number;
  /** Money per credit on the portal's cost page (as cost-report's --price-per-credit). */
  readonly pricePerCredit: number;
  /** Production sign-in for the portal (behind the ALB with Cognito, docs/portal.md); default: the users file. */
  readonly portalIdentity?: PortalOptions["identity"];
  /** With portalIdentity: sign-out ends the load balancer's and Cognito's sessions too. */
  readonly portalSignOut?: PortalOptions["signOut"];
  /**
   * Where the portal reads (the tenants' Snowflake account in production, `--portal-data`); default
   * this hub's engine. The cost page then reads the account's OPS.TENANT_COSTS (filled by
   * `cost-report --publish-tenant-costs`), not the twin's.
   */
  readonly portalData?: PortalOptions["data"];
  /** With portalData: the models page's source (production: SageMaker's registry, portalRegistry.ts); default none. */
  readonly portalModels?: PortalOptions["models"];
  /** Seconds any SQL endpoint statement may run (--statement-timeout, docs/serve.md); default SERVE_STATEMENT_TIMEOUT_S, 0 none but Snowflake's 7-day maximum. */
  readonly statementTimeoutSeconds?: number;
  /** Tenant statements of one warehouse that run at once (--max-concurrency, docs/serve.md); default defaultMaxConcurrency of the threadpool. */
  readonly maxConcurrency?: number;
  readonly log: Logger;
}

interface SchedulerCounts {
  ticks: number;
  tickFailures: number;
  lastTickMs: number;
  taskRuns: Map<string, Map<string, number>>;
  refreshes: Map<string, Map<string, number>>;
}

export class HubService {
  private ticking: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private readonly counts: SchedulerCounts = { ticks: 0, tickFailures: 0, lastTickMs: 0, taskRuns: new Map(), refreshes: new Map() };
  private readonly requests = new Map<string, number>();
  private metricsSession: Promise<DuckDbWarehouse> | null = null;
  private adminQueue: Promise<unknown> = Promise.resolve();
  private readonly models: LocalEndpoint;
  private modelInvocations = 0;
  /** Delivers alerts to the tenants' channels; null when none has one. */
  private alerts: DeliveryWorker | null = null;
  private lastAlertKick = 0;
  /** When the cost snapshot was last started (-Infinity: at the first tick), and the run in flight. */
  private lastCostPublish = Number.NEGATIVE_INFINITY;
  private costPublishing: Promise<unknown> | null = null;
  info!: ServeInfo;

  private constructor(
    private readonly o: ServeOptions,
    private readonly hub: OpenedHub<SystemClock>,
    private readonly broker: EmbeddedBroker,
    private readonly ingest: StreamingIngest,
    private readonly gateway: Gateway,
    private readonly endpoint: SnowflakeEndpoint,
    private readonly uploads: UploadApi,
    private readonly server: http.Server,
    private readonly tokens: ScannerTokens,
    private readonly portal: PortalServer,
  ) {
    this.models = new LocalEndpoint(new LocalRegistry(o.home));
  }

  get engine(): EmbeddedEngine {
    return this.hub.engine;
  }

  static async start(o: ServeOptions): Promise<HubService> {
    ensureWritableHome(o.home);
    const other = runningServe(o.home);
    if (other) throw new UserError(`the hub in ${o.home} is already served (pid ${other.pid}, ${other.http}); stop it first, or pass another --home`);
    const log = o.log;
    log("info", "opening the hub", { home: o.home });
    let hub: OpenedHub<SystemClock>;
    try {
      hub = await openHub({ home: o.home, projectDir: o.projectDir, tenants: o.tenants, fresh: false, notifications: "none" }, new SystemClock());
    } catch (e) {
      throw e instanceof UserError ? e : new UserError((e as Error).message);
    }
    const { engine } = hub;
    const closers: Array<() => Promise<unknown>> = [() => engine.close()];
    const unwind = async () => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
    };
    try {
      // The broker: devices provisioned with scripts/provision.ts; the ingest's secret is new each start.
      const registry = DeviceRegistry.open(deviceRegistryPath(o.home));
      const ingestSecret = randomBytes(24).toString("base64url");
      registry.setIngestSecret(ingestSecret);
      // The scanners behind the scan API publish through the hub's own gateway, as the main job's do.
      const scanners: GatewayDevice[] = [];
      for (const t of hub.tenants) {
        const spec = readStackFleet(o.projectDir, stackOf(t.stackFile));
        for (const s of spec?.sites ?? []) {
          const thingName = scannerId(s.siteId);
          const password = registry.addDevice({ thingName, tenantId: t.tenantId, siteId: s.siteId }, { rotate: true })!;
          scanners.push({ thingName, tenantId: t.tenantId, siteId: s.siteId, sensorType: "rfid", password });
        }
      }
      let broker: EmbeddedBroker;
      try {
        // The hub's CA (made on first use) signs the broker's certificate, for the bound address.
        const ca = LocalCa.open(localCaDir(o.home));
        const server = ca.issueServerCertificate(o.bind === "0.0.0.0" || o.bind === "::" ? [] : [o.bind]);
        broker = await EmbeddedBroker.start({
          registry, host: o.bind, port: o.mqttPort, journal: BrokerJournal.open(join(o.home, "broker-journal")),
          tls: { port: o.mqttsPort, key: server.keyPem, cert: server.certPem, ca: ca.certPem },
        });
      } catch (e) {
        throw portError(e, "--mqtt-port / --mqtts-port", o.mqttPort, o.bind);
      }
      closers.push(() => broker.close());
      let gateway: Gateway | undefined;
      const ingest = await StreamingIngest.start({
        url: broker.url, username: INGEST_USERNAME, password: ingestSecret, clientId: "hub-ingest",
        landing: await ChannelLanding.onEngine(engine),
        now: () => new Date(),
        onDurable: (messages) => {
          for (const m of messages) gateway?.confirm(m.deviceId, m.epoch, m.seq);
        },
      });
      closers.push(() => ingest.close());
      gateway = new Gateway({ url: broker.url, dir: join(o.home, "gateway"), devices: scanners, confirmations: true });
      gateway.start();
      closers.push(() => gateway!.stop());
      const tokens = scannerTokens(o.home, scanners, log);

      const operator = operatorKey(o.home);
      const roles = await engine.roles();
      const operatorUser: EndpointUser = { name: OPERATOR_USER, publicKeys: [operator.publicKey], roles, defaultRole: "HUB_ADMIN" };
      const users = usersSource(usersPath(o.home), [operatorUser], (msg) => log("warn", msg));
      // One count of failed passwords for every door the users' passwords open (SQL login, the
      // portal, Basic auth on the HTTP APIs): a guesser refused at one cannot go on at another.
      const signIn = new SignInLimiter();
      // Tenants' statements hold libuv threadpool workers while DuckDB runs them: they may hold
      // the pool less the hub's reserve, and one warehouse at most --max-concurrency of that.
      const pool = threadpoolSize();
      const admission = new AdmissionGate({ perWarehouse: o.maxConcurrency ?? defaultMaxConcurrency(pool), total: tenantCapacity(pool) });
      log("info", "tenant statements admitted", { threadpool: pool, tenantWorkers: admission.o.total, perWarehouse: admission.o.perWarehouse });
      const endpoint = SnowflakeEndpoint.attached({
        engine, users, log: (line) => log("info", line), signInLimiter: signIn,
        statementTimeoutCeiling: o.statementTimeoutSeconds ?? SERVE_STATEMENT_TIMEOUT_S,
        admission,
      });
      closers.push(() => endpoint.close());
      const uploadLanding = ChannelLanding.onEngine(engine);
      closers.push(async () => (await uploadLanding).close());
      const uploads = new UploadApi({
        uploadDir: join(o.home, "uploads"),
        tenants: hub.tenants.map((t) => t.tenantId),
        landing: () => uploadLanding,
        files: () => engine.files(),
        membership: (tenant) => tenantMembership(o.projectDir, tenant, registeredDevices([deviceRegistryPath(o.home)])),
        maxBytes: o.maxUploadBytes,
        log,
      });
      const server = http.createServer();
      // Bounded: a client that sends headers slowly or never finishes a request is cut off.
      server.headersTimeout = 10_000;
      server.requestTimeout = 300_000;
      // The operator portal (docs/portal.md): the same users, every page read as the tenant's role.
      const portal = PortalServer.create({
        engine, users, tenants: hub.tenants.map((t) => t.tenantId), log, signInLimiter: signIn,
        ...(o.portalData
          ? { data: o.portalData, ...(o.portalModels ? { models: o.portalModels } : {}) }
          : {
              models: portalModels({ registry: new LocalRegistry(o.home), tenantSession: (t) => engine.session({ role: tenantRoleName(t) }), now: () => engine.clock.now() }),
            }),
        // Behind the load balancer people reach the portal over HTTPS only: the cookie is Secure.
        ...(o.portalIdentity ? { identity: o.portalIdentity, secureCookies: true, ...(o.portalSignOut ? { signOut: o.portalSignOut } : {}) } : {}),
        // Password sign-ins outlive a restart (hashes of the tokens only; docs/portal.md).
        ...(o.portalIdentity ? {} : { sessionFile: sessionFilePath(o.home) }),
      });
      closers.push(() => portal.close());
      const service = new HubService(o, hub, broker, ingest, gateway, endpoint, uploads, server, tokens, portal);
      server.on("request", (req, res) => void service.handle(req, res, users, signIn));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(o.httpPort, o.bind, () => resolve());
        });
      } catch (e) {
        throw portError(e, "--http-port", o.httpPort, o.bind);
      }
      closers.push(() => new Promise((r) => server.close(() => r(undefined))));
      const a = server.address() as AddressInfo;
      const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
      service.info = {
        version: 1, pid: process.pid, startedAt: new Date().toISOString(), http: `http://${host}:${a.port}`, mqtt: broker.url, mqtts: broker.tlsUrl,
        account: HUB_DATABASE, operatorUser: OPERATOR_USER, operatorKey: operator.path,
      };
      await gateway.connected();
      service.alerts = await openAlertDelivery({ engine, tenants: hub.tenants, home: o.home, log });
      if (service.alerts) closers.push(() => service.alerts!.close());
      service.startScheduler();
      writeServeInfo(o.home, service.info);
      log("info", "serving", { http: service.info.http, mqtt: service.info.mqtt, mqtts: service.info.mqtts, tenants: hub.tenants.map((t) => t.tenantId).join(",") });
      return service;
    } catch (e) {
      await unwind();
      throw e;
    }
  }

  /** The engine ticks every `tickMs`, never two at once; a tick that fails is logged and counted. */
  private startScheduler(): void {
    const every = this.o.tickMs ?? 1000;
    const loop = () => {
      if (this.stopping) return;
      const t0 = performance.now();
      this.ticking = this.hub.engine
        .tick({ refreshBesideTasks: true })
        .then((r) => {
          this.recordTick(r, performance.now() - t0);
          this.kickAlerts();
          this.publishCosts();
        })
        .catch((e: Error) => {
          this.counts.tickFailures++;
          this.o.log("error", "engine tick failed", { error: e.message });
        })
        .finally(() => {
          if (!this.stopping) this.timer = setTimeout(loop, Math.max(0, every - (performance.now() - t0)));
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  /**
   * Every COST_PUBLISH_MS, after a tick, on the twin only: with `--portal-data snowflake` the
   * account's table is filled by `cost-report --publish-tenant-costs` (docs/portal.md). Never two at once.
   */
  private publishCosts(): void {
    if (this.o.portalData || this.costPublishing || performance.now() - this.lastCostPublish < COST_PUBLISH_MS) return;
    this.lastCostPublish = performance.now();
    this.costPublishing = publishTwinTenantCosts(this.hub.engine, { pricePerCredit: this.o.pricePerCredit, tenants: this.hub.tenants.map((t) => t.tenantId) })
      .catch((e: Error) => this.o.log("warn", "the tenants' cost snapshot failed", { error: e.message }))
      .finally(() => (this.costPublishing = null));
  }

  /** Every ALERT_KICK_MS, after a tick: the worker looks for work and returns at once. */
  private kickAlerts(): void {
    if (!this.alerts || performance.now() - this.lastAlertKick < ALERT_KICK_MS) return;
    this.lastAlertKick = performance.now();
    this.alerts.kick();
  }

  private recordTick(r: TickReport, ms: number): void {
    this.counts.ticks++;
    this.counts.lastTickMs = ms;
    const bump = (m: Map<string, Map<string, number>>, name: string, state: string) => {
      let by = m.get(name);
      if (!by) m.set(name, (by = new Map()));
      by.set(state, (by.get(state) ?? 0) + 1);
    };
    for (const t of r.tasks) {
      bump(this.counts.taskRuns, t.name, t.state);
      if (t.state === "FAILED") this.o.log("warn", "task failed", { task: t.name, error: t.error });
      else if (t.state !== "SKIPPED") this.o.log("debug", "task ran", { task: t.name, state: t.state, ms: Math.round(t.elapsedMs) });
    }
    for (const x of r.refreshes) {
      bump(this.counts.refreshes, x.name, x.action);
      if (x.action === "FAILED") this.o.log("warn", "dynamic table refresh failed", { table: x.name, error: x.error });
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, users: () => readonly EndpointUser[], signIn: SignInLimiter): Promise<void> {
    const url = new URL(req.url ?? "/", "http://hub");
    const authenticate = () => authenticateRequest(req, users(), HUB_DATABASE, signIn);
    // 401, or 429 with Retry-After once the name or address has failed too often.
    const refusal = (c: { refused: string; status: 401 | 429; retryAfterS?: number }, basicRealm: boolean): [number, { error: string }, Record<string, string>] => [
      c.status, { error: c.refused },
      c.retryAfterS ? { "retry-after": String(c.retryAfterS) } : basicRealm ? { "www-authenticate": 'Basic realm="hub"' } : {},
    ];
    const route = routeOf(url.pathname);
    res.on("finish", () => {
      const key = `${route} ${res.statusCode}`;
      this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    });
    try {
      if (this.stopping) {
        return drainThen(req, () => json(res, 503, { error: "the hub is stopping" }, { connection: "close" }));
      }
      if (route === "snowflake") return await this.endpoint.handle(req, res);
      if (route === "healthz") return this.health(req, res);
      if (route === "metrics") {
        if (req.method !== "GET") return json(res, 405, { error: "use GET" });
        // Per-tenant warehouses and their credits: open to this machine, to an admin from elsewhere.
        if (!fromThisMachine(req)) {
          const caller = authenticate();
          if ("refused" in caller) return json(res, ...refusal(caller, true));
          if (!caller.user.roles.map((r) => r.toUpperCase()).includes(ADMIN_ROLE)) return json(res, 403, { error: `user ${caller.user.name} does not hold ${ADMIN_ROLE}` });
        }
        const text = await this.metrics();
        res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(text);
        return;
      }
      if (route === "scans") return await handleScanRequest({ gateway: this.gateway, tokens: this.tokens }, req, res);
      if (route === "notes") {
        const caller = authenticate();
        if ("refused" in caller) return drainThen(req, () => json(res, ...refusal(caller, true)));
        return await handleNoteRequest({
          tenants: () => this.hub.tenants.map((t) => t.tenantId),
          land: (notes) => this.hub.engine.land({ notes }),
          now: () => this.hub.engine.clock.now(),
        }, req, res, caller.user);
      }
      if (route === "admin") {
        const caller = authenticate();
        if ("refused" in caller) {
          return drainThen(req, () => json(res, ...refusal(caller, false)));
        }
        if (!caller.user.roles.map((r) => r.toUpperCase()).includes(ADMIN_ROLE)) {
          return drainThen(req, () => json(res, 403, { error: `user ${caller.user.name} does not hold ${ADMIN_ROLE}` }));
        }
        return await this.admin(req, res, url.pathname, caller.user.name);
      }
      if (route === "models") {
        const caller = authenticate();
        if ("refused" in caller) {
          return drainThen(req, () => json(res, ...refusal(caller, false)));
        }
        return await this.invokeModel(req, res, url.pathname, caller.user);
      }
      if (route === "files") {
        const caller = authenticate();
        if ("refused" in caller) {
          return drainThen(req, () => json(res, ...refusal(caller, true)));
        }
        return await this.uploads.handle(req, res, caller.user, url.pathname);
      }
      if (route === "portal" && (await this.portal.handle(req, res))) return;
      drainThen(req, () => json(res, 404, { error: `${url.pathname} is not a path of this hub (see docs/serve.md)` }));
    } catch (e) {
      this.o.log("error", "request failed", { path: url.pathname, error: (e as Error).message });
      if (!res.headersSent) json(res, 500, { error: "internal error" });
      else res.destroy();
    }
  }

  /**
   * `POST /v1/models/<tenant>/<model>/invocations`: the tenant's champion answers as SageMaker's
   * InvokeEndpoint does (ml/serving/localEndpoint.ts): the body and `Content-Type` as sent, the
   * series in `X-Amzn-SageMaker-Custom-Attributes`; the answer's JSON with the version that
   * answered. A caller may invoke only its own tenant's models.
   */
  private async invokeModel(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, user: EndpointUser): Promise<void> {
    const m = /^\/v1\/models\/([^/]+)\/([^/]+)\/invocations$/.exec(pathname);
    if (!m) {
      return drainThen(req, () => json(res, 404, { error: "expected POST /v1/models/<tenant>/<model>/invocations" }));
    }
    const [tenant, model] = [m[1]!, m[2]!];
    if (req.method !== "POST") {
      return drainThen(req, () => json(res, 405, { error: "use POST" }));
    }
    if (!mayActFor(user, tenant)) {
      return drainThen(req, () => json(res, 403, { error: `user ${user.name} may not invoke tenant ${JSON.stringify(tenant)}'s models` }));
    }
    if (!MODEL_KINDS.includes(model as ModelKind)) {
      return drainThen(req, () => json(res, 404, { error: `no model ${JSON.stringify(model)}: ${MODEL_KINDS.join(", ")}` }));
    }
    // InvokeEndpoint's payload limit is 6 MB.
    const payload = await readBoundedBody(req, 6 * 1_048_576);
    if (!payload) return json(res, 413, { error: "the payload is over 6 MB, InvokeEndpoint's limit" }, { connection: "close" });
    try {
      const r = await this.models.invoke(tenant, model as ModelKind, {
        contentType: String(req.headers["content-type"] ?? "application/json"), body: payload.toString("utf8"),
        customAttributes: req.headers["x-amzn-sagemaker-custom-attributes"] as string | undefined,
      });
      this.modelInvocations++;
      res.writeHead(200, { "content-type": r.contentType, "x-hub-model-version": String(r.modelVersion) }).end(r.body);
    } catch (e) {
      if (e instanceof LocalEndpointError) return json(res, e.status, { error: e.message });
      throw e;
    }
  }

  /** `POST /v1/admin/archive`: the archive command, run here on the engine this process holds. */
  private async admin(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, user: string): Promise<void> {
    if (pathname !== "/v1/admin/archive") {
      return drainThen(req, () => json(res, 404, { error: `${pathname} is not an admin command of this hub` }));
    }
    if (req.method !== "POST") {
      return drainThen(req, () => json(res, 405, { error: "use POST" }));
    }
    let body: { positionals?: unknown; options?: unknown };
    try {
      const raw = await readBoundedBody(req, 65_536);
      if (!raw) throw new Error("too large");
      body = JSON.parse(raw.toString("utf8")) as typeof body;
    } catch (e) {
      return json(res, 400, { error: `the body is not a JSON command of at most 64 KB (${(e as Error).message})` });
    }
    const positionals = Array.isArray(body.positionals) && body.positionals.every((p) => typeof p === "string") ? (body.positionals as string[]) : null;
    const options = body.options && typeof body.options === "object" && !Array.isArray(body.options) ? (body.options as ArchiveFlags) : null;
    if (!positionals || !options) return json(res, 400, { error: 'expected {"positionals": [...], "options": {...}}' });
    let stdout = "";
    let stderr = "";
    let exitCode = 0;
    this.o.log("info", "archive command", { user, command: positionals.join(" ") });
    try {
      // One at a time: an export and a restore on the same engine would interleave their batches.
      const run = this.adminQueue.then(() =>
        runArchive(positionals, { ...options, home: this.o.home }, {
          openHub: async () => ({ engine: this.hub.engine, release: async () => undefined }),
          out: (t) => (stdout += `${t}\n`),
          err: (t) => (stderr += t),
          setExitCode: (c) => (exitCode = c),
        }),
      );
      this.adminQueue = run.catch(() => undefined);
      await run;
      json(res, 200, { stdout, stderr, exitCode });
    } catch (e) {
      if (e instanceof UserError) return json(res, 422, { stdout, stderr, exitCode: 1, error: e.message });
      throw e;
    }
  }

  private health(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    if (req.method !== "GET") return json(res, 405, { error: "use GET" });
    const i = this.ingest.stats();
    // Nothing here names a tenant: /healthz answers anyone who can reach the port.
    json(res, 200, {
      status: "ok", since: this.info.startedAt,
      ingest: { connected: i.connects > 0, lagMs: i.lagMs }, ticks: this.counts.ticks, tickFailures: this.counts.tickFailures,
    });
  }

  /** /metrics: the ingest, the scheduler, the dynamic tables' lag and the warehouses' credits. */
  async metrics(): Promise<string> {
    const i = this.ingest.stats();
    const b = this.broker.stats;
    const now = Date.now();
    this.metricsSession ??= this.hub.engine.admin();
    const s = await this.metricsSession;
    const dts = await s.query<{ name: string; data_timestamp: Date | null; target_lag_s: number | bigint | null }>(
      `SELECT name, data_timestamp, target_lag_s FROM ${CONTROL_SCHEMA}.DYNAMIC_TABLES ORDER BY name`,
    );
    const credits = await s.query<{ warehouse_name: string; compute: number; cloud: number }>(
      `SELECT warehouse_name, SUM(credits_used_compute) AS compute, SUM(credits_used_cloud_services) AS cloud FROM ${CONTROL_SCHEMA}.WAREHOUSE_METERING GROUP BY 1 ORDER BY 1`,
    );
    // The meter holds closed periods; a warehouse running now has used credits too (minimum 60 s).
    const running = new Map<string, number>();
    for (const [name, p] of this.hub.engine.warehouses.openPeriods()) {
      running.set(name, (creditsPerHour(p.size) * Math.max(60_000, now - p.start.getTime())) / 3_600_000);
    }
    for (const c of credits) {
      c.compute = Number(c.compute) + (running.get(c.warehouse_name) ?? 0);
      running.delete(c.warehouse_name);
    }
    for (const [warehouse_name, compute] of running) credits.push({ warehouse_name, compute, cloud: 0 });
    const nested = (m: Map<string, Map<string, number>>, a: string, b2: string) =>
      [...m].flatMap(([name, by]) => [...by].map(([state, n]) => ({ labels: { [a]: name, [b2]: state }, value: n })));
    const families: MetricFamily[] = [
      { name: "hub_up", help: "1 while the hub serves", type: "gauge", samples: [{ value: 1 }] },
      { name: "hub_ingest_lag_seconds", help: "Age of the oldest message received and not yet committed (0 when caught up)", type: "gauge", samples: [{ value: i.lagMs / 1000 }] },
      { name: "hub_ingest_latency_p99_seconds", help: "Reading timestamp to commit, 99th percentile since start", type: "gauge", samples: i.latencyP99Ms === null ? [] : [{ value: i.latencyP99Ms / 1000 }] },
      { name: "hub_readings_committed_total", help: "Readings committed into RAW since start", type: "counter", samples: [{ value: i.readings }] },
      { name: "hub_scans_committed_total", help: "Job scans committed into RAW since start", type: "counter", samples: [{ value: i.scans }] },
      { name: "hub_readings_quarantined_total", help: "Readings, scans or messages quarantined at ingest since start", type: "counter", samples: [{ value: i.quarantined }] },
      { name: "hub_messages_total", help: "MQTT messages the ingest received since start", type: "counter", samples: [{ value: i.messages }] },
      { name: "hub_mqtt_auth_failures_total", help: "MQTT connections refused for their credentials", type: "counter", samples: [{ value: b.authFailures }] },
      { name: "hub_mqtt_publish_refused_total", help: "MQTT publishes refused by the topic rules", type: "counter", samples: [{ value: b.publishRefused }] },
      { name: "hub_engine_ticks_total", help: "Engine ticks (due tasks and refreshes looked for)", type: "counter", samples: [{ value: this.counts.ticks }] },
      { name: "hub_engine_tick_failures_total", help: "Engine ticks that failed", type: "counter", samples: [{ value: this.counts.tickFailures }] },
      { name: "hub_task_runs_total", help: "Task runs by task and final state (SUCCEEDED, FAILED, SKIPPED, ...)", type: "counter", samples: nested(this.counts.taskRuns, "task", "state") },
      {
        name: "hub_task_failures_total", help: "Task runs that failed, by task", type: "counter",
        samples: [...this.counts.taskRuns].map(([task, by]) => ({ labels: { task }, value: by.get("FAILED") ?? 0 })),
      },
      { name: "hub_dynamic_table_refreshes_total", help: "Dynamic table refreshes by table and action", type: "counter", samples: nested(this.counts.refreshes, "table", "action") },
      {
        name: "hub_dynamic_table_lag_seconds", help: "Seconds since the data timestamp of each dynamic table (its freshness)", type: "gauge",
        samples: dts.map((d) => ({ labels: { table: d.name }, value: d.data_timestamp ? (now - d.data_timestamp.getTime()) / 1000 : NaN })),
      },
      {
        name: "hub_dynamic_table_target_lag_seconds", help: "Each dynamic table's TARGET_LAG", type: "gauge",
        samples: dts.filter((d) => d.target_lag_s !== null).map((d) => ({ labels: { table: d.name }, value: Number(d.target_lag_s) })),
      },
      {
        name: "hub_warehouse_credits_total", help: "Credits used per warehouse (compute, with the period running now, and cloud services) over the hub's life", type: "counter",
        samples: credits.flatMap((c) => [
          { labels: { warehouse: c.warehouse_name, kind: "compute" }, value: Number(c.compute) },
          { labels: { warehouse: c.warehouse_name, kind: "cloud_services" }, value: Number(c.cloud) },
        ]),
      },
      { name: "hub_sql_sessions", help: "Open sessions on the SQL endpoint", type: "gauge", samples: [{ value: this.endpoint.sessionCount }] },
      ...admissionMetrics(this.endpoint.admissionCounts()),
      {
        name: "hub_alert_deliveries_total", help: "Alert delivery attempts since start, by channel kind and outcome (DELIVERED, RETRY, DEAD_LETTER)", type: "counter",
        samples: [...(this.alerts?.counts ?? [])].flatMap(([kind, c]) => [
          { labels: { kind, status: "DELIVERED" }, value: c.delivered },
          { labels: { kind, status: "RETRY" }, value: c.retried },
          { labels: { kind, status: "DEAD_LETTER" }, value: c.deadLetters },
        ]),
      },
      {
        name: "hub_alert_dead_letters", help: "Notifications given up on (OPS.ALERT_DELIVERIES status DEAD_LETTER), per tenant, ever", type: "gauge",
        samples: [...(this.alerts?.deadLetters() ?? [])].map(([tenant, n]) => ({ labels: { tenant }, value: n })),
      },
      { name: "hub_model_invocations_total", help: "Model invocations answered since start", type: "counter", samples: [{ value: this.modelInvocations }] },
      { name: "hub_files_loaded_total", help: "Files loaded through the upload API since start", type: "counter", samples: [{ value: this.uploads.loaded }] },
      { name: "hub_files_refused_total", help: "Files refused by the upload API since start", type: "counter", samples: [{ value: this.uploads.refused }] },
      {
        name: "hub_http_requests_total", help: "HTTP requests by route and status", type: "counter",
        samples: [...this.requests].map(([k, n]) => {
          const [route, status] = k.split(" ");
          return { labels: { route: route!, status: status! }, value: n };
        }),
      },
    ];
    return renderMetrics(families);
  }

  /**
   * Stop within `timeoutMs`: refuse new work, let the tick in flight end, commit and acknowledge
   * what the ingest holds, close the endpoint's sessions, checkpoint the engine.
   */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      const log = this.o.log;
      log("info", "stopping", { reason });
      if (this.timer) clearTimeout(this.timer);
      // No new connections; requests in flight finish (idle keep-alive connections are closed).
      const httpClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      await this.ticking.catch(() => undefined);
      // A cost snapshot in flight holds an engine session: it ends before the engine closes.
      await this.costPublishing;
      // Deliveries in flight end and are recorded, within ALERT_STOP_MS of the drain; one still
      // waiting on a slow receiver then is sent again on the next start (at least once).
      await this.alerts?.close(ALERT_STOP_MS).catch((e: Error) => log("warn", "alert delivery stop failed", { error: e.message }));
      // The scan gateway first (its queue stays on disk); then the broker refuses new publishes
      // and waits until the ingest has committed and acknowledged what it accepted; then the ingest.
      await this.gateway.stop().catch((e: Error) => log("warn", "gateway stop failed", { error: e.message }));
      await this.broker.close({ drainMs: 10_000 }).catch((e: Error) => log("warn", "broker close failed", { error: e.message }));
      await this.ingest.close().catch((e: Error) => log("warn", "ingest close failed", { error: e.message }));
      await Promise.race([httpClosed, new Promise((r) => setTimeout(r, 5000))]);
      this.server.closeAllConnections();
      await this.endpoint.close().catch(() => undefined);
      await this.portal.close().catch(() => undefined);
      if (this.metricsSession) await (await this.metricsSession).close().catch(() => undefined);
      await this.hub.engine.close();
      removeServeInfo(this.o.home);
      const i = this.ingest.stats();
      log("info", "stopped", { readings: i.readings, scans: i.scans, quarantined: i.quarantined, ticks: this.counts.ticks });
    })();
    return this.stopping;
  }
}

/**
 * A request made on this machine: from a loopback address and not relayed. A TLS-terminating
 * proxy on the same host (what serve.md asks for before binding another address) connects from
 * loopback for every caller; the forwarding headers it adds (RFC 7239 Forwarded, or the de facto
 * X-Forwarded-For and X-Real-IP) say the caller is elsewhere.
 */
function fromThisMachine(req: http.IncomingMessage): boolean {
  const address = req.socket.remoteAddress;
  const loopback = address === "::1" || /^(::ffff:)?127\./.test(address ?? "");
  return loopback && !["forwarded", "x-forwarded-for", "x-real-ip"].some((h) => req.headers[h] !== undefined);
}

function json(res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (!res.headersSent) res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** Tenant statements waiting for and holding a place on each warehouse (admissionGate.ts). */
function admissionMetrics(c: { queued: Map<string, number>; running: Map<string, number> }): MetricFamily[] {
  const samples = (m: Map<string, number>) => [...m].map(([warehouse, value]) => ({ labels: { warehouse }, value }));
  return [
    { name: "hub_sql_statements_queued", help: "Tenant statements waiting for a place on their warehouse (serve's --max-concurrency)", type: "gauge", samples: samples(c.queued) },
    { name: "hub_sql_statements_running", help: "Tenant statements holding a place on their warehouse", type: "gauge", samples: samples(c.running) },
  ];
}

/** A route name for metrics: never the raw path, which a client chooses. */
function routeOf(pathname: string): string {
  if (SnowflakeEndpoint.owns(pathname)) return "snowflake";
  if (pathname === "/healthz") return "healthz";
  if (pathname === "/metrics") return "metrics";
  if (pathname === "/v1/scans") return "scans";
  if (pathname === "/v1/notes") return "notes";
  if (pathname.startsWith("/v1/files/")) return "files";
  if (pathname.startsWith("/v1/admin/")) return "admin";
  if (pathname.startsWith("/v1/models/")) return "models";
  if (PortalServer.owns(pathname)) return "portal";
  return "other";
}

function stackOf(stackFile: string): string {
  return /Pulumi\.([^/]+)\.yaml$/.exec(stackFile)![1]!;
}

function portError(e: unknown, flag: string, port: number, bind: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") return new UserError(`${flag} ${port}: the port is in use on ${bind}; stop what holds it, or pick another (0 picks a free one)`);
  if (code === "EADDRNOTAVAIL") return new UserError(`--bind ${bind}: not an address of this machine`);
  if (code === "EACCES") return new UserError(`${flag} ${port}: binding it needs privileges; pick a port above 1023 (0 picks a free one)`);
  return e as Error;
}

/**
 * Each scanner's bearer token for the scan API: issued on the first start into the tenant's
 * credentials folder (0600, like provision.ts's secrets), the same token on every later start.
 */
function scannerTokens(home: string, scanners: readonly GatewayDevice[], log: Logger): ScannerTokens {
  const tokens = new ScannerTokens();
  for (const s of scanners) {
    const dir = join(home, "edge", "credentials", s.tenantId);
    const file = join(dir, `${s.thingName}.scan-token`);
    if (existsSync(file)) {
      tokens.accept(readFileSync(file, "utf8").trim(), s.thingName);
      continue;
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${tokens.issue(s.thingName)}\n`, { mode: 0o600 });
    log("info", "scan API token issued", { scanner: s.thingName, file });
  }
  return tokens;
}
