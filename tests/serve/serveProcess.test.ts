/**
 * `npm run serve` as its users meet it: a real process on real ports. Devices provisioned while it
 * runs publish over MQTT; a tenant's person logs in with snowflake-sdk and sees its readings and
 * no other tenant's; files are uploaded over HTTP and land through the batch load; the hub's own
 * scripts work through the running process; /healthz and /metrics answer (the metrics read back
 * by an independent parser of Prometheus' text format); SIGTERM drains and exits 0, and a second
 * serve of the same hub is refused.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import snowflake from "snowflake-sdk";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { DeviceRegistry, deviceRegistryPath } from "../../edge/deviceRegistry.ts";
import { Gateway } from "../../edge/gateway.ts";
import { LocalCa, localCaDir } from "../../edge/localCa.ts";
import { addUser, usersPath } from "../../pipelines/serve/users.ts";
import { hashPassword } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { signJwt } from "../../pipelines/serve/snowflakeJwt.ts";
import { serveFilePath } from "../../pipelines/serve/serveFile.ts";
import { ServedSession } from "../../pipelines/serve/servedSession.ts";
import { LocalRegistry } from "../../ml/registry/index.ts";
import { segmentMachines } from "../../ml/trainers/index.ts";
import { startServe, type Served } from "../helpers/serveProcess.ts";
import { waitFor } from "../helpers/waitFor.ts";

snowflake.configure({ logLevel: "OFF" });
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A person's snowflake-sdk session on the served hub (password login, as at Snowflake). */
function connect(served: Served, user: string, password: string, role: string, warehouse: string): Promise<snowflake.Connection> {
  return new Promise((resolve, reject) => {
    const c = snowflake.createConnection({
      account: "hub", username: user, password, role, warehouse, database: "HUB", accessUrl: served.info.http, representNullAsStringNull: false,
    });
    c.connect((err, conn) => (err ? reject(err) : resolve(conn)));
  });
}

function query(c: snowflake.Connection, sqlText: string): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    c.execute({ sqlText, complete: (err, _s, rows) => (err ? reject(err) : resolve((rows ?? []) as Array<Record<string, unknown>>)) });
  });
}

describe("npm run serve", () => {
  let home: string;
  let served: Served;
  const devices: Gateway[] = [];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), "hub-serve-"));
    served = await startServe(home);
  });
  after(async () => {
    for (const g of devices) await g.stop().catch(() => undefined);
    await served?.stop("SIGKILL").catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it("takes devices provisioned while it runs, and a tenant's person sees its own readings through the SQL endpoint, not another tenant's", async () => {
    // Provisioned after serve started: the broker reads the registry again when it changes.
    const registry = DeviceRegistry.open(deviceRegistryPath(home));
    const fleet = [
      { thingName: "acme-serve-m1", tenantId: "acme", siteId: "acme-plant-1" },
      { thingName: "globex-serve-m1", tenantId: "globex", siteId: "globex-works" },
    ];
    for (const d of fleet) {
      const password = registry.addDevice(d)!;
      const g = new Gateway({ url: served.info.mqtt, dir: mkdtempSync(join(home, "device-")), devices: [{ ...d, sensorType: "machine", password }] });
      g.start();
      await g.connected();
      g.add(d.thingName, [{ ts: new Date(), seq: 1, metrics: { state: "RUNNING", period_s: 1, spindle_load_pct: 42, temperature_c: 40 } }]);
      devices.push(g);
    }
    // A device with a certificate from the hub's CA, over MQTT on TLS, as on IoT Core's port 8883.
    assert.match(served.info.mqtts ?? "", /^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const ca = LocalCa.open(localCaDir(home));
    const tlsThing = { thingName: "acme-serve-tls1", tenantId: "acme", siteId: "acme-plant-1" };
    const cert = ca.issueDeviceCertificate(tlsThing.thingName);
    registry.addDevice(tlsThing);
    registry.registerCertificate({ fingerprint: cert.fingerprint, thingName: tlsThing.thingName, notAfter: cert.notAfter });
    const tlsDevice = new Gateway({
      url: served.info.mqtts!, dir: mkdtempSync(join(home, "device-")),
      devices: [{ ...tlsThing, sensorType: "machine", tls: { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem } }],
    });
    tlsDevice.start();
    devices.push(tlsDevice);
    await tlsDevice.connected();
    tlsDevice.add(tlsThing.thingName, [{ ts: new Date(), seq: 1, metrics: { state: "IDLE", period_s: 1 } }]);
    addUser(usersPath(home), { name: "ana", tenant: "acme", passwordHash: hashPassword("ana's secret") });
    const c = await connect(served, "ana", "ana's secret", "TENANT_ACME_ROLE", "TENANT_ACME_BI_WH");
    try {
      await waitFor(
        async () => (await query(c, "SELECT COUNT(*) AS N FROM RAW.SENSOR_READINGS WHERE device_id IN ('acme-serve-m1', 'acme-serve-tls1')"))[0]!.N === 2,
        "acme's readings (password and certificate devices) to be queryable", 60_000,
      );
      const tenants = await query(c, "SELECT DISTINCT tenant_id AS T FROM RAW.SENSOR_READINGS");
      assert.deepEqual(tenants, [{ T: "acme" }], "globex's reading, committed too, is not visible to acme");
      const [me] = await query(c, "SELECT CURRENT_ROLE() AS R, CURRENT_USER() AS U");
      assert.deepEqual(me, { R: "TENANT_ACME_ROLE", U: "ANA" });
    } finally {
      await new Promise((r) => c.destroy(r));
    }
    await assert.rejects(connect(served, "ana", "ana's secret", "HUB_ADMIN", "HUB_ANALYTICS_WH"), /not granted to this user/);
    await assert.rejects(connect(served, "ana", "wrong", "TENANT_ACME_ROLE", "TENANT_ACME_BI_WH"), /Incorrect username or password/);
  });

  it("answers /healthz, and /metrics in Prometheus' text format as an independent parser reads it", async () => {
    const h = await fetch(`${served.info.http}/healthz`);
    assert.equal(h.status, 200);
    const health = (await h.json()) as { status: string };
    assert.equal(health.status, "ok");
    assert.doesNotMatch(JSON.stringify(health), /acme|globex/, "the open health check names no tenant");
    const m = await fetch(`${served.info.http}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusTextFormat(await m.text());
    const family = (name: string) => families.find((f) => f.name === name);
    assert.ok(Number(family("hub_readings_committed_total")!.metrics[0]!.value) >= 3, "every device's readings are counted");
    assert.equal(family("hub_readings_committed_total")!.type, "COUNTER");
    assert.equal(family("hub_ingest_lag_seconds")!.type, "GAUGE");
    const lags = family("hub_dynamic_table_lag_seconds")!.metrics.map((x) => x.labels?.table);
    assert.ok(lags.includes("ANALYTICS.MACHINE_UTILIZATION_HOURLY"), "a lag per dynamic table");
    // The dynamic tables' first refresh ran on the analytics warehouse when serve started.
    const credits = family("hub_warehouse_credits_total")!.metrics.filter((x) => x.labels?.warehouse === "HUB_ANALYTICS_WH" && x.labels?.kind === "compute");
    assert.ok(credits.length === 1 && Number(credits[0]!.value) > 0, "credits per warehouse, the running period included");
    for (const name of ["hub_task_runs_total", "hub_task_failures_total", "hub_readings_quarantined_total"]) assert.ok(family(name), `${name} is exported`);
    // The admission gate's gauges: ana's session above ran on acme's warehouse and ended.
    for (const name of ["hub_sql_statements_queued", "hub_sql_statements_running"]) {
      assert.equal(family(name)?.type, "GAUGE", `${name} is a gauge`);
      for (const m of family(name)!.metrics) assert.ok(Number(m.value) >= 0 && m.labels?.warehouse, `${name} per warehouse`);
    }
    const r = await fetch(`${served.info.http}/metrics`, { method: "POST" });
    assert.equal(r.status, 405);
    // Relayed by a proxy on this machine (loopback, with the proxy's forwarding header): the
    // caller is elsewhere, and the metrics name every tenant's warehouses: an admin's only.
    for (const header of [{ "x-forwarded-for": "203.0.113.9" }, { forwarded: "for=203.0.113.9;proto=https" }, { "x-real-ip": "203.0.113.9" }] as Record<string, string>[]) {
      const relayed = await fetch(`${served.info.http}/metrics`, { headers: header });
      assert.equal(relayed.status, 401, JSON.stringify(header));
      assert.doesNotMatch(await relayed.text(), /TENANT_/, "no tenant's warehouse in the refusal");
    }
    const tenantPerson = await fetch(`${served.info.http}/metrics`, { headers: { "x-forwarded-for": "203.0.113.9", authorization: `Basic ${Buffer.from("ana:ana's secret").toString("base64")}` } });
    assert.equal(tenantPerson.status, 403, "a tenant's person is not an admin");
  });

  it("loads a file uploaded by a tenant's person, and refuses what it may not load", async () => {
    addUser(usersPath(home), { name: "gus", tenant: "globex", passwordHash: hashPassword("gus pw") });
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
    const ts = new Date(Date.now() - 60_000).toISOString();
    const csv = `ts,site_id,device_id,seq,state,period_s,spindle_load_pct,temperature_c\n${ts},acme-plant-1,acme-plant-1-m-001,1,RUNNING,1,50,41\n${ts},acme-plant-1,acme-plant-1-m-001,2,RUNNING,-5,50,41\n`;
    const put = (path: string, body: string, auth?: string) =>
      fetch(`${served.info.http}${path}`, { method: "PUT", body, headers: auth ? { authorization: auth } : {} });
    let r = await put("/v1/files/acme/week1.csv", csv, basic("ana", "ana's secret"));
    const loaded = (await r.json()) as Record<string, unknown>;
    assert.equal(r.status, 200, JSON.stringify(loaded));
    assert.deepEqual({ rows: loaded.rows, loaded: loaded.loaded, quarantined: loaded.quarantined }, { rows: 2, loaded: 1, quarantined: 1 });
    r = await put("/v1/files/acme/week1.csv", csv, basic("ana", "ana's secret"));
    assert.equal(((await r.json()) as Record<string, unknown>).alreadyLoaded, true, "the same content loads once");
    const refusals: Array<[string, string | undefined, number]> = [
      ["/v1/files/acme/x.csv", undefined, 401],
      ["/v1/files/acme/x.csv", basic("ana", "nope"), 401],
      ["/v1/files/globex/x.csv", basic("ana", "ana's secret"), 403],
      ["/v1/files/acme/x.csv", basic("gus", "gus pw"), 403],
      ["/v1/files/nosuch/x.csv", basic("ana", "ana's secret"), 403],
      ["/v1/files/acme/..%2F..%2Fserve.json", basic("ana", "ana's secret"), 400],
      ["/v1/files/acme/.hidden.csv", basic("ana", "ana's secret"), 400],
      ["/v1/files/acme/notes.txt", basic("ana", "ana's secret"), 415],
      ["/v1/files/acme/old.xls", basic("ana", "ana's secret"), 415],
      ["/v1/files/acme", basic("ana", "ana's secret"), 404],
    ];
    for (const [path, auth, status] of refusals) {
      const x = await put(path, csv, auth);
      assert.equal(x.status, status, `${path} with ${auth ? "credentials" : "none"}`);
      assert.doesNotMatch(await x.text(), /at .*\.ts:\d+/, "no stack");
    }
    r = await fetch(`${served.info.http}/v1/files/acme/x.csv`, { method: "POST", body: csv, headers: { authorization: basic("ana", "ana's secret") } });
    assert.equal(r.status, 405);
    const c = await connect(served, "ana", "ana's secret", "TENANT_ACME_ROLE", "TENANT_ACME_BI_WH");
    try {
      const [q] = await query(c, "SELECT COUNT(*) AS N FROM RAW.QUARANTINE WHERE reason ILIKE '%period_s%'");
      assert.equal(q!.N, 1, "the refused row is in quarantine with its reason");
    } finally {
      await new Promise((r2) => c.destroy(r2));
    }
  });

  it("takes RFID scans on the scan API with the scanner's token, into RAW.JOB_SCANS, and refuses a missing token or another tenant", async () => {
    const token = readFileSync(join(home, "edge", "credentials", "acme", "acme-plant-1-rfid.scan-token"), "utf8").trim();
    const post = (body: unknown, auth: string | null) =>
      fetch(`${served.info.http}/v1/scans`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) } });
    const scan = { job_id: "serve-job-1", station: "cut", scan_ts: new Date(Date.now() - 1000).toISOString(), operator_id: "op-7" };
    assert.equal((await post({ v: 1, scans: [scan] }, null)).status, 401);
    assert.equal((await post({ v: 1, scans: [scan] }, "Bearer not-a-token")).status, 401);
    assert.equal((await post({ v: 1, tenant_id: "globex", scans: [scan] }, `Bearer ${token}`)).status, 403);
    const ok = await post({ v: 1, tenant_id: "acme", site_id: "acme-plant-1", scans: [scan] }, `Bearer ${token}`);
    assert.equal(ok.status, 202);
    const session = await ServedSession.open(served.info, { role: "HUB_ADMIN" });
    try {
      await waitFor(async () => Number((await session.execute("SELECT COUNT(*) FROM RAW.JOB_SCANS WHERE job_id = 'serve-job-1'"))[0]!.rows[0]![0]) === 1, "the scan to land", 60_000);
    } finally {
      await session.close();
    }
  });

  it("runs the hub's own scripts through the running process: sql.ts, load.ts, cost-report.ts and archive.ts", async () => {
    const env = { ...process.env, HUB_HOME: home };
    // Independent of each other: started together (each is a process of its own), checked in turn.
    const file = join(home, "day2.csv");
    writeFileSync(file, `ts,site_id,device_id,seq,state,period_s\n${new Date(Date.now() - 30_000).toISOString()},acme-plant-1,acme-plant-1-m-002,1,IDLE,1\n`);
    const script = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env: { ...env, ...extra } });
    const failing = (p: Promise<{ stdout: string; stderr: string }>) => p.then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);
    const loading = script(["scripts/load.ts", "--tenant", "acme", file]);
    const costing = script(["scripts/cost-report.ts", "--format", "json"]);
    const retraining = failing(script(["scripts/retrain.ts", "train", "--tenant", "acme", "--json"]));
    const mistaken = failing(script(["scripts/archive.ts", "export"]));
    const printed = script(["scripts/sql.ts", "SELECT '2026-01-02 03:04:05.5'::TIMESTAMP_NTZ AS ntz"]);
    const sql = await script(["scripts/sql.ts", "--json", "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS; USE SCHEMA ANALYTICS; SELECT CURRENT_SCHEMA()"]);
    const results = JSON.parse(sql.stdout) as Array<{ rows: unknown[][] }>;
    assert.ok(Number(results[0]!.rows[0]![0]) >= 4, "the served hub's rows, not a stale file's");
    assert.deepEqual(results[2]!.rows, [["ANALYTICS"]], "USE changed the session on the endpoint");
    // The timestamp as on the file (tests/scripts/cli.test.ts): the endpoint types it, the driver keeps the type.
    assert.match((await printed).stdout, /^NTZ\n-{23}\n2026-01-02 03:04:05\.500\n/);
    const load = await loading;
    assert.match(load.stdout, /1 loaded into RAW, 0 to RAW\.QUARANTINE \(through the served hub\)/);
    const cost = await costing;
    const report = JSON.parse(cost.stdout) as { warehouses: Array<{ warehouse: string }> };
    assert.ok(report.warehouses.some((w) => w.warehouse === "HUB_TRANSFORM_WH"), "the cost report read the served hub's monitors and meter through SHOW and ACCOUNT_USAGE");
    // The production path itself, pointed at the served hub as at an account.
    const production = await run(process.execPath, ["--import", "tsx", "scripts/cost-report.ts", "--target", "snowflake", "--format", "json"], {
      cwd: ROOT,
      env: {
        ...env, HUB_HOME: join(home, "elsewhere"), SNOWFLAKE_ACCOUNT: "hub", SNOWFLAKE_USER: served.info.operatorUser, SNOWFLAKE_ROLE: "HUB_REPORTING",
        SNOWFLAKE_WAREHOUSE: "HUB_ANALYTICS_WH", SNOWFLAKE_DATABASE: "HUB", SNOWFLAKE_PRIVATE_KEY_PATH: served.info.operatorKey, SNOWFLAKE_ACCESS_URL: served.info.http,
      },
    });
    assert.ok((JSON.parse(production.stdout) as { warehouses: Array<{ warehouse: string }> }).warehouses.some((w) => w.warehouse === "HUB_ANALYTICS_WH"));
    const retrain = await retraining;
    assert.equal((retrain as { code?: number }).code, 3, "nothing to train on a few minutes of data: exit 3, after reading features through the endpoint");
    const outcomes = JSON.parse((retrain as { stdout: string }).stdout) as Array<{ reason: string }>;
    assert.ok(outcomes.length === 3 && outcomes.every((x) => /bad training data/.test(x.reason)), outcomes.map((x) => x.reason).join("; "));
    const exported = await run(process.execPath, ["--import", "tsx", "scripts/archive.ts", "export", "--tenant", "acme", "--layer", "bronze", "--json"], { cwd: ROOT, env });
    const runs = (JSON.parse(exported.stdout) as { runs: Array<{ rows: number }> }).runs;
    assert.ok(runs.reduce((n, r) => n + r.rows, 0) >= 4, "the served engine exported acme's bronze");
    const verified = await run(process.execPath, ["--import", "tsx", "scripts/archive.ts", "verify", "--tenant", "acme"], { cwd: ROOT, env });
    assert.match(verified.stdout, /^ok$/m);
    const refused = await mistaken;
    assert.equal((refused as { code: number }).code, 1);
    assert.match((refused as { stderr: string }).stderr, /give --tenant T or --all/, "a mistake is said as the command says it");
    const forged = await fetch(`${served.info.http}/v1/admin/archive`, { method: "POST", body: "{}", headers: { authorization: `Basic ${Buffer.from("ana:ana's secret").toString("base64")}` } });
    assert.equal(forged.status, 403, "a tenant's person may not run admin commands");
    // The operator's own token, with what a command request must not be.
    const operator = `Bearer ${signJwt({ account: "HUB", user: served.info.operatorUser }, readFileSync(served.info.operatorKey, "utf8"))}`;
    const admin = (path: string, body: string, method = "POST") => fetch(`${served.info.http}${path}`, { method, body: method === "GET" ? undefined : body, headers: { authorization: operator } });
    assert.equal((await admin("/v1/admin/archive", "{}")).status, 400, "no positionals or options");
    assert.equal((await admin("/v1/admin/archive", "not json")).status, 400);
    assert.equal((await admin("/v1/admin/archive", JSON.stringify({ positionals: [1], options: {} }))).status, 400, "positionals must be text");
    assert.equal((await admin("/v1/admin/archive", JSON.stringify({ positionals: ["export"], options: { x: "y".repeat(70_000) } }))).status, 400, "over 64 KB");
    assert.equal((await admin("/v1/admin/archive", "", "GET")).status, 405);
    assert.equal((await admin("/v1/admin/shell", "{}")).status, 404, "no other admin command");
    const wrongCommand = await admin("/v1/admin/archive", JSON.stringify({ positionals: ["delete"], options: {} }));
    assert.equal(wrongCommand.status, 422);
    assert.match(((await wrongCommand.json()) as { error: string }).error, /unknown command "delete"/);
  });

  it("serves the tenant's champion model behind SageMaker's InvokeEndpoint shape, to that tenant only", async () => {
    const machines = Array.from({ length: 12 }, (_, i) => ({ id: `acme-m-${i}`, features: i < 6 ? [0.8 + 0.01 * i, 40] : [0.3 + 0.01 * i, 70] }));
    const model = segmentMachines(machines, { features: ["utilization", "spindle_load"], seed: 1, kRange: [2, 3] });
    await new LocalRegistry(home).register(
      {
        tenantId: "acme", model: "segments", algorithm: "kmeans", parameters: {}, trainingWindow: { from: "2026-01-05T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z" },
        rowCount: 12, dataHash: "c".repeat(64), codeVersion: "test", metrics: { m: 1 }, baselineMetrics: { m: 2 }, approvalStatus: "Approved", reason: "test champion",
      },
      { kind: "json", body: { kind: "segments", model: model.toJSON() } },
    );
    const invoke = (path: string, auth: string, body = "0.82,41\n0.35,69") =>
      fetch(`${served.info.http}${path}`, { method: "POST", body, headers: { "content-type": "text/csv", authorization: auth } });
    const ana = `Basic ${Buffer.from("ana:ana's secret").toString("base64")}`;
    const r = await invoke("/v1/models/acme/segments/invocations", ana);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("x-hub-model-version"), "1");
    const answer = (await r.json()) as { predictions: Array<{ closest_cluster: number }> };
    assert.equal(answer.predictions.length, 2);
    assert.notEqual(answer.predictions[0]!.closest_cluster, answer.predictions[1]!.closest_cluster, "a busy and an idle machine fall in different clusters");
    assert.equal((await invoke("/v1/models/globex/segments/invocations", ana)).status, 403, "another tenant's model");
    assert.equal((await invoke("/v1/models/acme/segments/invocations", `Basic ${Buffer.from("gus:gus pw").toString("base64")}`)).status, 403);
    assert.equal((await invoke("/v1/models/acme/segments/invocations", "Basic bm9ib2R5Og==")).status, 401);
    assert.equal((await invoke("/v1/models/acme/forecast/invocations", ana)).status, 404, "no champion");
    assert.equal((await invoke("/v1/models/acme/weather/invocations", ana)).status, 404, "no such model");
    assert.equal((await invoke("/v1/models/acme/segments/invocations", ana, "0.5,abc")).status, 400);
  });

  it("mounts the operator portal: its page, a tenant's sign-in and overview, another tenant's refused", async () => {
    const page = await fetch(`${served.info.http}/portal/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const login = await fetch(`${served.info.http}/api/portal/login`, {
      method: "POST", body: JSON.stringify({ user: "ana", password: "ana's secret" }), headers: { "content-type": "application/json", origin: served.info.http },
    });
    assert.equal(login.status, 200);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const overview = await fetch(`${served.info.http}/api/portal/tenants/acme/overview`, { headers: { cookie } });
    assert.equal(overview.status, 200);
    assert.doesNotMatch(await overview.text(), /globex/, "acme's overview names no other tenant");
    assert.equal((await fetch(`${served.info.http}/api/portal/tenants/globex/overview`, { headers: { cookie } })).status, 403);
    const text = await (await fetch(`${served.info.http}/metrics`)).text();
    assert.match(text, /hub_http_requests_total\{route="portal",status="403"\} 1/, "portal requests are counted under a fixed route name");
    // The cost page reads the snapshot serve appends to OPS.TENANT_COSTS at its first tick (then every 5 minutes).
    type Cost = { cost: { currency: string; computedAt: string; warehouses: Array<{ warehouse: string }> } | null };
    let cost: Cost["cost"] = null;
    for (let i = 0; i < 40 && !cost; i++) {
      cost = ((await (await fetch(`${served.info.http}/api/portal/tenants/acme/cost`, { headers: { cookie } })).json()) as Cost).cost;
      if (!cost) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(cost, "serve wrote a cost snapshot within 20 s of serving");
    assert.equal(cost.currency, "USD");
    assert.ok(cost.warehouses.every((w) => w.warehouse.startsWith("TENANT_ACME_")), JSON.stringify(cost.warehouses));
  });

  it("refuses a second serve of the same hub, then drains on SIGTERM and exits 0", async () => {
    const second = await run(process.execPath, ["--import", "tsx", "scripts/serve.ts", "--home", home, "--http-port", "0", "--mqtt-port", "0"], { cwd: ROOT }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((second as { code: number }).code, 1);
    assert.match((second as { stderr: string }).stderr, /already served \(pid \d+/);
    const { code, ms } = await served.stop("SIGTERM");
    assert.equal(code, 0);
    assert.ok(ms < 30_000, `drained within the bound (${ms} ms)`);
    assert.equal(existsSync(serveFilePath(home)), false, "serve.json is removed: tools open the file again");
    const stopped = served.logs().find((l) => l.msg === "stopped");
    assert.ok(stopped, "the drain was logged");
    assert.ok(Number(stopped.readings) >= 3);
    assert.doesNotMatch(readFileSync(join(home, "users.json"), "utf8"), /secret/, "passwords are kept hashed");
  });
});
