/**
 * The run summary's operator-note counts (scripts/lib/hub/noteSummary.ts): per tenant, the notes
 * written in the run's period, how many the task analysed, how many failed (and gave up), and the
 * NOTE_SAFETY alerts they raised, as the warehouse holds them.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import type { SimulatedClock } from "../../pipelines/engine/clock.ts";
import { parseNote } from "../../pipelines/notes/noteRecords.ts";
import { NOTE_MAX_ATTEMPTS } from "../../pipelines/definitions/notes.ts";
import { ANALYSE_NOTE_FUNCTION, noteAnalysisResolver } from "../../ml/notes/noteResolver.ts";
import { noteRunCounts, noteSummaryLine } from "../../scripts/lib/hub/noteSummary.ts";
import { testNoteBackend } from "../helpers/noteTestBackend.ts";
import { testEngine } from "../helpers/engine.ts";

describe("the summary's operator-note counts", () => {
  let engine: EmbeddedEngine;
  let clock: SimulatedClock;
  const from = new Date("2026-01-05T08:00:00Z");
  before(async () => {
    ({ engine, clock } = await testEngine());
    engine.resolveExternalFunction(ANALYSE_NOTE_FUNCTION, noteAnalysisResolver(() => testNoteBackend()));
    const note = (tenant: string, device: string, text: string, ts: string) =>
      parseNote({ site_id: "s1", device_id: device, author_id: "op-3", note_ts: ts, kind: "shift", text }, tenant, "test", clock.now());
    await engine.land({
      notes: [
        note("acme", "m1", "Coolant topped up, all fine", "2026-01-05T07:30:00Z"), // before the run: not counted
        note("acme", "m1", "Oil leak under the press", "2026-01-05T08:01:00Z"),
        note("acme", "m2", "Spindle warm but fine", "2026-01-05T08:02:00Z"),
        note("acme", "m3", "BACKEND_DOWN", "2026-01-05T08:03:00Z"),
        note("globex", "g1", "Quiet shift", "2026-01-05T08:04:00Z"),
      ],
    });
    for (let i = 0; i < NOTE_MAX_ATTEMPTS + 1; i++) {
      clock.advance(60_000);
      await engine.tick();
    }
  });
  after(async () => engine.close());

  it("counts each tenant's notes of the period: analysed, failed and given up, and their safety alerts", async () => {
    const counts = await noteRunCounts(engine, ["acme", "globex", "initech"], from);
    assert.deepEqual(counts, [
      { tenantId: "acme", notes: 3, analysed: 2, failed: 1, givenUp: 1, safetyAlerts: 1 },
      { tenantId: "globex", notes: 1, analysed: 1, failed: 0, givenUp: 0, safetyAlerts: 0 },
      { tenantId: "initech", notes: 0, analysed: 0, failed: 0, givenUp: 0, safetyAlerts: 0 },
    ]);
    assert.equal(
      noteSummaryLine(counts),
      "\nOperator notes, this run: acme 3 (2 analysed, 1 failed, 1 given up; 1 safety alerts), globex 1 (1 analysed, 0 failed; 0 safety alerts), initech 0 (0 analysed, 0 failed; 0 safety alerts).",
    );
  });

  it("says nothing when no tenant has notes", () => {
    assert.equal(noteSummaryLine([{ tenantId: "acme", notes: 0, analysed: 0, failed: 0, givenUp: 0, safetyAlerts: 0 }]), "");
  });
});
