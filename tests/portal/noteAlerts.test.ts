/**
 * Note safety alerts where operators look (issue 28): the note task writes NOTE_SAFETY straight to
 * OPS.ALERT_NOTIFICATIONS, not through ANALYTICS.ALERTS; the portal's alerts page, a plant's open
 * alerts, a machine's alerts and the acknowledgement check read both, through the tenant's own
 * session, so a tenant sees its own note alerts and never another's.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { twinPortalData } from "../../pipelines/portal/portalData.ts";
import { TenantReader } from "../../pipelines/portal/tenantReader.ts";
import { tenantRoleName } from "../../pipelines/definitions/governance.ts";
import { NOTE_SAFETY_RULE_ID } from "../../pipelines/definitions/notes.ts";
import { adminQuery, testEngine } from "../helpers/engine.ts";

const WHEN = "2026-01-05 07:42:10";

describe("note safety alerts on the portal", () => {
  let engine: EmbeddedEngine;
  let acme: TenantReader;
  before(async () => {
    ({ engine } = await testEngine());
    await engine.grantTenantRole("acme");
    await engine.grantTenantRole("globex");
    for (const [tenant, site, device, phrase] of [["acme", "s1", "m1", "floor is slippery"], ["globex", "g1", "gm1", "guard removed"]]) {
      await adminQuery(engine, `INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
        VALUES ('${tenant}', '${site}', '${device}', '${NOTE_SAFETY_RULE_ID}', 'CRITICAL', TIMESTAMP '${WHEN}', TIMESTAMP '${WHEN}', 1.0, '${NOTE_SAFETY_RULE_ID} on ${device}: "${phrase}" (note n-${tenant})', TIMESTAMP '${WHEN}')`);
    }
    acme = new TenantReader(twinPortalData(engine), "acme", tenantRoleName("acme"));
  });
  after(async () => {
    await acme.close();
    await engine.close();
  });

  it("the alerts page lists the tenant's note alert with its phrase, open, and none of another tenant's", async () => {
    const rows = await acme.alerts();
    const notes = rows.filter((r) => r.rule_id === NOTE_SAFETY_RULE_ID);
    assert.equal(notes.length, 1);
    const a = notes[0]!;
    assert.deepEqual([a.site_id, a.device_id, a.severity, a.source, Number(a.breaches), a.acknowledged_by], ["s1", "m1", "CRITICAL", "NOTE", 1, null]);
    assert.match(String(a.description), /"floor is slippery" \(note n-acme\)/);
    assert.ok(rows.every((r) => !String(r.description ?? "").includes("guard removed")), "globex's note alert is not acme's to see");
  });

  it("the acknowledgement check finds it for acme and not another tenant's; the row access policy holds on the table it comes from", async () => {
    assert.equal(await acme.alertExists("m1", NOTE_SAFETY_RULE_ID, WHEN), true);
    assert.equal(await acme.alertExists("gm1", NOTE_SAFETY_RULE_ID, WHEN), false);
    const foreign = await acme.query(`SELECT 1 FROM OPS.ALERT_NOTIFICATIONS WHERE device_id = 'gm1'`);
    assert.equal(foreign.length, 0, "the row access policy holds on the table the alerts come from");
  });

  it("a new note alert moves the pipeline watermark, so a cached alerts page is read again", async () => {
    const now = new Date("2026-01-05T08:00:00Z");
    const before = (await acme.watermark(now)).pipeline;
    await adminQuery(engine, `INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id, site_id, device_id, rule_id, severity, window_start, first_ts, worst_score, message, raised_at)
      VALUES ('acme', 's1', 'm2', '${NOTE_SAFETY_RULE_ID}', 'CRITICAL', TIMESTAMP '2026-01-05 07:50:00', TIMESTAMP '2026-01-05 07:50:00', 1.0, 'x', TIMESTAMP '2026-01-05 07:50:00')`);
    assert.notEqual((await acme.watermark(now)).pipeline, before);
  });
});
