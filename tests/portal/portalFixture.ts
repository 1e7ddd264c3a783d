/**
 * A portal on the contract fixture (tests/pipelines/fixture.ts: acme's plant s1, globex's g1),
 * served over HTTP on 127.0.0.1 with a free port, with one person per tenant and an operator who
 * holds no tenant role. Shared by the HTTP suite and the browser suite.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { hashPassword, type EndpointUser } from "../../pipelines/serve/snowflakeEndpoint.ts";
import { PortalServer, type PortalOptions } from "../../pipelines/portal/portalServer.ts";
import { PortalBundle } from "../../pipelines/portal/portalBundle.ts";
import { tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { publishTwinTenantCosts } from "../../pipelines/portal/portalSources.ts";
import { testEngine } from "../helpers/engine.ts";
import { loadFixture } from "../pipelines/fixture.ts";

export const PASSWORDS = { ALICE: "alice-Correct-Horse-1", GINA: "gina-Battery-Staple-2", OPS: "ops-Admin-Only-3" } as const;

export interface PortalFixture {
  readonly url: string;
  readonly engine: EmbeddedEngine;
  readonly clock: SimulatedClock;
  readonly portal: PortalServer;
  /** The users the portal reads; tests may replace them (a user removed). */
  users: EndpointUser[];
  /** The sessions' wall clock, moved by tests to expire sessions. */
  wallClock: { now: number };
  readonly logs: string[];
  close(): Promise<void>;
}

export async function startPortal(o: Partial<PortalOptions> = {}): Promise<PortalFixture> {
  const { engine, clock } = await testEngine();
  await loadFixture(engine, clock);
  await engine.grantTenantRole("acme");
  await engine.grantTenantRole("globex");
  // acme's own warehouse under a monitor, as its stack gives it: the portal's reads are billed to it.
  await engine.defineResourceMonitor({ kind: "resource_monitor", name: "TENANT_ACME_ANALYTICS_MONITOR", creditQuota: 10, frequency: "MONTHLY", notifyAt: [75, 90], suspendAt: 100, suspendImmediateAt: 110 });
  await engine.defineWarehouse({
    kind: "warehouse", name: "TENANT_ACME_ANALYTICS_WH", comment: "acme analytics", size: "XSMALL", autoSuspendSeconds: 60, autoResume: true,
    initiallySuspended: true, resourceMonitor: "TENANT_ACME_ANALYTICS_MONITOR",
  });
  // The cost page reads OPS.TENANT_COSTS: one snapshot, as serve's step writes it.
  await publishTwinTenantCosts(engine, { pricePerCredit: 3, currency: "EUR", tenants: ["acme", "globex"] });
  const users: EndpointUser[] = [
    { name: "ALICE", passwordHash: hashPassword(PASSWORDS.ALICE), roles: [tenantRoleName("acme")], defaultRole: tenantRoleName("acme") },
    { name: "GINA", passwordHash: hashPassword(PASSWORDS.GINA), roles: [tenantRoleName("globex")], defaultRole: tenantRoleName("globex") },
    { name: "OPS", passwordHash: hashPassword(PASSWORDS.OPS), roles: ["HUB_ADMIN"], defaultRole: "HUB_ADMIN" },
  ];
  const logs: string[] = [];
  const wallClock = { now: Date.now() };
  const f: PortalFixture = {
    url: "", engine, clock, portal: null as unknown as PortalServer, users, wallClock, logs,
    close: async () => undefined,
  };
  const portal = PortalServer.create({
    engine,
    users: () => f.users,
    tenants: ["acme", "globex"],
    log: (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`),
    bundle: PortalBundle.load(),
    now: () => wallClock.now,
    pollMs: 100,
    ...o,
  });
  const server = http.createServer((req, res) => {
    void portal.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404, { "content-type": "text/plain" }).end("not the portal");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = server.address() as AddressInfo;
  Object.assign(f, {
    url: `http://127.0.0.1:${a.port}`,
    portal,
    close: async () => {
      await portal.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await engine.close();
    },
  });
  return f;
}
