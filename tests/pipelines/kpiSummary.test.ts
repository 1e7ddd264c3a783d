/**
 * The per-tenant summary through the tenant's own role: the worst air quality of the period is the
 * worst hourly mean of any location, not the latest reading, which the summary reports as "now";
 * with a period, the KPIs and alerts are the period's and the alerts before it are counted apart
 * (npm start's history raises alerts that are not the run's).
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { reading, testEngine } from "../helpers/engine.ts";
import { tenantSummary } from "../../pipelines/kpiSummary.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";

let engine: EmbeddedEngine;

before(async () => {
  let clock;
  ({ engine, clock } = await testEngine("2026-01-05T08:00:00Z"));
  const aq = (seq: number, at: string, pm25: number, co2: number, device = "aq1") =>
    reading("acme", device, "AIR_QUALITY", seq, at, { period_s: 60, pm25_ugm3: pm25, co2_ppm: co2 });
  // Location aq1: 08:xx averages (60 + 70) / 2 = 65 µg/m³ (EPA: 55.5–125.4 is UNHEALTHY) and
  // 1,600 ppm of CO2 (above 1,500: VERY_POOR); by 10:00 it is clean again, 5 µg/m³ (GOOD) and 450 ppm (GOOD).
  // Location aq2 is MODERATE (20 µg/m³) throughout; globex is HAZARDOUS, and acme must not see it.
  clock.set(new Date("2026-01-05T10:30:00Z"));
  await engine.land({
    readings: [
      aq(1, "2026-01-05T08:10:00", 60, 1600), aq(2, "2026-01-05T08:40:00", 70, 1600), aq(3, "2026-01-05T09:10:00", 20, 900), aq(4, "2026-01-05T10:05:00", 5, 450),
      aq(1, "2026-01-05T08:10:00", 20, 700, "aq2"), aq(2, "2026-01-05T10:10:00", 20, 700, "aq2"),
      // aq3 reads 40 µg/m³ at 09:40 (above 35.4: PM25_SENSITIVE, nothing else) and is clean by 10:20.
      aq(1, "2026-01-05T09:40:00", 40, 700, "aq3"), aq(2, "2026-01-05T10:20:00", 5, 450, "aq3"),
      reading("globex", "g-aq", "AIR_QUALITY", 1, "2026-01-05T10:00:00", { period_s: 60, pm25_ugm3: 400, co2_ppm: 5000 }),
    ],
  });
  await engine.tick();
  await engine.refreshAll();
  await engine.grantTenantRole("acme");
});
after(() => engine.close());

it("reports the worst hourly mean of the period apart from the worst location now", async () => {
  const s = await engine.session({ role: "TENANT_ACME_ROLE" });
  const summary = await tenantSummary(s, "acme");
  await s.close();
  assert.equal(summary.worstAqiCategory, "UNHEALTHY", "aq1's 08:00 hour, 65 µg/m³");
  assert.equal(summary.aqiNowCategory, "MODERATE", "aq1 reads 5 now (GOOD), aq2 20 (MODERATE)");
  assert.equal(summary.worstCo2Band, "VERY_POOR");
  assert.equal(summary.co2NowBand, "GOOD");
});

it("counts the period's alerts, and the alerts before it apart, with KPIs over the period only", async () => {
  const s = await engine.session({ role: "TENANT_ACME_ROLE" });
  try {
    // Before 09:00: aq1's 08:xx hour breaches PM25_UNHEALTHY, PM25_SENSITIVE and CO2_HIGH (one
    // notification per device, rule and hour); from 09:00: aq3's PM25_SENSITIVE at 09:40 alone.
    // globex's HAZARDOUS hour is not acme's, with or without a period.
    const all = await tenantSummary(s, "acme");
    assert.deepEqual([all.alerts, all.alertsBefore], [4, 0], "no period: every alert is counted");
    const run = await tenantSummary(s, "acme", { from: new Date("2026-01-05T09:00:00Z") });
    assert.deepEqual([run.alerts, run.alertsBefore], [1, 3]);
    assert.equal(run.worstAqiCategory, "UNHEALTHY_FOR_SENSITIVE_GROUPS", "aq3's 09:00 hour, 40 µg/m³; aq1's UNHEALTHY 08:00 hour is before the period");
    assert.equal(run.worstCo2Band, "MODERATE", "aq1's 1,600 ppm was at 08:xx; 900 ppm at 09:10 is MODERATE");
    assert.equal(run.aqiNowCategory, all.aqiNowCategory, "'now' is each location's latest reading, whatever the period");
    // The alert's instant is its first breaching reading: aq1's 08:xx alerts first breached at 08:10.
    const mid = await tenantSummary(s, "acme", { from: new Date("2026-01-05T08:10:00Z") });
    assert.deepEqual([mid.alerts, mid.alertsBefore], [4, 0], "a first breach exactly at the period's start is the period's");
    const late = await tenantSummary(s, "acme", { from: new Date("2026-01-05T08:10:00.001Z") });
    assert.deepEqual([late.alerts, late.alertsBefore], [1, 3]);
  } finally {
    await s.close();
  }
});

it("refuses a period whose start is not a date, naming it", async () => {
  const s = await engine.session({ role: "TENANT_ACME_ROLE" });
  try {
    await assert.rejects(tenantSummary(s, "acme", { from: new Date("not a date") }), /period\.from is not a valid date \(Invalid Date\)/);
  } finally {
    await s.close();
  }
});
