/**
 * The main job end to end, reduced: one tenant, one simulated hour, through the real broker,
 * gateway and ingest. The summary's figures are checked against the warehouse itself; then the
 * behaviours people expect: a second run continues, Ctrl-C stops cleanly, and a port in use, an
 * unwritable or corrupt hub folder each give a clear error.
 */
import { hubFileQuery as warehouse } from "../helpers/engine.ts";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_DIR } from "../../edge/fleetStackFile.ts";
import { hubDatabasePath } from "../../pipelines/hubHome.ts";
import { openHub, runMainJob, type MainJobOptions, type MainJobReport } from "../../scripts/lib/hub/mainJob.ts";
import { UserError } from "../../scripts/lib/command.ts";
import { formatRunSummary } from "../../scripts/lib/hub/summaryText.ts";

// Seed 25 puts all five fault kinds into acme's first hour at the stack file's rates (a breakdown
// and a dust event the thresholds can see, a stuck sensor and a surge they cannot), so the
// alert-against-fault figures are checked on finds and misses, not on an empty plan.
const base = (home: string): MainJobOptions => ({ home, projectDir: PROJECT_DIR, tenants: ["acme"], hours: 1, seed: 25, stepMinutes: 15, port: 0, fresh: true });

describe("npm start, reduced to one tenant and one simulated hour", () => {
  let home: string;
  let report: MainJobReport;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), "hub-main-"));
    report = await runMainJob(base(home));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("runs the hour through the broker and accounts for every published reading", () => {
    assert.equal(report.stopped, false);
    assert.equal(report.simulatedHours >= 1, true);
    const e = report.edge;
    assert.ok(e.published > 20_000, `acme publishes ~30k readings an hour, got ${e.published}`);
    assert.equal(e.published, e.committedReadings + e.committedScans + e.quarantinedAtIngest + e.droppedByGateway);
    assert.equal(report.alertDelivery, null, "acme's stack file configures no alert channel: nothing delivered, no error");
  });

  it("summarises readings, quarantine and KPIs exactly as the warehouse holds them", async () => {
    const [t] = report.tenants;
    assert.equal(t!.tenantId, "acme");
    const [raw] = await warehouse<{ n: bigint }>(home, "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS WHERE tenant_id = 'acme'");
    assert.equal(t!.rawReadings, Number(raw!.n));
    assert.equal(t!.rawReadings, report.edge.committedReadings, "every committed reading is in RAW");
    const [q] = await warehouse<{ n: bigint }>(home, "SELECT COUNT(*) AS n FROM RAW.QUARANTINE WHERE tenant_id = 'acme'");
    assert.equal(t!.quarantined, Number(q!.n));
    const [u] = await warehouse<{ u: number; oee: number; machines: bigint }>(
      home,
      "SELECT SUM(run_s) / SUM(observed_s) AS u, AVG(oee) AS oee, COUNT(DISTINCT machine_id) AS machines FROM ANALYTICS.MACHINE_UTILIZATION_HOURLY WHERE tenant_id = 'acme'",
    );
    assert.ok(Math.abs(t!.utilization! - u!.u) < 1e-9 && Math.abs(t!.oee! - u!.oee) < 1e-9);
    assert.equal(t!.machines, Number(u!.machines));
    const [b] = await warehouse<{ s: string }>(
      home,
      "SELECT bottleneck_station AS s FROM ANALYTICS.PRODUCTION_FLOW WHERE tenant_id = 'acme' AND bottleneck_station IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1",
    );
    assert.equal(t!.bottleneckStation, b?.s ?? null);
    const tenants = await warehouse<{ tenant_id: string }>(home, "SELECT DISTINCT tenant_id FROM RAW.SENSOR_READINGS");
    assert.deepEqual(tenants.map((r) => r.tenant_id), ["acme"], "only the tenant asked for ran");
  });

  it("bills the tenant's warehouse against the quota from its stack file", async () => {
    const [t] = report.tenants;
    const [q] = t!.cost.quotas;
    assert.equal(q!.warehouse, "TENANT_ACME_BI_WH");
    assert.equal(q!.quota, 50, "Pulumi.acme.yaml sets hub:creditQuota: 50");
    const [m] = await warehouse<{ credits: number }>(
      home,
      "SELECT SUM(credits_used_compute) AS credits FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY WHERE warehouse_name = 'TENANT_ACME_BI_WH'",
    );
    assert.ok(q!.used > 0, "the summary's queries ran on the tenant's own warehouse and were billed");
    // A monitor counts the warehouse's compute credits (cloud services are billed on their own).
    assert.ok(Math.abs(q!.used - Number(m!.credits)) < 1e-9, `${q!.used} vs metered ${m!.credits}`);
  });

  it("writes a self-contained operator report: the fleet overview first, then a chart per section", () => {
    const html = readFileSync(report.reportPath, "utf8");
    assert.match(html, /<h2>acme<\/h2>/);
    const fleet = html.indexOf("Fleet overview: each plant over the period");
    assert.ok(fleet > 0 && fleet < html.indexOf("<h2>"), "the overview comes before the tenants' sections");
    for (const t of report.tenants) assert.match(html.slice(fleet, html.indexOf("<h2>")), new RegExp(`<th scope="rowgroup" rowspan="\\d+">${t.tenantId}</th>`));
    for (const h of ["Utilisation and OEE per machine", "Energy per hour", "Air quality index over time", "Flow bottlenecks", "Anomalies on their series", "Cost against quota", "worst AQI of the period", "AQI now"]) {
      assert.ok(html.includes(h), h);
    }
    // The header splits the credits as the cost report does: charged to tenants + the platform's = all.
    const m = /([\d.]+) credits \([^)]*\) in all: ([\d.]+) charged back to the tenants by query share \([^)]*\), ([\d.]+) kept as the platform(?:'|&#39;)s/.exec(html);
    assert.ok(m, "the chargeback header");
    assert.ok(Math.abs(Number(m![2]) + Number(m![3]) - Number(m![1])) <= 0.0015, m![0]);
    assert.ok((html.match(/<svg/g) ?? []).length >= 4, "charts are inline SVG");
    assert.doesNotMatch(html, /<script/, "no script: it opens anywhere, offline");
  });

  it("exports the run to the local archive under the tenant's prefix, and writes the fault labels", () => {
    assert.ok(report.archive[0]!.files > 0 && report.archive[0]!.rows > 0, JSON.stringify(report.archive));
    const bronze = join(home, "archive", "bronze");
    const tables = readdirSync(bronze);
    assert.ok(tables.length > 0);
    for (const t of tables) assert.deepEqual(readdirSync(join(bronze, t)), ["tenant=acme"]);
    // Bronze and silver are exported beside retraining, gold after the scores' alerts: all three land.
    for (const layer of ["silver", "gold"]) {
      const under = readdirSync(join(home, "archive", layer));
      assert.ok(under.length > 0, `${layer} is archived`);
      for (const t of under) assert.deepEqual(readdirSync(join(home, "archive", layer, t)), ["tenant=acme"], `${layer}/${t}`);
    }
    assert.ok(readdirSync(join(home, "archive", "gold")).includes("analytics.alerts"));
    assert.ok(existsSync(report.labelsPath));
  });

  it("scores the run's alerts against the faults in labels.jsonl, as recounted from the warehouse", async () => {
    const [t] = report.tenants;
    const x = t!.alertsOnFaults!;
    assert.ok(x, "every run scores its alerts");
    const from = report.simulatedFrom.getTime();
    const HOUR = 3_600_000;
    // The ground truth as written, and the alerts as the outbox holds them.
    const faults = readFileSync(report.labelsPath, "utf8").trim().split("\n").filter(Boolean)
      .map((l) => JSON.parse(l) as { tenant_id: string; device_id: string; fault: string; metric: string; start: string; end: string })
      .filter((l) => l.tenant_id === "acme" && Date.parse(l.end) > from);
    const alerts = (await warehouse<{ device_id: string; rule_id: string; first_ts: Date }>(
      home, "SELECT device_id, rule_id, first_ts FROM OPS.ALERT_NOTIFICATIONS WHERE tenant_id = 'acme'",
    )).filter((a) => a.first_ts.getTime() >= from);
    // An alert counts for a fault of its device when its first breach is inside the window or up to an hour before it.
    const hits = (a: (typeof alerts)[number], f: (typeof faults)[number]) =>
      a.device_id === f.device_id && a.first_ts.getTime() < Date.parse(f.end) && a.first_ts.getTime() + HOUR > Date.parse(f.start);
    const found = faults.filter((f) => alerts.some((a) => hits(a, f)));
    const outside = alerts.filter((a) => !faults.some((f) => hits(a, f)));
    assert.ok(found.length > 0 && found.length < faults.length, `the seed gives finds and misses to check (${found.length} of ${faults.length})`);
    assert.equal(x.injected, faults.length);
    assert.equal(x.found, found.length);
    assert.equal(x.alerts, alerts.length);
    assert.equal(x.falseAlerts, outside.length);
    assert.equal(x.alerts, t!.alerts, "the first run's alerts are all the tenant's alerts");
    const precision = found.length + outside.length === 0 ? (faults.length ? 0 : 1) : found.length / (found.length + outside.length);
    assert.ok(Math.abs(x.precision - precision) < 1e-12);
    assert.ok(Math.abs(x.recall - (faults.length ? found.length / faults.length : 1)) < 1e-12);
    // Per kind, with the threshold rules the warehouse holds on each kind's metric.
    const rules = await warehouse<{ rule_id: string; sensor_type: string; metric: string }>(home, "SELECT rule_id, sensor_type, metric FROM OPS.ALERT_RULES");
    const sensorOf: Record<string, string> = { breakdown: "MACHINE", drift: "AIR_QUALITY", stuck: "AIR_QUALITY", pm25_spike: "AIR_QUALITY", energy_surge: "ENERGY" };
    for (const k of x.byKind) {
      assert.equal(k.injected, faults.filter((f) => f.fault === k.kind).length, k.kind);
      assert.equal(k.found, found.filter((f) => f.fault === k.kind).length, k.kind);
      assert.deepEqual(k.rules, rules.filter((r) => r.sensor_type === sensorOf[k.kind] && r.metric === k.metric).map((r) => r.rule_id).sort(), k.kind);
    }
    assert.deepEqual(x.byKind.find((k) => k.kind === "stuck")!.rules, [], "a stuck air temperature is invisible to the thresholds, and said so");
    // The summary and the report say it.
    const text = formatRunSummary(report);
    assert.ok(text.includes(`faults injected ${faults.length}: alerts found ${found.length} `), text);
    assert.match(text, /stuck \d+\/\d+ \(no threshold rule\)/);
    assert.match(text, /anomaly model: not trained \(\d+ hourly points, /, "an hour is too short for the model, and the line says why");
    const html = readFileSync(report.reportPath, "utf8");
    assert.ok(html.includes("Injected faults and alerts per device"));
    assert.ok(html.includes(`${faults.length} faults injected, ${found.length} found by an alert of their device`));
  });

  it("continues on the same hub folder in a second run", async () => {
    const second = await runMainJob({ ...base(home), hours: 0.25, fresh: false });
    assert.equal(second.simulatedFrom.getTime() >= report.simulatedUntil.getTime() - 5 * 60_000, true, "it starts where the first ended");
    assert.ok(second.tenants[0]!.rawReadings > report.tenants[0]!.rawReadings, "and adds to what is there");
    report = second;
  });
});

describe("npm start's behaviour on interruption and bad surroundings", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hub-main-err-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("stops after the current step on Ctrl-C, summarises what ran and leaves a consistent hub", async () => {
    const home = join(dir, "abort");
    const abort = new AbortController();
    const r = await runMainJob({ ...base(home), hours: 6, signal: abort.signal, onProgress: () => abort.abort() });
    assert.equal(r.stopped, true);
    assert.ok(r.simulatedHours < 1, `stopped after the first step, not after ${r.simulatedHours} h`);
    assert.equal(r.edge.published, r.edge.committedReadings + r.edge.committedScans + r.edge.quarantinedAtIngest + r.edge.droppedByGateway);
    const [raw] = await warehouse<{ n: bigint }>(home, "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS");
    assert.equal(Number(raw!.n), r.edge.committedReadings, "the database reopens with exactly what was committed");
  });

  it("says which port is in use", async () => {
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, "127.0.0.1", ok));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await assert.rejects(runMainJob({ ...base(join(dir, "port")), port }), (e: Error) => e instanceof UserError && e.message.includes(`port ${port}`) && /in use/.test(e.message));
    } finally {
      blocker.close();
    }
  });

  it("says when the hub folder cannot be created or written", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "not a folder");
    // Under a regular file nothing can be created, whatever the user's rights (CI may run as root).
    await assert.rejects(openHub({ ...base(join(file, "hub")), fresh: false }), /HUB_HOME .* is not writable/);
  });

  it("says when the hub database is corrupt, and that --fresh starts over", async () => {
    const home = join(dir, "corrupt");
    rmSync(home, { recursive: true, force: true });
    await openHub({ ...base(home), fresh: true }).then((h) => h.engine.close());
    writeFileSync(hubDatabasePath(home), Buffer.alloc(64 * 1024, 7));
    await assert.rejects(openHub({ ...base(home), fresh: false }), (e: Error) => /cannot be read/.test(e.message) && /--fresh/.test(e.message));
    const fresh = await openHub({ ...base(home), fresh: true });
    await fresh.engine.close();
  });
});
