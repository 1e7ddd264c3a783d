/**
 * The main job's first run with history (issue 24, part 3), reduced to one tenant and one live
 * hour but with npm start's four weeks of history: the simulator's hourly aggregates written to
 * HUB_HOME/history and loaded through the batch file load before the live hours, so that the first
 * run trains, gates and registers the forecast and anomaly models and scores the live hours. Then a
 * second run on the same hub loads nothing twice, and a bad --history-days is refused by name.
 */
import { hubFileQuery as warehouse } from "../helpers/engine.ts";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PROJECT_DIR } from "../../edge/fleetStackFile.ts";
import { runMainJob, type MainJobOptions, type MainJobReport } from "../../scripts/lib/hub/mainJob.ts";
import { DEFAULT_HISTORY_DAYS } from "../../scripts/lib/hub/history.ts";
import { formatRunSummary } from "../../scripts/lib/hub/summaryText.ts";
import { historyChunks } from "../../edge/fleetHistory.ts";

const DAY = 86_400_000;
const base = (home: string): MainJobOptions => ({
  home, projectDir: PROJECT_DIR, tenants: ["acme"], hours: 1, seed: 42, stepMinutes: 30, port: 0, fresh: true, historyDays: DEFAULT_HISTORY_DAYS,
});

describe("history chunks", () => {
  it("counts weeks back from the end, the oldest shorter, and leaves out days already covered", () => {
    const end = new Date("2026-01-05T00:00:00Z");
    const days = (c: { from: Date; to: Date }) => [c.from.toISOString().slice(0, 10), c.to.toISOString().slice(0, 10)];
    assert.deepEqual(historyChunks(end, 10).map(days), [["2025-12-26", "2025-12-29"], ["2025-12-29", "2026-01-05"]]);
    // Later, 28 days: only what the 10 did not cover, in week-aligned chunks.
    const covered = historyChunks(end, 10);
    assert.deepEqual(historyChunks(end, 28, covered).map(days), [["2025-12-08", "2025-12-15"], ["2025-12-15", "2025-12-22"], ["2025-12-22", "2025-12-26"]]);
    assert.deepEqual(historyChunks(end, 0), []);
  });
});

// ~110 CPU s (4 weeks simulated, loaded, validated; every model trained twice): ~70 s on a quiet
// 2-core machine, 10 min when it is shared with three other test runs.
describe("npm start's first run with history, one tenant", { timeout: 900_000 }, () => {
  let home: string;
  let first: MainJobReport;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), "hub-history-"));
    first = await runMainJob(base(home));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("loads four weeks of history through the batch file load before the live hours, every row accounted for", async () => {
    const [h] = first.history;
    assert.equal(h!.tenantId, "acme");
    assert.equal(h!.until.getTime(), first.simulatedFrom.getTime(), "the history ends where the live hours begin");
    assert.equal(h!.chunksWritten, 4);
    assert.equal(h!.files, 12, "machine, energy and air files per week");
    assert.deepEqual([h!.loadedFiles, h!.alreadyLoaded, h!.refused.length], [12, 0, 0]);
    assert.equal(h!.rows, h!.loaded + h!.quarantined);
    assert.ok(h!.loaded > 15_000, `four weeks of hourly aggregates, got ${h!.loaded}`);
    const [raw] = await warehouse<{ n: bigint; t0: Date; t1: Date }>(home, "SELECT COUNT(*) AS n, MIN(ts) AS t0, MAX(ts) AS t1 FROM RAW.SENSOR_READINGS WHERE tenant_id = 'acme' AND source LIKE 'file:acme-%'");
    assert.equal(Number(raw!.n), h!.loaded);
    assert.equal(raw!.t0.getTime(), first.simulatedFrom.getTime() - DEFAULT_HISTORY_DAYS * DAY);
    assert.ok(raw!.t1 < first.simulatedFrom);
    const [q] = await warehouse<{ n: bigint }>(home, "SELECT COUNT(*) AS n FROM RAW.QUARANTINE WHERE source LIKE 'file:acme-%'");
    assert.equal(Number(q!.n), h!.quarantined);
    // Loaded as weekly uploads: nothing of it is refused by the warehouse's 7-day age rule.
    const [old] = await warehouse<{ n: bigint }>(home, "SELECT COUNT(*) AS n FROM RAW.QUARANTINE WHERE reason LIKE '%older than ingested_at%'");
    assert.equal(Number(old!.n), 0);
    const [hours] = await warehouse<{ n: bigint }>(home, `SELECT COUNT(DISTINCT hour) AS n FROM ANALYTICS.ENERGY_HOURLY WHERE tenant_id = 'acme' AND hour < TIMESTAMP '${first.simulatedFrom.toISOString().slice(0, 19).replace("T", " ")}'`);
    assert.equal(Number(hours!.n), DEFAULT_HISTORY_DAYS * 24, "every history hour reached gold");
  });

  it("keeps the live hours' edge count and RAW apart from the history", async () => {
    const e = first.edge;
    assert.equal(e.published, e.committedReadings + e.committedScans + e.quarantinedAtIngest + e.droppedByGateway);
    const [live] = await warehouse<{ n: bigint }>(home, "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS WHERE tenant_id = 'acme' AND source = 'mqtt'");
    assert.equal(Number(live!.n), e.committedReadings);
    assert.equal(first.lifetime.unaccounted, 0);
  });

  it("trains, gates and registers the forecast, anomaly and segment models on the first run, and scores the live hours", async () => {
    const models = first.tenants[0]!.models;
    for (const kind of ["forecast", "anomaly", "segments"]) {
      const m = models.find((x) => x.model === kind)!;
      assert.equal(m.decision, "Approved", `${kind}: ${m.reason}`);
    }
    const forecast = models.find((x) => x.model === "forecast")!;
    assert.ok(forecast.challenger! < forecast.baseline!, "the forecast beats the seasonal naive baseline");
    // The champion's forecast: 24 hours per meter after the live hours, each inside its interval.
    const f = await warehouse<{ series_id: string; n: bigint; t0: Date; bad: bigint }>(
      home,
      "SELECT series_id, COUNT(*) AS n, MIN(ts) AS t0, COUNT(*) FILTER (WHERE NOT (lower_bound <= forecast AND forecast <= upper_bound)) AS bad FROM ML.FORECASTS WHERE tenant_id = 'acme' GROUP BY series_id ORDER BY series_id",
    );
    assert.deepEqual(f.map((x) => x.series_id), ["kwh:acme-plant-1-e-001", "kwh:acme-plant-1-e-002"]);
    for (const x of f) {
      assert.equal(Number(x.n), 24);
      assert.equal(Number(x.bad), 0);
      assert.ok(x.t0 >= first.simulatedFrom);
    }
    // The anomaly model scored the live hours of every machine.
    const [a] = await warehouse<{ series: bigint; live: bigint }>(
      home,
      `SELECT COUNT(DISTINCT series_id) AS series, COUNT(*) FILTER (WHERE ts >= TIMESTAMP '${first.simulatedFrom.toISOString().slice(0, 19).replace("T", " ")}') AS live FROM ML.ANOMALIES WHERE tenant_id = 'acme'`,
    );
    // Per machine utilisation and share of time DOWN, per meter kWh, per air sensor CO2 and PM2.5 (ml/modelSpecs.ts ANOMALY_FEATURES).
    const [devices] = await warehouse<{ machines: bigint; meters: bigint; air: bigint }>(
      home,
      `SELECT COUNT(DISTINCT device_id) FILTER (WHERE sensor_type = 'MACHINE') AS machines, COUNT(DISTINCT device_id) FILTER (WHERE sensor_type = 'ENERGY') AS meters,
         COUNT(DISTINCT device_id) FILTER (WHERE sensor_type = 'AIR_QUALITY') AS air FROM CORE.SENSOR_READINGS_NORMALIZED WHERE tenant_id = 'acme'`,
    );
    assert.equal(Number(a!.series), 2 * Number(devices!.machines) + Number(devices!.meters) + 2 * Number(devices!.air));
    assert.ok(Number(a!.live) >= 8, `live hours scored: ${a!.live}`);
    assert.ok(first.tenants[0]!.anomalies, "the anomaly model's flags are scored against the injected faults");
    const text = formatRunSummary(first);
    assert.doesNotMatch(text, /not trained/);
    assert.match(text, /History before 2026-01-05T00:00Z \(hourly aggregates, batch file load\): acme 12 files, [\d,]+ rows = [\d,]+ to RAW \+ \d+ quarantined\./);
    const html = readFileSync(first.reportPath, "utf8");
    assert.ok(html.includes("kwh:acme-plant-1-e-001: observed, then forecast with its interval"), "the report draws the forecast");
    assert.match(html, /<figcaption>(utilization|down_share|kwh|co2_ppm|pm25_ugm3):acme-plant-1-[a-z]+-\d+<\/figcaption>/, "and the anomalies on their series");
  });

  it("counts the live hours' alerts in the summary and the report, and the history's apart", async () => {
    const [t] = first.tenants;
    const from = first.simulatedFrom.toISOString().slice(0, 19).replace("T", " ");
    const [n] = await warehouse<{ live: bigint; before: bigint }>(
      home,
      `SELECT COUNT(*) FILTER (WHERE first_ts >= TIMESTAMP '${from}') AS live, COUNT(*) FILTER (WHERE first_ts < TIMESTAMP '${from}') AS before
       FROM OPS.ALERT_NOTIFICATIONS WHERE tenant_id = 'acme'`,
    );
    assert.ok(Number(n!.before) > 0, "four weeks of hourly aggregates breach the thresholds too: the case to tell apart");
    assert.deepEqual([t!.alerts, t!.alertsBefore], [Number(n!.live), Number(n!.before)]);
    assert.equal(t!.alerts, t!.alertsOnFaults!.alerts, "the table's count is the one the faults are scored with");
    const text = formatRunSummary(first);
    assert.match(text, /alerts, this run/);
    assert.ok(text.includes(`alerts raised on the history before them, not counted: acme ${Number(n!.before).toLocaleString("en")}.`), text);
    // The report's fleet overview: ANALYTICS.ALERTS windows of the live hours only (the model's, which carry no site, under their device's plant), the history's said apart.
    const [w] = await warehouse<{ live: bigint }>(home, `SELECT COUNT(*) AS live FROM ANALYTICS.ALERTS WHERE tenant_id = 'acme' AND first_ts >= TIMESTAMP '${from}'`);
    const html = readFileSync(first.reportPath, "utf8");
    const overview = html.slice(html.indexOf("Fleet overview"), html.indexOf("<h2>"));
    const cells = [...overview.matchAll(/<td>(\d+) open \/ (\d+)<\/td>/g)].map((m) => Number(m[2]));
    assert.equal(cells.reduce((a, b) => a + b, 0), Number(w!.live), overview);
    assert.ok(overview.includes(`alerts raised on readings before the period (the hub's history): acme ${Number(n!.before).toLocaleString("en")}.`), overview);
  });

  it("a second run on the same hub loads nothing twice and simulates nothing again", async () => {
    const [before] = await warehouse<{ n: bigint }>(home, "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS WHERE source LIKE 'file:%'");
    const second = await runMainJob({ ...base(home), hours: 0.25, fresh: false });
    const [h] = second.history;
    assert.equal(h!.until.getTime(), first.simulatedFrom.getTime(), "the history still ends at the first live hour");
    assert.deepEqual([h!.chunksWritten, h!.files, h!.loadedFiles, h!.alreadyLoaded, h!.rows], [0, 12, 0, 12, 0]);
    const [afterRun] = await warehouse<{ n: bigint }>(home, "SELECT COUNT(*) AS n FROM RAW.SENSOR_READINGS WHERE source LIKE 'file:%'");
    assert.equal(afterRun!.n, before!.n);
    assert.match(formatRunSummary(second), /acme 12 files already loaded/);
  });
});

describe("--history-days", () => {
  it("is refused by name and value when it is not a whole number of days in range", async () => {
    for (const bad of ["-1", "x", "1.5", "1000"]) {
      const r = await promisify(execFile)(join(process.cwd(), "node_modules", ".bin", "tsx"), ["scripts/start.ts", "--history-days", bad, "--quiet"], {
        env: { ...process.env, HUB_HOME: join(tmpdir(), "hub-history-never-made") },
      }).then(() => ({ code: 0, stderr: "" }), (e: { code: number; stderr: string }) => e);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, new RegExp(`^start: --history-days "${bad.replace(".", "\\.")}" must be a whole number of days in \\[0, 92\\]`), r.stderr);
    }
  });
});
