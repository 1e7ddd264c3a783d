/**
 * Curated multilingual word lists for the offline note model (folded: lower case, no accents):
 * negators, polarity words as operators use them (a machine "down", a line "sin paradas", "RAS"),
 * the unmet-need taxonomy's cues, and the function words language identification leans on.
 *
 * Why not `natural`'s SentimentAnalyzer: its vocabularies are general-purpose (AFINN, Senticon,
 * Pattern), French has only one of them and no negation list, and they do not know that "down",
 * "HS", "jammed", "scrap" or "sin paradas" carry the sentiment of a shift note; the package also
 * brings database clients (mongoose, pg, redis) into the hub. These lists are features of a
 * classifier trained on the labelled notes, not a score on their own.
 */
import type { NeedCategory } from "./noteSet.ts";

/** A negator scopes over the next few words of its clause ("no leaks found", "sin fugas", "pas de fuite"). */
export const NEGATORS: ReadonlySet<string> = new Set([
  "no", "not", "none", "never", "without", "nothing", "nobody", "w/o",
  "sin", "ni", "ningun", "ninguna", "ninguno", "nunca", "nada", "nadie",
  "pas", "sans", "aucun", "aucune", "jamais", "rien", "ne", "n",
]);
export const NEGATION_SCOPE = 3;

export const POSITIVE_WORDS: ReadonlySet<string> = new Set([
  "great", "good", "excellent", "well", "thanks", "thank", "thx", "perfect", "smooth", "smoothly", "record", "better",
  "easier", "faster", "nice", "quick", "quickly", "happy", "fixed", "solved", "resolved", "spec", "clean", "quieter", "stable", "learning", "fast",
  "buen", "bueno", "buena", "bien", "excelente", "perfecto", "perfectos", "perfecta", "gracias", "mejor", "mejorado", "lujo", "rapido", "rapidisimo",
  "reparada", "reparado", "arreglo", "arreglado", "estable", "aprende",
  "bon", "bonne", "tres", "super", "merci", "bravo", "nickel", "impeccable", "impeccables", "meilleure", "meilleur", "rapide", "calme", "battu", "reparee", "repare", "apprend", "vite",
  ":)",
]);

export const NEGATIVE_WORDS: ReadonlySet<string> = new Set([
  "again", "frustrating", "annoying", "terrible", "bad", "failed", "failure", "fails", "broken", "down", "stopped", "jam", "jammed", "stuck", "seized",
  "waiting", "still", "lost", "scrap", "noisy", "tripped", "trip", "short", "missing", "nobody", "cant", "couldnt", "unknown", "worn", "drifting",
  "freezing", "overdue", "rejecting", "breakdowns", "breakdown", "ran", "idle", "empty",
  "otra", "averia", "averias", "parada", "parado", "atasco", "atascada", "rota", "roto", "desastre", "perdimos", "perdidos", "esperando", "falta", "faltan",
  "mala", "cuelga", "congelada", "rollo", "chatarra", "gastadas", "gastado", "dispara", "rechaza", "pierde", "seguimos", "pocos", "imposible",
  "encore", "panne", "pannes", "bourrage", "hs", "arretee", "perdues", "attente", "manque", "bol", "galere", "mauvaise", "plante", "rebuts", "uses", "use",
  "defaut", "bloque", "figee", "declenche", "rejette", "toujours", "impossible", "perd",
]);

/**
 * Unmet-need cues: a need is reported when a lack marker and a category's word meet in one clause
 * ("no torque wrench", "falta materia prima", "pas de pièce en stock"), or when a phrase says it on
 * its own ("short-staffed", "tool wear", "sous-effectif"). The first category in this order that
 * matches wins (training before tooling: "doesn't know how to zero the tool offsets" asks for training).
 */
export const LACK_MARKERS =
  /\b(no|none|out of|ran out|run out|short|shortage|need|needs|needed|missing|waiting|overdue|nobody|can'?t|couldn'?t|lack|used the last|please|falta|faltan|no hay|sin|necesit\w*|esperando|quedamos sin|no quedan|nadie|pocos|hace falta|hay que|que venga|por favor|manque|pas de|pas eu|plus de|besoin|il faut|il nous faut|en attente|personne|a mis le dernier|usamos el ultimo|commandee|pedido)\b/;

/** Personal protective equipment is a need only when the stock has run out, not when someone did not wear it. */
const SUPPLY_MARKERS = /\b(none left|there were none|out of|ran out|no stock|no quedan|no hay|il n'y en a plus|plus au magasin|plus en stock)\b/;

export interface NeedCue {
  readonly need: NeedCategory;
  readonly words: RegExp;
  /** What must meet the words in the clause (default LACK_MARKERS). */
  readonly lack?: RegExp;
  /** Phrases that report the need on their own. */
  readonly alone?: RegExp;
  /** Where words and lack must meet: one clause (default) or anywhere in the note ("no glasses, they said there were none left"). */
  readonly scope?: "clause" | "note";
}

export const NEED_CUES: readonly NeedCue[] = [
  { need: "safety equipment", words: /\b(safety glasses|glasses|goggles|gloves|ear plugs|masks?|respirators?|gafas|guantes|mascarillas?|tapones|lunettes|gants|masques?|bouchons)\b/, lack: SUPPLY_MARKERS, scope: "note" },
  { need: "spare parts", words: /\b(spares?|replacement|in stock|stores has none|spare parts?|fuses?|servo|gearbox|supplier|repuestos?|recambios?|en almacen|fusibles?|servomotor|discos|pieces?|rechange|en stock|servomoteur|disques|clutch plates)\b/ },
  { need: "training", words: /\b(training|trained|know how|procedure|formacion|procedimiento|former|formation)\b/, alone: /\b(no sabe (usar|cambiar|hacer)|ne sait pas (faire|utiliser)|ne connaissent pas|doesn'?t know how|don'?t know how)\b/ },
  { need: "tooling", words: /\b(tools?|tooling|wrench|hex key|allen|dies|drills?|cutters?|herramientas?|llave|fresas?|utillajes?|outils?|cle|forets?)\b/, alone: /\b(tool wear|desgaste de herramienta|usure outil)\b/ },
  { need: "materials", words: /\b(materials?|cardboard|film|pallets?|wire spool|reel|raw material|material|materia prima|palets|bobina|matiere|matiere premiere|palettes|film etirable)\b/ },
  { need: "staffing", words: /\b(operators?|people|staff|forklift driver|hands|one more|person|operarios?|persona|carretillero|operateurs?|personne de plus|cariste)\b/, alone: /\b(short-staffed|short staffed|understaffed|sous-effectif|effectif reduit|plantilla justa|somos pocos)\b/ },
  { need: "maintenance", words: /\b(maintenance|technician|vendor tech|service|full change|mantenimiento|tecnico|entretien|technicien)\b/ },
];

/** Function words: what language identification leans on besides character n-grams. */
export const FUNCTION_WORDS: Readonly<Record<"en" | "es" | "fr", readonly string[]>> = {
  en: ["the", "and", "on", "of", "to", "in", "at", "is", "was", "with", "for", "no", "not", "again", "all", "after", "by", "from", "it", "had", "has", "nobody", "still", "shift", "line", "found", "checked", "replaced", "done", "need", "waiting"],
  es: ["el", "la", "los", "las", "de", "del", "y", "en", "con", "por", "para", "sin", "hay", "que", "se", "un", "una", "al", "otra", "vez", "turno", "linea", "esta", "todo", "nadie", "hecho", "cambio", "falta"],
  fr: ["le", "la", "les", "de", "du", "des", "et", "en", "au", "aux", "avec", "pour", "sans", "pas", "sur", "un", "une", "est", "a", "ligne", "poste", "encore", "tout", "personne", "fait", "changement", "manque", "il", "on", "ne"],
};
