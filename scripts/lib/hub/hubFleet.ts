/**
 * Step 3 of the main job: the fleet simulator for the tenants being run, built from the `fleet:*`
 * keys of their stack files (the one source `scripts/simulate.ts` reads too), with faults injected
 * and their ground truth appended to `HUB_HOME/labels.jsonl` for scoring the anomaly models; and
 * the operators' notes (edge/fleetNotes.ts), whose ground truth (safety concern, the breakdown a
 * note refers to) goes to `HUB_HOME/note-truth.jsonl`, never into the note's row.
 */
import { appendFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SyntheticFleet, type TenantFleetSpec } from "../../../edge/syntheticFleet.ts";
import { readStackFleet } from "../../../edge/fleetStackFile.ts";
import { labelsText, type FaultLabel } from "../../../edge/faultInjection.ts";
import { FleetNotes, noteTruthText } from "../../../edge/fleetNotes.ts";
import type { RawNote } from "../../../pipelines/notes/noteRecords.ts";
import type { RawReading, RawScan } from "../../../pipelines/ingest/rawRecords.ts";
import { UserError } from "../command.ts";
import { scannerId, type FleetDevice } from "./liveEdge.ts";
import type { TenantTwin } from "./tenantTwin.ts";

export interface HubFleet {
  /** Every device to provision: the simulator's sensors and one RFID scanner per site. */
  readonly devices: readonly FleetDevice[];
  /** Output with time < `to` (consecutive windows); the notes' ground truth is appended to HUB_HOME/note-truth.jsonl. */
  window(to: Date): { readings: RawReading[]; scans: RawScan[]; notes: RawNote[] };
  /** Faults injected so far (clipped to what ran). */
  labels(): FaultLabel[];
  /** Append this run's labels to HUB_HOME/labels.jsonl; returns the path. */
  writeLabels(): string;
}

export function labelsPath(home: string): string {
  return join(home, "labels.jsonl");
}

/** Where the simulated notes' ground truth goes: one JSON line per note (edge/fleetNotes.ts NoteTruth). */
export function noteTruthPath(home: string): string {
  return join(home, "note-truth.jsonl");
}

export function buildFleet(tenants: readonly TenantTwin[], seed: number, from: Date, home: string): HubFleet {
  const specs: TenantFleetSpec[] = [];
  for (const t of tenants) {
    let spec: TenantFleetSpec | null;
    try {
      spec = readStackFleet(dirname(t.stackFile), stackOf(t));
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (!spec) throw new UserError(`${t.stackFile} has no fleet:sites: the simulator needs the tenant's fleet (see edge/fleetSpec.ts)`);
    specs.push(spec);
  }
  const sim = new SyntheticFleet(specs, seed, from);
  const notes = new FleetNotes(specs, seed, from);
  const sites = new Map<string, FleetDevice>();
  for (const t of sim.tenants) for (const s of t.sites) sites.set(s.spec.siteId, { tenantId: t.tenantId, siteId: s.spec.siteId, deviceId: scannerId(s.spec.siteId), sensorType: "RFID" });
  const devices: FleetDevice[] = [...sim.devices(), ...sites.values()];
  let cursor = from;
  return {
    devices,
    window(to) {
      cursor = to;
      const readings = sim.readingsUntil(to);
      // After the readings: the breakdowns they ran through are the fleet's labels now.
      const written = notes.notesUntil(to, sim.faultLabels(to));
      if (written.truth.length) appendFileSync(noteTruthPath(home), noteTruthText(written.truth));
      return { readings, scans: sim.scansUntil(to), notes: written.notes };
    },
    labels: () => sim.faultLabels(cursor),
    writeLabels() {
      const path = labelsPath(home);
      appendFileSync(path, labelsText(sim.faultLabels(cursor)));
      return path;
    },
  };
}

/** The stack name a tenant twin was read from (`Pulumi.<stack>.yaml`). */
function stackOf(t: TenantTwin): string {
  return /Pulumi\.([^./]+)\.yaml$/.exec(t.stackFile)![1]!;
}
