/**
 * What leaves the hub with a note (issue 28): only its text, with the personal data a rule can
 * recognise replaced by a placeholder, before the Bedrock backend sends it. The rule, in order:
 *
 * 1. e-mail addresses (`name@host.tld`) → `[EMAIL]`;
 * 2. operator badge ids as the hub issues them (`op-12`, `OP_7`) and `badge`/`badge #`/`employee`/
 *    `empleado`/`matricule` followed by a number → `[BADGE]`;
 * 3. phone numbers: a run of digits, spaces, dots, dashes, brackets and a leading `+` holding at
 *    least 7 digits → `[PHONE]` (part numbers and readings have fewer digits, or letters);
 * 4. names after a title or a signature word (`Mr`, `Mrs`, `Ms`, `Dr`, `Sr.`, `Sra.`, `Srta.`, `Don`,
 *    `Doña`, `M.`, `Mme`, `Mlle`, `signed`, `firmado`, `signé`, `cc`) and `@mentions` → `[NAME]`.
 *
 * What it cannot do: a bare first name in running text ("told Maria") is not recognised; no list of
 * names is shipped, and guessing at capitalised words would mask machines and places. Operators are
 * asked (docs/notes.md) to refer to people by badge id.
 */

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
const BADGE = /\b(?:op[-_]\d+|(?:badge|employee|empleado|matricule)\s*(?:#|no\.?|n[°º]\s*)?\s*\d+)\b/giu;
const PHONE = /\+?\d[\d\s().-]{5,}\d/g;
// `M` only with its dot ("M. Dupont"), so "line M Press" keeps its name.
const TITLES = "Mr|Mrs|Ms|Dr|Sr|Sra|Srta|Don|Doña|M(?=\\.)|Mme|Mlle|[Ss]igned|[Ff]irmado|[Ss]ign[ée]|[Cc][Cc]";
// A title (or signature word), optional dot and colon, then one or two capitalised words.
const TITLED_NAME = new RegExp(`(?<![\\p{L}])(${TITLES})(\\.?:?\\s+)\\p{Lu}[\\p{L}'-]+(?:\\s+\\p{Lu}[\\p{L}'-]+)?`, "gu");
const MENTION = /(?<![\p{L}\p{N}])@[\p{L}\p{N}_.-]+/gu;

/** The note's text with recognisable personal data replaced (the rule above). */
export function maskPersonalData(text: string): string {
  return text
    .replace(EMAIL, "[EMAIL]")
    .replace(BADGE, "[BADGE]")
    .replace(PHONE, (m) => ((m.match(/\d/g)?.length ?? 0) >= 7 ? "[PHONE]" : m))
    .replace(TITLED_NAME, (_m, title: string, sep: string) => `${title}${sep}[NAME]`)
    .replace(MENTION, "[NAME]");
}
