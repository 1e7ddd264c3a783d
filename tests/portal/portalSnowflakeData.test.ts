/**
 * The portal on Snowflake (`serve --portal-data snowflake`), through the real snowflake-sdk and
 * Snowflake's protocol: the hub's own Snowflake endpoint on 127.0.0.1 over the portal fixture's
 * engine stands in for the account. The reader's SQL is rendered in Snowflake's dialect and
 * translated back by the endpoint, so one definition of every page runs on both targets, and the
 * pages' data read through snowflake-sdk must equal the data read through the twin's own session.
 * The portal's Snowflake user holds acme's role and HUB_PORTAL, not globex's: globex stays refused.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { startPortal, PASSWORDS, type PortalFixture } from "./portalFixture.ts";
import { SnowflakeEndpoint } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { TenantReader } from "../../pipelines/portal/tenantReader.ts";
import { twinPortalData, type PortalData } from "../../pipelines/portal/portalData.ts";
import { snowflakePortalData, portalSnowflakeConfigFromEnv } from "../../pipelines/portal/snowflakePortalData.ts";
import { PORTAL_ROLE } from "../../pipelines/definitions/grants.ts";
import { tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { adminQuery } from "../helpers/engine.ts";
import { gatedWatermark, pipelineSignal, PIPELINE_SIGNAL_SQL } from "../../pipelines/portal/liveSignal.ts";
import { CONTROL_SCHEMA } from "../../pipelines/engine/controlTables.ts";
import { DYNAMIC_TABLES } from "../../pipelines/definitions/catalog.ts";
import { qualifiedName } from "../../pipelines/definitions/types.ts";

const KEY = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const ACME_ALERT = { device_id: "m1", rule_id: "MACHINE_DOWN", window_start: "2026-01-05T08:00:00.000Z" };

/** Values as a page's JSON carries them (bigint as a number, dates as ISO text). */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x)));

let f: PortalFixture;
let endpoint: SnowflakeEndpoint;
let snowflakeData: PortalData;
const readers: TenantReader[] = [];

before(async () => {
  // The portal serves from Snowflake; the endpoint is created after the fixture's engine, so the
  // portal's data is bound late.
  const late: PortalData = {
    target: "snowflake",
    dialect: (await import("../../pipelines/dialect/index.ts")).snowflakeDialect,
    tenantSession: (t, r) => snowflakeData.tenantSession(t, r),
    writerSession: () => snowflakeData.writerSession(),
  };
  f = await startPortal({ data: late });
  // As acme's stack names it: the portal reads on the tenant's `bi` warehouse.
  await f.engine.defineResourceMonitor({ kind: "resource_monitor", name: "TENANT_ACME_BI_MONITOR", creditQuota: 50, frequency: "MONTHLY", notifyAt: [75], suspendAt: 100, suspendImmediateAt: 110 });
  await f.engine.defineWarehouse({ kind: "warehouse", name: "TENANT_ACME_BI_WH", comment: "", size: "XSMALL", autoSuspendSeconds: 60, autoResume: true, initiallySuspended: true, resourceMonitor: "TENANT_ACME_BI_MONITOR" });
  endpoint = await SnowflakeEndpoint.start({
    engine: f.engine,
    account: "hub",
    users: [{ name: "HUB_PORTAL_SVC", publicKeys: [KEY.publicKey], roles: [tenantRoleName("acme"), PORTAL_ROLE], defaultRole: PORTAL_ROLE }],
  });
  // What serve reads from the task's environment: the key as PEM text, as ECS injects it.
  snowflakeData = snowflakePortalData(
    portalSnowflakeConfigFromEnv({ SNOWFLAKE_ACCOUNT: "hub", SNOWFLAKE_USER: "HUB_PORTAL_SVC", SNOWFLAKE_DATABASE: "HUB", SNOWFLAKE_ACCESS_URL: endpoint.url, HUB_SNOWFLAKE_PRIVATE_KEY: KEY.privateKey }),
  );
});

after(async () => {
  for (const r of readers) await r.close();
  await f.close();
  await endpoint.close();
});

function reader(data: PortalData, tenant: string): TenantReader {
  const r = new TenantReader(data, tenant, tenantRoleName(tenant));
  readers.push(r);
  return r;
}

describe("the portal's data on Snowflake", () => {
  test("every page's data read through snowflake-sdk equals the twin's, for the same fixture", async () => {
    const now = f.engine.clock.now();
    const twin = reader(twinPortalData(f.engine), "acme");
    const sf = reader(snowflakeData, "acme");
    const pages: Array<[string, (r: TenantReader) => Promise<unknown>]> = [
      ["watermark", (r) => r.watermark(now)],
      ["lastData", (r) => r.lastData(now)],
      ["plants", (r) => r.plants(now)],
      ["machines", (r) => r.machines(now)],
      ["machine m1", (r) => r.machine("m1", now)],
      ["air", (r) => r.air(now)],
      ["flow", (r) => r.flow()],
      ["alerts", (r) => r.alerts()],
      // OPS.TENANT_COSTS, as the fixture's snapshot wrote it: the cost page in production.
      ["cost", (r) => r.cost()],
    ];
    for (const [name, read] of pages) {
      const [a, b] = [asJson(await read(twin)), asJson(await read(sf))];
      assert.deepEqual(b, a, `${name}: Snowflake's answer differs from the twin's`);
    }
    // Not vacuous: the fixture's plant, machine, air and alerts are there.
    const plants = (await sf.plants(now)) as Array<Record<string, unknown>>;
    assert.deepEqual(plants.map((p) => p.site_id), ["s1"]);
    assert.ok(((await sf.alerts()) as unknown[]).length > 0, "acme has alerts in the fixture");
    assert.ok(((await sf.air(now)).hourly ?? []).length > 0, "acme has air readings in the fixture");
    assert.equal((await sf.machine("m1", now))?.site?.[0]?.site_id, "s1");
    const cost = await sf.cost();
    assert.deepEqual(cost?.warehouses.map((w) => [w.warehouse, w.quotaCredits, w.triggers.length]), [["TENANT_ACME_ANALYTICS_WH", 10, 4]], "acme's own warehouse against its quota, through Snowflake's protocol");
    assert.equal(await sf.machine("g-m1", now), null, "another tenant's machine is not acme's");
    assert.equal(await sf.alertExists("m1", "MACHINE_DOWN", "2026-01-05 08:00:00"), true);
    assert.equal(await sf.alertExists("g-aq1", "PM25_UNHEALTHY", "2026-01-05 08:00:00"), false, "globex's alert is invisible to acme's role");
  });

  test("a tenant whose role the portal's user does not hold is refused at login, as Snowflake refuses it (390189)", async () => {
    const globex = reader(snowflakeData, "globex");
    await assert.rejects(globex.plants(f.engine.clock.now()), (e: unknown) => e instanceof HubSqlError && e.code === "390189" && /TENANT_GLOBEX_ROLE/.test(e.message));
  });

  test("a person's acknowledgement and alerts page go through Snowflake: the row has the session's tenant and user, written as HUB_PORTAL", async () => {
    const login = await fetch(`${f.url}/api/portal/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "alice", password: PASSWORDS.ALICE }) });
    assert.equal(login.status, 200);
    const s = { cookie: login.headers.get("set-cookie")!.split(";")[0]!, csrf: ((await login.json()) as { csrf: string }).csrf };
    assert.equal((await fetch(`${f.url}/api/portal/tenants/globex/overview`, { headers: { cookie: s.cookie } })).status, 403);
    const ack = await fetch(`${f.url}/api/portal/tenants/acme/alerts/ack`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: s.cookie, "x-csrf-token": s.csrf },
      body: JSON.stringify({ ...ACME_ALERT, note: "it's the belt\\drive", tenant_id: "globex" }),
    });
    assert.equal(ack.status, 200, await ack.clone().text());
    const rows = await adminQuery<{ tenant_id: string; acknowledged_by: string; note: string }>(f.engine, "SELECT tenant_id, acknowledged_by, note FROM OPS.ALERT_ACKNOWLEDGEMENTS WHERE device_id = 'm1'");
    assert.deepEqual(rows, [{ tenant_id: "acme", acknowledged_by: "ALICE", note: "it's the belt\\drive" }], "quotes and backslashes arrive as typed");
    const alerts = await fetch(`${f.url}/api/portal/tenants/acme/alerts`, { headers: { cookie: s.cookie } });
    const acked = ((await alerts.json()) as { data: { alerts: Array<Record<string, unknown>> } }).data.alerts.find((a) => a.device_id === "m1" && a.rule_id === "MACHINE_DOWN");
    assert.equal(acked?.acknowledged_by, "ALICE");
  });

  test("HUB_PORTAL writes its one table and reads nothing, on the twin as its grants say on Snowflake", async () => {
    const w = await snowflakeData.writerSession();
    try {
      for (const sql of [
        "SELECT * FROM OPS.ALERT_ACKNOWLEDGEMENTS",
        // MONITOR on the dynamic tables (the live signal) shows their metadata, never their rows.
        "SELECT * FROM ANALYTICS.ALERTS",
        "INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id) VALUES ('acme')",
        "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id, note) SELECT tenant_id, 'x' FROM ANALYTICS.ALERTS",
        "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id, note) VALUES ('acme', (SELECT MAX(device_id) FROM ANALYTICS.ALERTS))",
        "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme'), ('globex')",
        "DELETE FROM OPS.ALERT_ACKNOWLEDGEMENTS",
      ]) {
        await assert.rejects(w.execute(sql), (e: unknown) => e instanceof HubSqlError && ["003001", "000002", "002003"].includes(e.code), sql);
      }
    } finally {
      await w.close();
    }
  });
});

describe("the live stream's change signal on Snowflake: metadata, no warehouse", () => {
  test("HUB_PORTAL's SHOW DYNAMIC TABLES through snowflake-sdk lists every dynamic table with the twin's data_timestamp, and moves when one refreshes", async () => {
    const w = await snowflakeData.writerSession();
    try {
      const twinSignal = async () =>
        pipelineSignal((await f.engine.control<{ name: string; data_timestamp: Date | null }>(`SELECT name, data_timestamp FROM ${CONTROL_SCHEMA}.DYNAMIC_TABLES`))
          .map((r) => ({ schema_name: r.name.split(".")[0], name: r.name.split(".")[1], data_timestamp: r.data_timestamp })));
      const rows = await w.query(PIPELINE_SIGNAL_SQL);
      assert.deepEqual(rows.map((r) => `${String(r.schema_name)}.${String(r.name)}`).sort(), DYNAMIC_TABLES.map(qualifiedName).sort(), "MONITOR on each: all listed");
      assert.ok(rows.every((r) => r.data_timestamp !== null), "the fixture refreshed every table");
      const before = pipelineSignal(rows);
      assert.equal(before, await twinSignal());
      f.clock.advance(60_000);
      await f.engine.refresh("ANALYTICS.ALERTS");
      const after = pipelineSignal(await w.query(PIPELINE_SIGNAL_SQL));
      assert.notEqual(after, before);
      assert.equal(after, await twinSignal());
    } finally {
      await w.close();
    }
  });

  test("the gate over Snowflake: a tenant's watermark is read on its warehouse once, again only after a refresh and the bound", async () => {
    const w = await snowflakeData.writerSession();
    const sf = reader(snowflakeData, "acme");
    let reads = 0;
    let wall = 0;
    const gate = gatedWatermark({
      read: async () => {
        reads++;
        return JSON.stringify(await sf.watermark(f.engine.clock.now()));
      },
      signal: async () => pipelineSignal(await w.query(PIPELINE_SIGNAL_SQL)),
      minIntervalMs: 300_000,
      now: () => wall,
    });
    try {
      await gate("acme");
      for (let i = 0; i < 5; i++) {
        wall += 1000;
        await gate("acme");
      }
      assert.equal(reads, 1, "nothing refreshed: no warehouse read after the first");
      f.clock.advance(60_000);
      await f.engine.refresh("ANALYTICS.AIR_QUALITY_CURRENT");
      wall += 300_000;
      await gate("acme");
      assert.equal(reads, 2);
    } finally {
      await w.close();
    }
  });
});

describe("the portal's Snowflake settings from the environment", () => {
  const base = { SNOWFLAKE_ACCOUNT: "acme-prod", SNOWFLAKE_USER: "HUB_PORTAL_SVC", SNOWFLAKE_DATABASE: "HUB" };
  test("each missing variable is named, and the key is taken from one place only", () => {
    assert.throws(() => portalSnowflakeConfigFromEnv({}), /SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_DATABASE, HUB_SNOWFLAKE_PRIVATE_KEY/);
    assert.throws(() => portalSnowflakeConfigFromEnv({ ...base, HUB_SNOWFLAKE_PRIVATE_KEY: KEY.privateKey, SNOWFLAKE_PRIVATE_KEY_PATH: "/k.pem" }), /not both/);
    assert.throws(() => portalSnowflakeConfigFromEnv({ ...base, SNOWFLAKE_PRIVATE_KEY_PATH: "/nonexistent/k.pem" }), /"\/nonexistent\/k.pem" cannot be read \(ENOENT\)/);
    const c = portalSnowflakeConfigFromEnv({ ...base, HUB_SNOWFLAKE_PRIVATE_KEY: KEY.privateKey, SNOWFLAKE_ACCESS_URL: "https://acme-prod.privatelink.snowflakecomputing.com" });
    assert.equal(c.accessUrl, "https://acme-prod.privatelink.snowflakecomputing.com");
    assert.equal(c.username, "HUB_PORTAL_SVC");
  });
});
