/**
 * `cost-report --target snowflake`'s path end to end: the real snowflake-sdk logs in with a JWT the
 * fake server checks as Snowflake does, runs SHOW WAREHOUSES, SHOW RESOURCE MONITORS and the report's
 * SQL, and reads Snowflake's result format back (TIMESTAMP_LTZ for the usage views, DATE as days,
 * SHOW's text). The server answers the usage SQL from a twin holding the same data, so the report
 * read through Snowflake's protocol must equal the report read from the twin directly.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { testEngine } from "../helpers/engine.ts";
import { loadFixture } from "./fixture.ts";
import { FakeSnowflakeServer, type FakeColumn, type FakeResult } from "./fakeSnowflakeServer.ts";
import { connectSnowflake, type SnowflakeConfig } from "../../pipelines/warehouse/snowflakeWarehouse.ts";
import { buildCostReport } from "../../pipelines/cost/costReport.ts";
import { snowflakeAccountObjects, twinAccountObjects } from "../../pipelines/cost/readAccountObjects.ts";
import { showRows } from "../../pipelines/cost/accountObjects.ts";
import { showOrDescribe } from "../../pipelines/sql/snowflakeMetadata.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { DuckDbWarehouse } from "../../pipelines/warehouse/duckdbWarehouse.ts";

const rsa = () => generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const KEY = rsa();

function config(url: string, privateKey = KEY.privateKey): SnowflakeConfig {
  return { account: "acme-prod", username: "svc_report", role: "HUB_REPORTING", warehouse: "HUB_ANALYTICS_WH", database: "HUB", privateKey, accessUrl: url };
}

/** Snowflake's text form of a SHOW timestamp, with its offset ("2026-01-05 00:00:00.000 -0800"). */
function showTime(d: Date, offsetMinutes: number): string {
  const local = new Date(d.getTime() + offsetMinutes * 60_000).toISOString().replace("T", " ").replace("Z", "");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local} ${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
}

/** A DuckDB result in Snowflake's JSON result format: every value text, each column its rowtype. */
function asSnowflakeResult(t: { columns: ReadonlyArray<{ name: string; type: string }>; rows: readonly (readonly unknown[])[] }): FakeResult {
  const columns: FakeColumn[] = t.columns.map((c) =>
    c.type === "TIMESTAMP" ? { name: c.name.toUpperCase(), type: "timestamp_ltz" }
    : c.type === "DATE" ? { name: c.name.toUpperCase(), type: "date" }
    : /^(DOUBLE|FLOAT)$/.test(c.type) ? { name: c.name.toUpperCase(), type: "real" }
    : /^(BIGINT|INTEGER|HUGEINT|DECIMAL)/.test(c.type) ? { name: c.name.toUpperCase(), type: "fixed", scale: Number(/,(\d+)\)/.exec(c.type)?.[1] ?? 0) }
    : { name: c.name.toUpperCase(), type: "text" },
  );
  const text = (v: unknown, col: FakeColumn): string | null => {
    if (v === null || v === undefined) return null;
    if (col.type === "timestamp_ltz") return ((v as Date).getTime() / 1000).toFixed(9);
    if (col.type === "date") return String(Math.round((v as Date).getTime() / 86_400_000));
    return String(v);
  };
  return { columns, rows: t.rows.map((r) => r.map((v, i) => text(v, columns[i]!))) };
}

describe("cost report on Snowflake, through snowflake-sdk and Snowflake's protocol", () => {
  let engine: EmbeddedEngine;
  let admin: DuckDbWarehouse;
  let server: FakeSnowflakeServer;
  before(async () => {
    let clock;
    ({ engine, clock } = await testEngine());
    await loadFixture(engine, clock);
    admin = (await engine.admin()) as DuckDbWarehouse;
    server = await FakeSnowflakeServer.start();
    server.userKeys.set("ACME-PROD.SVC_REPORT", KEY.publicKey);
    const twinShow = async (object: string) => showRows(await showOrDescribe(engine, { kind: "show", sql: `SHOW ${object}`, object, like: null, scope: null }, { role: "HUB_ADMIN", schema: null }));
    const warehouses = await twinShow("WAREHOUSES");
    const monitors = await twinShow("RESOURCE MONITORS");
    server.onQuery = (sql) => {
      if (/^SHOW WAREHOUSES$/i.test(sql.trim())) {
        // The account also has a warehouse that is not the hub's, of a size the twin never uses.
        const rows = [...warehouses, { name: "ADHOC_WH", state: "SUSPENDED", type: "STANDARD", size: "2X-Large", resource_monitor: "null" }];
        const cols = ["name", "state", "type", "size", "resource_monitor"];
        return { columns: cols.map((name) => ({ name, type: "text" })), rows: rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c])))) };
      }
      if (/^SHOW RESOURCE MONITORS$/i.test(sql.trim())) {
        const cols = ["name", "credit_quota", "used_credits", "remaining_credits", "level", "frequency", "start_time", "end_time", "notify_at", "suspend_at", "suspend_immediately_at", "created_on", "owner", "comment", "notify_users"];
        return {
          columns: cols.map((name) => ({ name, type: "text" })),
          // Snowflake prints times in the session's zone with the offset: read back to the same instant.
          rows: monitors.map((m) => cols.map((c) => (m[c] instanceof Date ? showTime(m[c] as Date, -480) : m[c] === null || m[c] === undefined ? null : String(m[c])))),
        };
      }
      if (/SNOWFLAKE\.ACCOUNT_USAGE\./.test(sql)) return undefined; // answered below, asynchronously
      return undefined;
    };
  });
  after(async () => {
    await admin.close();
    await server.close();
    await engine.close();
  });

  it("refuses a login whose JWT another key signed, as Snowflake does (390144)", async () => {
    const other = rsa();
    await assert.rejects(connectSnowflake(config(server.url, other.privateKey)), (e: unknown) => e instanceof HubSqlError && /390144|JWT token is invalid/.test(`${e.code} ${e.message}`));
    assert.match(server.lastJwtRefusal ?? "", /signature/);
  });

  it("reads warehouses, monitors and usage through the protocol into the same report the twin gives", async () => {
    const now = engine.clock.now();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const to = new Date(now.getTime() + 1);
    // The usage SQL runs on the twin; the answer goes back in Snowflake's result format.
    const answers = new Map<string, FakeResult>();
    const usageSql: string[] = [];
    const base = server.onQuery;
    server.onQuery = (sql, body) => {
      if (/SNOWFLAKE\.ACCOUNT_USAGE\./.test(sql)) {
        usageSql.push(sql);
        return answers.get(sql);
      }
      return base(sql, body);
    };
    // Precompute the twin's answers to the report's statements (the fake answers synchronously).
    const { usageSql: u, meteringSql, dailySql } = await import("../../pipelines/cost/costQueries.ts");
    const bucket = to.getTime() - from.getTime() > 7 * 86_400_000 ? "day" : "hour";
    for (const sql of [u(from, to), meteringSql(from, to, bucket), dailySql(from, to)]) answers.set(sql, asSnowflakeResult(await admin.queryTable(sql)));

    const session = await connectSnowflake(config(server.url));
    const account = await snowflakeAccountObjects(session);
    const viaSnowflake = await buildCostReport(session, { from, to, now, pricePerCredit: 3, ...account });
    await session.close();
    const direct = await buildCostReport(admin, { from, to, now, pricePerCredit: 3, ...(await twinAccountObjects(engine)) });

    assert.deepEqual(server.problems, []);
    assert.equal(usageSql.length, 3, "the report's three usage statements went through the protocol");
    assert.deepEqual(account.otherWarehouses, ["ADHOC_WH"], "a warehouse that is not the hub's is named, not reported");
    assert.deepEqual(viaSnowflake.otherWarehouses, ["ADHOC_WH"]);
    const strip = (r: typeof direct) => ({
      totals: r.totals, tenants: r.tenants, allocations: r.allocations,
      warehouses: r.warehouses.map((w) => ({ ...w, triggers: w.triggers.map((t) => ({ ...t, firedAt: t.firedAt?.toISOString() ?? null, projectedAt: t.projectedAt?.toISOString() ?? null })) })),
      hourly: r.hourly.map((h) => ({ ...h, hour: h.hour.toISOString() })),
    });
    assert.deepEqual(strip(viaSnowflake), strip(direct));
    assert.ok(viaSnowflake.warehouses.some((w) => w.quota !== null && w.triggers.length > 0), "monitors and their triggers came through SHOW");
  });
});
