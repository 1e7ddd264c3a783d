/**
 * Operator notes from the simulated fleet (issue 28): at each shift handover a few notes per site,
 * about a machine or a station, in the author's language (each site has a main language, en, es or
 * fr, and some of its operators write in another); a machine breakdown brings a maintenance note
 * that mentions it; some notes raise a safety concern.
 *
 * The same seed, fleet and windows give the same notes: each note draws from a random stream keyed
 * by its site and handover (or its breakdown), never from a shared one, so the cut into windows
 * does not matter. What each note is really about (a safety concern or not, the breakdown it
 * refers to) is returned beside it as `NoteTruth`, for evaluation and tests; the note itself, as it
 * lands in RAW.OPERATOR_NOTES, carries none of it.
 */
import { parseNote, type RawNote } from "../pipelines/notes/noteRecords.ts";
import type { FaultLabel } from "./faultInjection.ts";
import { hashSeed, prng } from "./fleetRandom.ts";
import { DEFAULT_CALENDAR, type CalendarSpec, type TenantFleetSpec } from "./fleetSpec.ts";

export type NoteLanguage = "en" | "es" | "fr";
const LANGUAGES: readonly NoteLanguage[] = ["en", "es", "fr"];

/** What a simulated note is really about: the answer key an insight is scored against. */
export interface NoteTruth {
  readonly noteId: string;
  readonly tenantId: string;
  readonly siteId: string;
  readonly deviceId: string;
  readonly noteTs: string;
  readonly language: NoteLanguage;
  readonly kind: "shift" | "maintenance";
  readonly safetyConcern: boolean;
  /** The injected fault the note refers to (a breakdown of its machine), or null. */
  readonly fault: { readonly kind: FaultLabel["fault"]; readonly deviceId: string; readonly start: string } | null;
}

export interface SimulatedNotes {
  readonly notes: RawNote[];
  readonly truth: NoteTruth[];
}

/** Probability that a handover note raises a safety concern, and that a breakdown's note does. */
const HANDOVER_SAFETY = 0.15;
const BREAKDOWN_SAFETY = 0.35;
/** Operators per site; a share of them write in another language than the site's. */
const OPERATORS_PER_SITE = 12;
const OTHER_LANGUAGE_SHARE = 0.25;

type Text = (device: string) => string;
interface Phrases {
  readonly routine: readonly Text[];
  readonly safety: readonly Text[];
  readonly breakdown: readonly Text[];
  readonly breakdownSafety: readonly Text[];
}

/** The notes' words, per language: plain shop-floor sentences, a safety concern stated outright. */
const PHRASES: Readonly<Record<NoteLanguage, Phrases>> = {
  en: {
    routine: [
      (d) => `Handover: ${d} ran all shift, tool changed at mid-shift, no open issues.`,
      (d) => `${d} output on target. Coolant topped up. Waiting on new inserts from stores, we are down to the last box.`,
      (d) => `Quiet shift on ${d}; two short stops for material, otherwise fine.`,
      (d) => `${d}: setup for the new bracket variant took longer than planned, the work instruction is missing a step.`,
    ],
    safety: [
      (d) => `Oil leak under ${d}, floor is slippery, someone could fall. Put absorbent down, needs a proper fix.`,
      (d) => `Light curtain on ${d} trips late, the guard does not stop the press in time. Please check before next shift.`,
      (d) => `Exposed wiring at the back of ${d} cabinet, the cover is missing.`,
    ],
    breakdown: [
      (d) => `${d} broke down, spindle stopped with an alarm. Maintenance called, machine was down until repaired.`,
      (d) => `Breakdown on ${d}: drive fault, reset did not help, waited for maintenance.`,
    ],
    breakdownSafety: [
      (d) => `${d} broke down and the guard had to be removed to clear the jam while it was still powered. Not safe, lockout was skipped.`,
      (d) => `Breakdown on ${d}, smoke from the motor housing before it stopped. Fire risk, area cleared.`,
    ],
  },
  es: {
    routine: [
      (d) => `Relevo: ${d} funcionó todo el turno, cambio de herramienta a mitad de turno, sin incidencias.`,
      (d) => `${d} en objetivo de producción. Refrigerante rellenado. Faltan plaquitas en almacén, queda la última caja.`,
      (d) => `Turno tranquilo en ${d}; dos paradas cortas por material.`,
      (d) => `${d}: el cambio de formato tardó más de lo previsto, a la instrucción de trabajo le falta un paso.`,
    ],
    safety: [
      (d) => `Fuga de aceite bajo ${d}, el suelo está resbaladizo y alguien puede caerse. Hace falta repararlo.`,
      (d) => `La cortina de luz de ${d} reacciona tarde, la protección no para la prensa a tiempo.`,
      (d) => `Cables pelados detrás del armario de ${d}, falta la tapa.`,
    ],
    breakdown: [
      (d) => `Avería en ${d}: el husillo se paró con alarma. Avisado mantenimiento, máquina parada hasta la reparación.`,
      (d) => `${d} se averió, fallo del variador, el reinicio no sirvió, esperamos a mantenimiento.`,
    ],
    breakdownSafety: [
      (d) => `Avería en ${d}; hubo que quitar la protección para sacar la pieza atascada con la máquina en tensión. No es seguro, no se hizo el bloqueo.`,
      (d) => `${d} se averió y salió humo del motor antes de pararse. Riesgo de incendio, se despejó la zona.`,
    ],
  },
  fr: {
    routine: [
      (d) => `Relève : ${d} a tourné tout le poste, changement d'outil à mi-poste, rien à signaler.`,
      (d) => `${d} dans l'objectif. Liquide de coupe complété. Il manque des plaquettes au magasin, dernière boîte entamée.`,
      (d) => `Poste calme sur ${d} ; deux arrêts courts pour manque de matière.`,
      (d) => `${d} : le changement de série a pris plus longtemps que prévu, il manque une étape dans la gamme.`,
    ],
    safety: [
      (d) => `Fuite d'huile sous ${d}, le sol est glissant, risque de chute. Il faut une vraie réparation.`,
      (d) => `Le rideau lumineux de ${d} déclenche en retard, la protection n'arrête pas la presse à temps.`,
      (d) => `Câbles dénudés à l'arrière de l'armoire de ${d}, le capot manque.`,
    ],
    breakdown: [
      (d) => `Panne sur ${d} : broche arrêtée en alarme. Maintenance appelée, machine arrêtée jusqu'à la réparation.`,
      (d) => `${d} en panne, défaut variateur, le reset n'a rien donné, attente de la maintenance.`,
    ],
    breakdownSafety: [
      (d) => `Panne sur ${d} ; il a fallu enlever le carter pour dégager la pièce coincée machine sous tension. Pas sûr, la consignation n'a pas été faite.`,
      (d) => `${d} en panne, fumée au moteur avant l'arrêt. Risque d'incendie, zone évacuée.`,
    ],
  },
};

interface SiteNotes {
  readonly tenantId: string;
  readonly siteId: string;
  readonly machines: readonly string[];
  readonly stations: readonly string[];
  /** Handover hours, UTC (0–23). */
  readonly handoverHoursUtc: readonly number[];
  readonly language: NoteLanguage;
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

function handoverHoursUtc(calendar: CalendarSpec): number[] {
  const offset = calendar.utcOffsetHours ?? 0;
  return [...new Set(calendar.shifts.map((s) => (((s.end - offset) % 24) + 24) % 24))].sort((a, b) => a - b);
}

export class FleetNotes {
  private readonly sites: SiteNotes[];
  private cursor: number;

  /** Notes of `specs`' sites from `start` on. */
  constructor(specs: readonly TenantFleetSpec[], private readonly seed: number, start: Date) {
    this.cursor = start.getTime();
    this.sites = specs.flatMap((t) =>
      t.sites.map((s) => ({
        tenantId: t.tenantId,
        siteId: s.siteId,
        machines: Array.from({ length: s.machines }, (_, i) => `${s.siteId}-m-${String(i + 1).padStart(3, "0")}`),
        stations: s.stations,
        handoverHoursUtc: handoverHoursUtc(s.calendar ?? t.calendar ?? DEFAULT_CALENDAR),
        language: LANGUAGES[hashSeed(seed, t.tenantId, s.siteId, "language") % LANGUAGES.length]!,
      })),
    );
  }

  /**
   * The notes written in [cursor, to): handover notes, and a note for each breakdown in `faults`
   * (the fleet's labels; other kinds are ignored) written 5–40 minutes after it began.
   */
  notesUntil(to: Date, faults: readonly FaultLabel[]): SimulatedNotes {
    const from = this.cursor;
    const end = to.getTime();
    const out: SimulatedNotes = { notes: [], truth: [] };
    if (end <= from) return out;
    for (const site of this.sites) {
      // A handover's notes are written in the half hour before it: its hour may lie past `end`.
      for (let hour = Math.floor(from / 3_600_000); hour * 3_600_000 - 1_800_000 < end; hour++) {
        if (!site.handoverHoursUtc.includes(hour % 24)) continue;
        const rand = prng(hashSeed(this.seed, site.siteId, "handover", hour));
        const count = 2 + Math.floor(rand() * 2);
        for (let k = 0; k < count; k++) {
          // Written in the half hour before the handover.
          const ts = hour * 3_600_000 - Math.floor(rand() * 1800) * 1000;
          const safety = rand() < HANDOVER_SAFETY;
          const onStation = site.stations.length > 0 && (site.machines.length === 0 || rand() < 0.3);
          if (!onStation && site.machines.length === 0) continue;
          const device = onStation ? pick(rand, site.stations) : pick(rand, site.machines);
          this.add(out, site, rand, ts, from, end, device, "shift", safety ? "safety" : "routine", null);
        }
      }
    }
    for (const f of faults) {
      if (f.fault !== "breakdown") continue;
      const site = this.sites.find((s) => s.tenantId === f.tenantId && s.machines.includes(f.deviceId));
      if (!site) continue;
      const rand = prng(hashSeed(this.seed, f.deviceId, "breakdown", f.start.getTime()));
      const ts = f.start.getTime() + (5 + Math.floor(rand() * 36)) * 60_000;
      const safety = rand() < BREAKDOWN_SAFETY;
      this.add(out, site, rand, ts, from, end, f.deviceId, "maintenance", safety ? "breakdownSafety" : "breakdown", { kind: f.fault, deviceId: f.deviceId, start: f.start.toISOString() });
    }
    this.cursor = end;
    out.notes.sort((a, b) => a.noteTs.getTime() - b.noteTs.getTime());
    out.truth.sort((a, b) => a.noteTs.localeCompare(b.noteTs));
    return out;
  }

  private add(out: SimulatedNotes, site: SiteNotes, rand: () => number, ts: number, from: number, end: number, device: string, kind: NoteTruth["kind"], phrases: keyof Phrases, fault: NoteTruth["fault"]): void {
    const operator = 1 + Math.floor(rand() * OPERATORS_PER_SITE);
    // An operator writes in one language: the site's, or (for a quarter of them) another one.
    const own = prng(hashSeed(this.seed, site.siteId, "operator", operator));
    const language = own() < OTHER_LANGUAGE_SHARE ? pick(own, LANGUAGES.filter((l) => l !== site.language)) : site.language;
    const text = pick(rand, PHRASES[language][phrases])(device);
    if (ts < from || ts >= end) return; // drawn all the same, so the streams stay aligned
    const noteTs = new Date(ts).toISOString();
    // The one intake rule set: a simulated note is a note like any other.
    const note = parseNote({ site_id: site.siteId, device_id: device, author_id: `op-${operator}`, note_ts: noteTs, kind, language, text }, site.tenantId, "simulator", new Date(end));
    out.notes.push(note);
    out.truth.push({ noteId: note.noteId, tenantId: site.tenantId, siteId: site.siteId, deviceId: device, noteTs, language, kind, safetyConcern: phrases === "safety" || phrases === "breakdownSafety", fault });
  }
}

/**
 * Ground truth as JSON lines, one note a line, named like labels.jsonl's fields (`note_id` is the
 * note's key in RAW.OPERATOR_NOTES): HUB_HOME/note-truth.jsonl and scripts/simulate.ts's output.
 */
export function noteTruthText(truth: readonly NoteTruth[]): string {
  return truth
    .map((t) => `${JSON.stringify({
      note_id: t.noteId, tenant_id: t.tenantId, site_id: t.siteId, device_id: t.deviceId, note_ts: t.noteTs, language: t.language, kind: t.kind,
      safety_concern: t.safetyConcern, fault: t.fault && { kind: t.fault.kind, device_id: t.fault.deviceId, start: t.fault.start },
    })}\n`)
    .join("");
}

/** Notes as a notes file scripts/load.ts loads (JSON lines, the fields of POST /v1/notes; the tenant is the load's). */
export function notesFileText(notes: readonly RawNote[]): string {
  return notes
    .map((n) => `${JSON.stringify({ note_ts: n.noteTs.toISOString(), site_id: n.siteId, device_id: n.deviceId, author_id: n.authorId, kind: n.kind, language: n.language, text: n.text })}\n`)
    .join("");
}
