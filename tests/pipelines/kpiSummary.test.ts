/**
 * The per-tenant summary through the tenant's own role: the worst air quality of the period is the
 * worst hourly mean of any location, not the latest reading, which the summary reports as "now".
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
