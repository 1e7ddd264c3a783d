/**
 * The simulator's operator notes (issue 28): deterministic by seed however the run is cut, a few
 * per shift handover per site in en, es and fr, a breakdown producing a maintenance note that
 * mentions it, some notes raising a safety concern; the ground truth beside the notes, never in them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FleetNotes, type SimulatedNotes } from "../../edge/fleetNotes.ts";
import { EXAMPLE_FLEET } from "../../edge/fleetStackFile.ts";
import type { FaultLabel } from "../../edge/faultInjection.ts";
import { NOTE_FIELDS, parseNote } from "../../pipelines/notes/noteRecords.ts";

const START = new Date("2026-03-02T00:00:00Z"); // a Monday
const HOUR = 3_600_000;
const at = (h: number) => new Date(START.getTime() + h * HOUR);
const MACHINE = "acme-plant-1-m-002";
const BREAKDOWN: FaultLabel = { tenantId: "acme", deviceId: MACHINE, fault: "breakdown", metric: "state", start: at(30.25), end: at(31) };
const DRIFT: FaultLabel = { tenantId: "acme", deviceId: "acme-plant-1-aq-001", fault: "drift", metric: "co2_ppm", start: at(30), end: at(33) };

/** A run of `hours` in windows of `stepMinutes`, the labels as the fleet reports them (everything begun so far). */
function run(seed: number, hours: number, stepMinutes: number, labels: readonly FaultLabel[] = []): SimulatedNotes {
  const notes = new FleetNotes(EXAMPLE_FLEET, seed, START);
  const out: SimulatedNotes = { notes: [], truth: [] };
  for (let t = START.getTime() + stepMinutes * 60_000; t <= START.getTime() + hours * HOUR; t += stepMinutes * 60_000) {
    const w = notes.notesUntil(new Date(t), labels.filter((l) => l.start.getTime() < t));
    out.notes.push(...w.notes);
    out.truth.push(...w.truth);
  }
  return out;
}

describe("the simulator's operator notes", () => {
  const week = run(7, 7 * 24, 60, [BREAKDOWN, DRIFT]);

  it("are the same for the same seed however the run is cut, and differ for another seed", () => {
    const ids = (r: SimulatedNotes) => r.notes.map((n) => n.noteId);
    const day = run(7, 48, 60, [BREAKDOWN]);
    assert.deepEqual(ids(run(7, 48, 5, [BREAKDOWN])), ids(day));
    assert.deepEqual(run(7, 48, 8 * 60, [BREAKDOWN]).truth, day.truth);
    assert.notDeepEqual(ids(run(8, 48, 60, [BREAKDOWN])), ids(day));
  });

  it("come a few per handover per site, for each tenant, in English, Spanish and French", () => {
    const sites = EXAMPLE_FLEET.flatMap((t) => t.sites.map((s) => s.siteId));
    for (const site of sites) {
      const perDay = week.truth.filter((t) => t.siteId === site && t.kind === "shift").length / 7;
      assert.ok(perDay >= 2 && perDay <= 12, `${site}: ${perDay.toFixed(1)} handover notes a day`);
    }
    assert.deepEqual(new Set(week.notes.map((n) => n.tenantId)), new Set(EXAMPLE_FLEET.map((t) => t.tenantId)));
    assert.deepEqual(new Set(week.notes.map((n) => n.language)), new Set(["en", "es", "fr"]));
  });

  it("a breakdown brings a maintenance note on its machine, after it began, that mentions it; other faults bring none", () => {
    const about = week.truth.filter((t) => t.fault !== null);
    assert.equal(about.length, 1, "one note for the one breakdown; the drift has none");
    const truth = about[0]!;
    assert.deepEqual(truth.fault, { kind: "breakdown", deviceId: MACHINE, start: BREAKDOWN.start.toISOString() });
    const note = week.notes.find((n) => n.noteId === truth.noteId)!;
    assert.equal(note.deviceId, MACHINE);
    assert.equal(note.kind, "maintenance");
    assert.ok(note.noteTs > BREAKDOWN.start && note.noteTs.getTime() <= BREAKDOWN.start.getTime() + 45 * 60_000);
    assert.match(note.text, /broke down|breakdown|avería|averió|panne/i);
    assert.ok(note.text.includes(MACHINE), "it names the machine");
  });

  it("some notes raise a safety concern, most do not; the truth is kept beside the note, never in its row", () => {
    const safety = week.truth.filter((t) => t.safetyConcern).length / week.truth.length;
    assert.ok(safety > 0.05 && safety < 0.35, `share of safety notes ${safety.toFixed(2)}`);
    for (const n of week.notes) {
      assert.deepEqual(Object.keys(n).sort(), ["authorId", "deviceId", "kind", "language", "noteId", "noteTs", "siteId", "source", "tenantId", "text"].sort());
      assert.equal(n.source, "simulator");
      // Each is a note POST /v1/notes would take for its tenant.
      const again = parseNote({ site_id: n.siteId, device_id: n.deviceId, author_id: n.authorId, note_ts: n.noteTs.toISOString(), kind: n.kind, language: n.language, text: n.text }, n.tenantId, "simulator", n.noteTs);
      assert.equal(again.noteId, n.noteId);
    }
    assert.ok(NOTE_FIELDS.every((f) => !["safety", "fault"].includes(f)));
    assert.deepEqual(week.truth.map((t) => t.noteId), week.notes.map((n) => n.noteId));
  });
});
