/**
 * Cost allocation against an oracle written apart from the product: the rule as
 * pipelines/cost/costQueries.ts documents it, computed here in plain TypeScript from the rows the
 * test itself puts in the meter and the query log, on random fixtures. The product computes it in
 * SQL over the ACCOUNT_USAGE views; the two must agree for every warehouse and tenant.
 *
 * The rule: each metered hour's compute credits are split by the tenants' shares of query time in
 * that hour; an hour with no query is split by the tenants' shares of query time over the whole
 * period on that warehouse, or goes to "(unallocated)" when the warehouse ran no query at all. A
 * query on a tenant's own warehouse is that tenant's, whatever its tag says (a BI tool sets none);
 * elsewhere a query without a tenant in its tag is the platform's. Only the period [from, to) counts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testEngine } from "../helpers/engine.ts";
import { buildCostReport } from "../../pipelines/cost/costReport.ts";
import { dailySql, meteringSql, usageSql } from "../../pipelines/cost/costQueries.ts";
import { assertParses } from "../helpers/snowflakeGrammar.ts";
import { CONTROL_SCHEMA } from "../../pipelines/engine/controlTables.ts";
import { prng } from "../../edge/fleetRandom.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { Warehouse } from "../../pipelines/warehouse/warehouse.ts";

const FROM = Date.parse("2026-01-05T00:00:00Z");
const TO = Date.parse("2026-01-05T08:00:00Z");
const HOUR = 3_600_000;
const WAREHOUSES = ["WH_A", "WH_B", "WH_IDLE", "TENANT_ACME_A_BI_WH"];
/** The tenants' own warehouses, written out by hand (acme-a's: its name begins with acme's prefix). */
const OWN: Readonly<Record<string, string>> = { TENANT_ACME_A_BI_WH: "acme-a" };
const TAGS: ReadonlyArray<[string | null, string | null]> = [
  ["acme", '{"tenant":"acme","job":"dashboard"}'],
  ["globex", '{"tenant":"globex","job":"export"}'],
  ["initech", '{"tenant":"initech"}'],
  ["(platform)", '{"job":"refresh"}'],
  ["(platform)", null],
];

interface Meter { warehouse: string; hour: number; credits: number }
interface Query { warehouse: string; start: number; ms: number; tenant: string; tag: string | null }

/** A random month-free fixture: 8 hours in the period, plus an hour on each side that must not count. */
function fixture(seed: number): { meters: Meter[]; queries: Query[] } {
  const rand = prng(seed);
  const meters: Meter[] = [];
  const queries: Query[] = [];
  for (const warehouse of WAREHOUSES) {
    for (let h = -1; h <= 8; h++) {
      const hour = FROM + h * HOUR;
      if (rand() < 0.8) meters.push({ warehouse, hour, credits: Math.round(rand() * 2000) / 1000 + 0.001 });
      if (warehouse === "WH_IDLE" || rand() < 0.4) continue;
      const n = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < n; i++) {
        const [tenant, tag] = TAGS[Math.floor(rand() * TAGS.length)]!;
        queries.push({ warehouse, start: hour + Math.floor(rand() * HOUR), ms: 1 + Math.floor(rand() * 60_000), tenant: OWN[warehouse] ?? tenant!, tag });
      }
    }
  }
  return { meters, queries };
}

/** The documented rule, computed directly: credits per "warehouse|tenant". */
function oracle(meters: readonly Meter[], queries: readonly Query[]): Map<string, number> {
  const inPeriod = (t: number) => t >= FROM && t < TO;
  const qs = queries.filter((q) => inPeriod(q.start));
  const out = new Map<string, number>();
  const add = (w: string, t: string, c: number) => out.set(`${w}|${t}`, (out.get(`${w}|${t}`) ?? 0) + c);
  for (const m of meters.filter((x) => inPeriod(x.hour))) {
    const here = qs.filter((q) => q.warehouse === m.warehouse && q.start >= m.hour && q.start < m.hour + HOUR);
    const basis = here.length > 0 ? here : qs.filter((q) => q.warehouse === m.warehouse);
    const total = basis.reduce((s, q) => s + q.ms, 0);
    if (total === 0) {
      add(m.warehouse, "(unallocated)", m.credits);
      continue;
    }
    for (const q of basis) add(m.warehouse, q.tenant, (m.credits * q.ms) / total);
  }
  return out;
}

const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace("T", " ").replace("Z", "")}'`;

describe("cost allocation against an independent computation of the documented rule", () => {
  let engine: EmbeddedEngine;
  let admin: Warehouse;
  before(async () => {
    ({ engine } = await testEngine("2026-01-05T10:00:00Z"));
    admin = await engine.admin();
  });
  after(async () => {
    await admin.close();
    await engine.close();
  });

  /** Replaces the twin's meter and query log with these rows, stored in the order given. */
  const store = async (meters: readonly Meter[], queries: readonly Query[]) => {
    await admin.execute(`DELETE FROM ${CONTROL_SCHEMA}.WAREHOUSE_METERING`);
    await admin.execute(`DELETE FROM ${CONTROL_SCHEMA}.QUERY_HISTORY`);
    if (meters.length) {
      await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.WAREHOUSE_METERING VALUES ${meters.map((m) => `('${m.warehouse}', ${ts(m.hour)}, ${m.credits}, 0)`).join(", ")}`);
    }
    if (queries.length) {
      const rows = queries.map((q, i) => `('q${i}', 'SELECT 1', '${q.warehouse}', 'R', ${q.tag === null ? "NULL" : `'${q.tag}'`}, ${ts(q.start)}, ${ts(q.start + q.ms)}, ${q.ms}, 'SUCCESS', NULL, NULL, 1)`);
      await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.QUERY_HISTORY VALUES ${rows.join(", ")}`);
    }
  };

  // A report is compared across runs and targets (and published as a tenant's cost snapshot): the
  // same usage must give the same figures to the last bit, whatever order the views return rows in
  // (neither engine promises one; parallel aggregation varies it from run to run).
  it("gives the same figures to the last bit whatever order the meter and query log hold their rows in", async () => {
    const figures = async () => {
      const r = await buildCostReport(admin, { from: new Date(FROM), to: new Date(TO), now: new Date(TO), pricePerCredit: 3, warehouses: [], monitors: [] });
      // Drivers in the report's own order (ties broken by name); the services and totals read the
      // twin's METERING_DAILY_HISTORY, summed per day.
      return { allocations: r.allocations, drivers: r.drivers, tenants: r.tenants, warehouses: r.warehouses.map((w) => w.tenants), services: r.services, totals: r.totals };
    };
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { meters, queries } = fixture(seed);
      // Many small parts per tenant, whose float sum depends on their order.
      const many = queries.flatMap((q) => [0, 1, 2, 3].map((k) => ({ ...q, start: q.start + k, ms: q.ms + 7 * k })));
      await store(meters, many);
      const forward = await figures();
      await store([...meters].reverse(), [...many].reverse());
      assert.deepEqual(await figures(), forward, `seed ${seed}: rows stored in reverse`);
      await store(meters, [...many].sort((a, b) => a.ms - b.ms));
      assert.deepEqual(await figures(), forward, `seed ${seed}: rows stored by duration`);
    }
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`random meter and query log #${seed}: every warehouse and tenant gets the credits the rule gives`, async () => {
      const { meters, queries } = fixture(seed);
      await store(meters, queries);
      // Two warehouses the hub knows that were never metered: listed too, with nothing.
      const known = [{ name: "WH_Z", size: "XSMALL" as const, sizeShown: "X-Small", resourceMonitor: null }, { name: "WH_0", size: "SMALL" as const, sizeShown: "Small", resourceMonitor: null },
        { name: "TENANT_ACME_A_BI_WH", size: "XSMALL" as const, sizeShown: "X-Small", resourceMonitor: null }];
      const report = await buildCostReport(admin, { from: new Date(FROM), to: new Date(TO), now: new Date(TO), pricePerCredit: 2, warehouses: known, monitors: [] });
      const expected = oracle(meters, queries);
      const got = new Map(report.allocations.map((a) => [`${a.warehouse}|${a.tenant}`, a.credits]));
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
      for (const [k, v] of expected) assert.ok(Math.abs(got.get(k)! - v) < 1e-9, `${k}: ${got.get(k)} vs ${v}`);
      // And what the report totals: the metered credits of the period, as money at 2 per credit.
      const metered = meters.filter((m) => m.hour >= FROM && m.hour < TO).reduce((s, m) => s + m.credits, 0);
      assert.ok(Math.abs(report.totals.credits - metered) < 1e-9, `${report.totals.credits} vs ${metered}`);
      assert.ok(Math.abs(report.tenants.reduce((s, t) => s + t.money, 0) - 2 * metered) < 1e-9);
      // Per warehouse, sorted by name: its credits, and its idle share — the part of the billed
      // time (XSMALL: 1 credit an hour) that no query of the period used.
      const names = [...new Set(meters.filter((m) => m.hour >= FROM && m.hour < TO).map((m) => m.warehouse))];
      assert.deepEqual(report.warehouses.map((w) => w.warehouse), [...new Set([...names, "WH_0", "WH_Z", "TENANT_ACME_A_BI_WH"])].sort());
      for (const w of report.warehouses.filter((x) => names.includes(x.warehouse))) {
        const billedS = meters.filter((m) => m.warehouse === w.warehouse && m.hour >= FROM && m.hour < TO).reduce((s, m) => s + m.credits, 0) * 3600;
        const busyS = queries.filter((q) => q.warehouse === w.warehouse && q.start >= FROM && q.start < TO).reduce((s, q) => s + q.ms, 0) / 1000;
        assert.ok(Math.abs(w.idleShare! - Math.max(0, 1 - busyS / billedS)) < 1e-9, `${w.warehouse} idle share ${w.idleShare}`);
        // Its tenants, the largest share first (what the report's table lists first), each with
        // the rule's credits.
        const shares = [...expected].filter(([k]) => k.startsWith(`${w.warehouse}|`)).map(([k, v]) => ({ tenant: k.split("|")[1]!, credits: v }));
        assert.deepEqual(w.tenants.map((t) => t.tenant), shares.sort((a, b) => b.credits - a.credits).map((t) => t.tenant), `${w.warehouse}'s tenants by credits`);
      }
      // One tenant's view: each warehouse's credits are that tenant's part of it.
      const acme = await buildCostReport(admin, { from: new Date(FROM), to: new Date(TO), now: new Date(TO), pricePerCredit: 2, tenant: "acme", warehouses: known, monitors: [] });
      for (const w of acme.warehouses) {
        const mine = expected.get(`${w.warehouse}|acme`) ?? 0;
        assert.ok(Math.abs(w.credits - mine) < 1e-9, `${w.warehouse}: acme's ${mine}, got ${w.credits}`);
        assert.deepEqual(w.tenants.map((t) => t.tenant), mine > 0 ? ["acme"] : []);
      }
    });
  }

  it("writes SQL that Snowflake's grammar parses, with tenants' own warehouses and without", () => {
    const from = new Date(FROM), to = new Date(TO);
    for (const owners of [new Map<string, string>(), new Map([["TENANT_ACME_A_BI_WH", "acme-a"], ["TENANT_O'HARA_BI_WH", "o'hara"]])]) {
      assertParses(`usage SQL, ${owners.size} owned warehouses`, usageSql(from, to, owners));
    }
    assertParses("metering SQL", meteringSql(from, to, "day"));
    assertParses("daily SQL", dailySql(from, to));
  });

  it("meters a period longer than a week by day, a shorter one by hour", async () => {
    await admin.execute(`DELETE FROM ${CONTROL_SCHEMA}.WAREHOUSE_METERING`);
    await admin.execute(`DELETE FROM ${CONTROL_SCHEMA}.QUERY_HISTORY`);
    await admin.execute(`INSERT INTO ${CONTROL_SCHEMA}.WAREHOUSE_METERING VALUES ('WH_A', ${ts(FROM + HOUR)}, 1, 0), ('WH_A', ${ts(FROM + 5 * HOUR)}, 2, 0)`);
    const buckets = async (days: number) =>
      (await buildCostReport(admin, { from: new Date(FROM), to: new Date(FROM + days * 24 * HOUR), now: new Date(FROM), pricePerCredit: 1, warehouses: [], monitors: [] })).hourly.map((h) => [h.hour.toISOString(), h.credits]);
    assert.deepEqual(await buckets(7), [["2026-01-05T01:00:00.000Z", 1], ["2026-01-05T05:00:00.000Z", 2]], "a week: hours");
    assert.deepEqual(await buckets(8), [["2026-01-05T00:00:00.000Z", 3]], "more than a week: days");
  });

  it("runs its statements under the cost-report query tag, on the warehouse the session uses", async () => {
    await engine.defineResourceMonitor({ kind: "resource_monitor", name: "REPORT_MON", creditQuota: 100, frequency: "DAILY", notifyAt: [50], suspendAt: 100, suspendImmediateAt: 110 });
    await engine.defineWarehouse({ kind: "warehouse", name: "REPORT_WH", comment: "", size: "XSMALL", autoSuspendSeconds: 60, autoResume: true, initiallySuspended: true, resourceMonitor: "REPORT_MON" });
    const s = await engine.session({ role: "HUB_ADMIN", warehouse: "REPORT_WH" });
    try {
      await buildCostReport(s, { from: new Date(FROM), to: new Date(TO), now: new Date(TO), pricePerCredit: 1, warehouses: [], monitors: [] });
    } finally {
      await s.close();
    }
    await engine.tick(); // the query history is written at the next tick
    const tags = await admin.query<{ tag: string }>(`SELECT query_tag AS tag FROM ${CONTROL_SCHEMA}.QUERY_HISTORY WHERE warehouse_name = 'REPORT_WH'`);
    // Monitors come from SHOW RESOURCE MONITORS, read by the caller (readAccountObjects.ts), not by the report.
    assert.equal(tags.length, 3, "usage, metering, daily");
    for (const t of tags) assert.match(t.tag, /"job":"cost-report"/);
  });

  it("the fixtures reach every case of the rule: split hours, idle hours split by the period, unallocated, the platform, outside the period", () => {
    const cases = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { meters, queries } = fixture(seed);
      const o = oracle(meters, queries);
      if ([...o.keys()].some((k) => k.endsWith("|(unallocated)"))) cases.add("unallocated");
      if ([...o.keys()].some((k) => k.endsWith("|(platform)"))) cases.add("platform");
      if (queries.some((q) => OWN[q.warehouse] && q.tag === null)) cases.add("own warehouse, no tag");
      if (queries.some((q) => OWN[q.warehouse] && q.tag?.includes('"tenant":"acme"'))) cases.add("own warehouse, another tenant's tag");
      if (meters.some((m) => m.hour < FROM || m.hour >= TO)) cases.add("meter outside");
      if (queries.some((q) => q.start < FROM || q.start >= TO)) cases.add("query outside");
      for (const m of meters.filter((x) => x.hour >= FROM && x.hour < TO && x.warehouse !== "WH_IDLE")) {
        const here = queries.filter((q) => q.warehouse === m.warehouse && q.start >= m.hour && q.start < m.hour + HOUR);
        cases.add(here.length === 0 ? "idle hour" : new Set(here.map((q) => q.tenant)).size > 1 ? "split hour" : "one-tenant hour");
      }
    }
    assert.deepEqual([...cases].sort(), ["idle hour", "meter outside", "one-tenant hour", "own warehouse, another tenant's tag", "own warehouse, no tag", "platform", "query outside", "split hour", "unallocated"]);
  });
});
