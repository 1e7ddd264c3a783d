/** Fleet specs: read from the tenants' stack files, checked with errors that name the field and the value. */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FleetSpecError, resolveTenantFleet, type TenantFleetSpec } from "../../edge/fleetSpec.ts";
import { EXAMPLE_FLEET, PROJECT_DIR, readStackFleet } from "../../edge/fleetStackFile.ts";
import { hourOfWeek } from "../../edge/fleetCalendar.ts";
import { parseStackConfig } from "../../infra/config.ts";
import { readStackConfig } from "../../infra/stackFiles.ts";

const SITE = { siteId: "p1", machines: 2, energyMeters: 1, airSensors: 1, stations: ["cut", "weld", "pack"], jobsPerHour: 10 };
const spec = (site: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ tenantId: "acme", sites: [{ ...SITE, ...site }], ...extra });

function fails(input: unknown, pattern: RegExp): void {
  assert.throws(() => resolveTenantFleet(input), (e: unknown) => {
    assert.ok(e instanceof FleetSpecError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

describe("fleet spec", () => {
  const dir = mkdtempSync(join(tmpdir(), "fleet-spec-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the example fleets come from the tenants' stack files, which infra still accepts", () => {
    assert.deepEqual(EXAMPLE_FLEET.map((t) => t.tenantId), ["acme", "globex"]);
    const acme = readStackFleet(PROJECT_DIR, "acme")!;
    assert.equal(acme.sites[0]!.bottleneck, "paint");
    assert.equal(acme.sites[0]!.jobMix?.length, 3);
    assert.equal(readStackFleet(PROJECT_DIR, "platform"), null, "the platform stack has no fleet");
    for (const stack of ["acme", "globex"]) {
      const { raw } = readStackConfig(PROJECT_DIR, stack, { "hub:servicePublicKey": "A".repeat(80) });
      assert.equal(parseStackConfig(stack, raw).kind, "tenant");
    }
  });

  it("names the stack file key, the field and the value of a bad entry", () => {
    writeFileSync(join(dir, "Pulumi.bad.yaml"), [
      "config:",
      "  hub:tenantId: bad",
      "  fleet:sites:",
      "    - { siteId: p1, machines: -3, energyMeters: 1, airSensors: 1, stations: [a], jobsPerHour: 5 }",
    ].join("\n"));
    assert.throws(() => readStackFleet(dir, "bad"), /Pulumi\.bad\.yaml fleet:sites\[0\]\.machines: -3 is not valid/);
    writeFileSync(join(dir, "Pulumi.typo.yaml"), "config:\n  fleet:sites: []\n  fleet:site: []\n");
    assert.throws(() => readStackFleet(dir, "typo"), /fleet:site: is not a fleet key/);
    assert.throws(() => readStackFleet(dir, "nope"), /no stack file/);
  });

  it("refuses unknown fields, a bottleneck that is not a station, and a station that is not on the site", () => {
    fails(spec({ machine: 3 }), /sites\[0\].*Unrecognized key.*machine/);
    fails(spec({ bottleneck: "paint" }), /sites\[0\] bottleneck: "paint" is not valid: not one of the site's stations \(cut, weld, pack\)/);
    fails(spec({ jobMix: [{ product: "x", weight: 1, stationMeanS: { paint: 60 } }] }), /jobMix\[0\]\.stationMeanS\.paint/);
    fails(spec({ jobMix: [{ product: "x", weight: -1 }] }), /sites\[0\]\.jobMix\[0\]\.weight: -1 is not valid/);
    fails(spec({}, { faults: { meltdown: 1 } }), /faults/);
  });

  it("refuses a station loaded to 1 or more, and a station busier than the named bottleneck", () => {
    fails(spec({ jobMix: [{ product: "x", weight: 1, stationMeanS: { cut: 400, weld: 100, pack: 100 } }] }), /station cut would be loaded 1\.11/);
    fails(spec({ bottleneck: "weld", jobMix: [{ product: "x", weight: 1, stationMeanS: { cut: 330, weld: 100, pack: 100 } }] }), /station cut is loaded 0\.92 .*bottleneck weld's 0\.9/);
  });

  it("scales the bottleneck's times to its load and leaves the other stations at theirs", () => {
    const t = resolveTenantFleet(spec({ bottleneck: "weld", bottleneckLoad: 0.8, stationCapacity: { pack: 2 } }));
    const loads = t.sites[0]!.stationLoad;
    assert.ok(Math.abs(loads[1]! - 0.8) < 1e-9, `weld ${loads[1]}`);
    assert.ok(loads[0]! < 0.8 && loads[2]! < 0.8);
  });

  it("turns shifts and weekdays into a load per hour of the week, in the site's time zone", () => {
    const cal = { utcOffsetHours: 2, shifts: [{ name: "day", start: 8, end: 16, staffing: 1 }, { name: "late", start: 16, end: 20, staffing: 0.5 }], dayFactors: { sun: 0 } };
    const site = resolveTenantFleet(spec({}, { calendar: cal })).sites[0]!;
    const at = (iso: string) => site.load[hourOfWeek(Date.parse(iso))];
    assert.equal(at("2026-01-05T06:00:00Z"), 1, "Monday 08:00 local");
    assert.equal(at("2026-01-05T05:00:00Z"), 0, "Monday 07:00 local: closed");
    assert.equal(at("2026-01-05T15:00:00Z"), 0.5, "Monday 17:00 local: late shift");
    assert.equal(at("2026-01-11T08:00:00Z"), 0, "Sunday");
    fails(spec({}, { calendar: { shifts: [{ name: "a", start: 6, end: 14, staffing: 1 }, { name: "b", start: 12, end: 20, staffing: 1 }] } }), /shifts\[1\].*hour 12 is also in shift a/);
  });

  it("accepts the minimal spec existing callers pass, with defaults for the rest", () => {
    const minimal: TenantFleetSpec = { tenantId: "t1", sites: [{ siteId: "s1", machines: 1, energyMeters: 0, airSensors: 0, stations: [], jobsPerHour: 0 }] };
    const t = resolveTenantFleet(minimal);
    assert.equal(t.sites[0]!.products.length, 3);
    assert.ok(t.faultRates.breakdown > 0);
  });
});
