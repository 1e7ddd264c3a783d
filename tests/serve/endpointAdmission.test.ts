/**
 * Tenant statements on the SQL endpoint wait for a place on their warehouse (admissionGate.ts),
 * through the real snowflake-sdk. The test holds the one place of acme's warehouse itself, so
 * what waits and what runs is seen in the gate's counts and in the answers' order, never in time:
 * acme's statement waits while globex's and the hub's own (admin) query are answered; it runs when
 * the place is given back; with a 1 s session timeout it fails with Snowflake's 000630 without
 * ever running; a client gone while its statement waits gives its place up.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import snowflake from "snowflake-sdk";
import { adminQuery, testEngine } from "../helpers/engine.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { SnowflakeEndpoint, hashPassword } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { AdmissionGate, type Release } from "../../pipelines/sql/admissionGate.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { tenantWarehouseName } from "../../pipelines/definitions/governance.ts";
import { tenantMonitorName } from "../../infra/naming.ts";
import { connectWithPassword, runSql } from "../helpers/snowflakeClient.ts";

const PASSWORD = "correct horse";

const connect = (endpoint: SnowflakeEndpoint, username: string) => connectWithPassword(endpoint.url, username, PASSWORD);

const run = runSql;

/** POST JSON to the endpoint with Node's own client, so the test can drop the connection mid-request. */
function post(url: string, body: unknown, token?: string): { response: Promise<Record<string, unknown>>; request: http.ClientRequest } {
  const data = JSON.stringify(body);
  let request!: http.ClientRequest;
  const response = new Promise<Record<string, unknown>>((resolve, reject) => {
    request = http.request(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Snowflake Token="${token}"` } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>));
    });
    request.on("error", reject);
    request.end(data);
  });
  return { response, request };
}

describe("tenant statements wait for a place on their warehouse, through snowflake-sdk", () => {
  let engine: EmbeddedEngine;
  let endpoint: SnowflakeEndpoint;
  // One place per warehouse, three in all: acme's second statement waits, globex's does not.
  const gate = new AdmissionGate({ perWarehouse: 1, total: 3 });
  const connections: snowflake.Connection[] = [];
  let acmeWarehouse: string;
  const open = async (user: string) => {
    const c = await connect(endpoint, user);
    connections.push(c);
    return c;
  };
  /** The test takes acme's one place, as a long statement of acme's would. */
  const holdAcme = (): Promise<Release> => gate.admit(acmeWarehouse);
  const queued = () => gate.queued().get(acmeWarehouse) ?? 0;

  before(async () => {
    ({ engine } = await testEngine());
    // Each tenant its own warehouse, as its stack makes it: the gate counts per warehouse.
    for (const tenant of ["acme", "globex"]) {
      const monitor = tenantMonitorName(tenant, "bi");
      await engine.defineResourceMonitor({ kind: "resource_monitor", name: monitor, creditQuota: 10, frequency: "MONTHLY", notifyAt: [75], suspendAt: 100, suspendImmediateAt: 110 });
      await engine.defineWarehouse({ kind: "warehouse", name: tenantWarehouseName(tenant, "bi"), comment: `${tenant} bi`, size: "XSMALL", autoSuspendSeconds: 60, autoResume: true, initiallySuspended: true, resourceMonitor: monitor });
      await engine.grantTenantRole(tenant);
    }
    const hash = hashPassword(PASSWORD);
    endpoint = await SnowflakeEndpoint.start({
      engine,
      admission: gate,
      users: [
        { name: "ana", passwordHash: hash, roles: ["TENANT_ACME_ROLE"], defaultRole: "TENANT_ACME_ROLE" },
        { name: "gus", passwordHash: hash, roles: ["TENANT_GLOBEX_ROLE"], defaultRole: "TENANT_GLOBEX_ROLE" },
      ],
    });
    const ana = await open("ana");
    acmeWarehouse = String((await run(ana, "SELECT CURRENT_WAREHOUSE() AS w"))[0]!.W);
    assert.equal(acmeWarehouse, tenantWarehouseName("acme", "bi"));
  });
  after(async () => {
    for (const c of connections) await new Promise<void>((r) => c.destroy(() => r()));
    await endpoint.close();
    await engine.close();
  });

  it("runs acme's statement only once the place is free, answering globex and the hub's own query meanwhile", async () => {
    const ana = await open("ana");
    const gus = await open("gus");
    const release = await holdAcme();
    const order: string[] = [];
    const acme = run(ana, "SELECT 41 + 1 AS answer").then((rows) => (order.push("acme"), rows));
    await waitFor(() => queued() === 1, "acme's statement to wait for its warehouse");
    assert.deepEqual(await run(gus, "SELECT 'globex' AS t"), [{ T: "globex" }]);
    order.push("globex");
    // The hub's own work (here an admin query on the engine) never goes through the gate.
    assert.equal((await adminQuery<{ n: number }>(engine, "SELECT 7 AS n"))[0]!.n, 7);
    order.push("admin");
    assert.equal(queued(), 1, "acme's statement still waits");
    release();
    assert.deepEqual(await acme, [{ ANSWER: 42 }]);
    assert.deepEqual(order, ["globex", "admin", "acme"]);
  });

  it("fails a statement that waits past its statement timeout with Snowflake's 000630, never running it", async () => {
    const ana = await open("ana");
    await run(ana, "ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 1");
    const release = await holdAcme();
    try {
      await assert.rejects(run(ana, "SELECT 1 AS never"), (e: { code?: unknown; sqlState?: unknown; message?: unknown }) => {
        assert.equal(String(e.code), "000630");
        assert.equal(e.sqlState, "57014");
        assert.equal(e.message, "Statement reached its statement or warehouse timeout of 1 second(s) and was canceled.");
        return true;
      });
      // The test held the warehouse's one place throughout: the statement cannot have run.
      assert.equal(queued(), 0, "it left the queue");
      assert.deepEqual([...gate.runningNow()], [[acmeWarehouse, 1]], "only the test's own place is held");
    } finally {
      release();
    }
    assert.deepEqual(await run(ana, "SELECT 2 AS next"), [{ NEXT: 2 }], "the connection goes on");
  });

  it("gives up the place of a client that disconnects while its statement waits", async () => {
    const login = await post(`${endpoint.url}/session/v1/login-request`, { data: { ACCOUNT_NAME: "HUB", LOGIN_NAME: "ana", PASSWORD } }).response;
    const token = String((login.data as { token: string }).token);
    const release = await holdAcme();
    const dropped = post(`${endpoint.url}/queries/v1/query-request`, { sqlText: "SELECT 1 AS dropped" }, token);
    dropped.response.catch(() => undefined);
    await waitFor(() => queued() === 1, "the dropped client's statement to wait");
    const ana = await open("ana");
    const order: string[] = [];
    const next = run(ana, "SELECT 3 AS next").then((rows) => (order.push("next"), rows));
    await waitFor(() => queued() === 2, "a second statement to wait behind it");
    dropped.request.destroy();
    await waitFor(() => queued() === 1, "the dropped client's place to be given up");
    release();
    assert.deepEqual(await next, [{ NEXT: 3 }]);
    assert.deepEqual(gate.runningNow().size, 0, "nothing holds a place once all is answered");
  });
});
