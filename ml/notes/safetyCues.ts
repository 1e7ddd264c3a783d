/**
 * Curated safety cues in English, Spanish and French: the hazards a shift note reports without
 * alarming words (a guard taken off, an interlock bridged, lockout skipped, PPE not worn, oil on the
 * floor, an exit blocked, a bare cable, an alarm silenced, a forklift near miss, a suspended load, a
 * capped relief valve...). Written from the usual hazard categories of machine safety and workplace
 * inspections (guarding, LOTO, PPE, housekeeping, egress, electrical, atmosphere, vehicles, work at
 * height, pressure), in the words operators use, including shorthand ("w/o", "HS", "LOTO").
 *
 * Patterns run on folded text (lower case, accents stripped, see noteText.ts). A match is one feature
 * of the trained classifier, not a verdict on its own, and it is where the quoted safety phrase comes
 * from: the classifier decides, the cue shows the words.
 */

const G = "[^.;!?]"; // within one sentence

export const SAFETY_CUES: readonly RegExp[] = [
  // guarding
  new RegExp(`\\b(guard|guarding|shield|cover|carter)s?\\b${G}{0,30}?\\b(removed|off|missing|left open|open|taken off|bypassed|not (in place|fitted))\\b`),
  new RegExp(`\\b(removed|without|w/o|missing|past)\\b${G}{0,20}?\\b(guard|chip shield|shield)s?\\b`),
  new RegExp(`\\b(quit(o|aron|ada|ado)|sin|retirad[oa]|abiert[oa]|falta)\\b${G}{0,25}?\\b(proteccion|resguardo|carter|rejilla|guarda)\\b(?! auditiva)`),
  new RegExp(`\\b(proteccion|resguardo|carter|rejilla)\\b${G}{0,20}?\\b(quitad[oa]|retirad[oa]|abiert[oa]|desmontad[oa])\\b`),
  new RegExp(`\\b(carter|protecteur|grille de protection|capot)s?\\b${G}{0,30}?\\b(demonte|retire|ouvert|manque|enleve|absent)e?s?\\b`),
  new RegExp(`\\b(sans|demonte|retire)\\b${G}{0,10}?\\b(carter|protecteur)\\b`),
  // interlocks and emergency stops bridged or broken
  new RegExp(`\\b(bypass(ed|ing)?|jump(ed|ered)?|defeat(ed)?|overrid(den|e|ing)|zip tie|tied back|taped)\\b${G}{0,40}?\\b(interlock|light curtain|e-stop|estop|emergency stop|safety switch)`),
  new RegExp(`\\b(interlock|light curtain|e-stop|estop)\\b${G}{0,30}?\\b(bypassed|broken|jumped|defeated|not working|disabled|faulty)\\b`),
  /\bpuente(ad[oa]s?|aron|an|o)\b/,
  /\b(anulad[oa]|desactivad[oa]) (el|la) (enclavamiento|seguridad|seta)/,
  /\b(shunte|ponte|strappe|neutralise)e?s?\b/,
  // lockout / tagout
  new RegExp(`\\b(lockout|loto|lock-out|tagout)\\b${G}{0,30}?\\b(not applied|skipped|missing|not done)\\b`),
  new RegExp(`\\b(skipped|without|no|not know|don'?t know|doesn'?t know)\\b${G}{0,20}?\\b(the )?(lockout|loto|lock-out)\\b`),
  /\bsin (candado|consignacion|bloqueo)\b/,
  /\bno (conocen|saben|aplican|sabe) (el procedimiento de )?(consignacion|bloqueo)/,
  /\bsans consignation\b/,
  /\bne (connaissent|connait|sait) pas (la procedure de )?consignation/,
  // personal protective equipment not worn
  new RegExp(`\\b(no|without|not wearing|w/o|nobody wore|none wearing|nobody wearing)\\b${G}{0,25}?\\b(ppe|safety glasses|glasses|goggles|gloves|ear protection|ear plugs|hearing protection|masks?|respirator|harness|helmet|hard hat|safety shoes|safety boots|hi-vis)\\b`),
  /\bsin (gafas|guantes|casco|mascarilla|arnes|calzado de seguridad|botas de seguridad|chaleco|proteccion auditiva|tapones|epis?)\b/,
  /\bnadie (con|lleva) (mascarilla|gafas|casco|epis?)\b/,
  /\bsans (lunettes|gants|casque|masque|harnais|chaussures de securite|gilet|protection auditive|bouchons|epi)\b/,
  /\bpersonne ne porte (de |d')?(masque|lunettes|casque|epi)/,
  // housekeeping: spills, trips
  new RegExp(`\\b(oil|coolant|water|grease|hydraulic fluid|spill(ed)?)\\b${G}{0,30}?\\b(floor|aisle|walkway|ground)\\b`),
  /\b(slippery|nearly slipped|slipped|tripped|trip hazard)\b/,
  new RegExp(`\\b(cables?|hoses?|leads?) (running |lying )?across the (walkway|aisle|floor)\\b`),
  new RegExp(`\\b(aceite|taladrina|agua|grasa|derrame)\\b${G}{0,25}?\\b(suelo|pasillo)\\b`),
  new RegExp(`\\b(suelo|pasillo)\\b${G}{0,20}?\\b(aceite|taladrina)\\b`),
  /\b(resbal\w*|tropec\w*)\b/,
  /\bcables? (por|en) el pasillo\b/,
  new RegExp(`\\b(huile|liquide de coupe|graisse)\\b${G}{0,20}?\\b(au sol|par terre|allee)\\b`),
  /\b(flaque|glissant|glisser|trebuche)\b/,
  /\bcables? en travers\b/,
  // egress and fire
  new RegExp(`\\b(emergency exit|fire exit|fire door|exit)\\b${G}{0,20}?\\b(blocked|obstructed|locked|propped)\\b`),
  new RegExp(`\\b(fire )?extinguisher\\b${G}{0,20}?\\b(missing|gone|empty|removed|blocked)\\b`),
  /\bmissing\b[^.;!?]{0,10}?\bextinguisher\b/,
  /\bsalida de emergencia\b[^.;!?]{0,15}?\b(bloquead|obstruid|cerrad)[oa]/,
  /\bfalta (el )?extintor\b/,
  /\bextintor\b[^.;!?]{0,15}?\b(falta|vacio|bloqueado)\b/,
  /\bissue de secours\b[^.;!?]{0,15}?\b(encombree|bloquee|obstruee|fermee)\b/,
  /\bextincteur\b[^.;!?]{0,10}?\b(manquant|manque|vide)\b/,
  /\b(smoking|fumando|fumer|fume une)\b/,
  // electrical
  new RegExp(`\\b(frayed|exposed|bare|damaged)\\b${G}{0,20}?\\b(cables?|wires?|leads?|cords?|conductors?)\\b`),
  new RegExp(`\\b(cables?|wires?|leads?|cords?)\\b${G}{0,20}?\\b(frayed|exposed|bare|copper showing)\\b`),
  /\bpanel cover (off|open|removed)\b/,
  /\b(cables? pelados?|cables? a la vista|cuadro electrico abierto|se ve el cobre)\b/,
  /\b(cables? denudes?|fils? a nu|armoire electrique ouverte|cuivre est visible)\b/,
  // atmosphere: gas, fumes, alarms
  /\b(smell|odou?r) of (gas|burning|solvent)\b/,
  /\bgas leak\b/,
  new RegExp(`\\balarm\\b${G}{0,40}?\\b(silenced|ignored|muted|disabled|switched off|turned off)\\b`),
  new RegExp(`\\b(fume|dust) (extractor|extraction)\\b${G}{0,25}?\\b(off|not working|broken|down)\\b`),
  /\b(vents?|ventilation)\b[^.;!?]{0,10}?\b(blocked|off|not working)\b/,
  /\b(olor a (gas|quemado|disolvente)|fuga de gas)\b/,
  new RegExp(`\\balarma\\b${G}{0,40}?\\b(apagaron|silenciaron|ignorad[oa]|desactivad[oa])\\b`),
  new RegExp(`\\b(extractor|extraccion|aspiracion|ventilacion)\\b${G}{0,25}?\\b(no funciona|apagad[oa]|parad[oa]|averiad[oa])\\b`),
  /\b(odeur de (gaz|brule|solvant)|fuite de gaz)\b/,
  new RegExp(`\\balarme\\b${G}{0,60}?\\b(coupee|ignoree|desactivee|neutralisee)\\b`),
  new RegExp(`\\b(aspiration|ventilation|extraction)\\b${G}{0,30}?\\b(ne marche pas|ne fonctionne pas|coupee|arretee|en panne|hs)\\b`),
  // vehicles
  /\bnear[- ]?miss\b/,
  new RegExp(`\\b(forklift|truck|agv)\\b${G}{0,30}?\\b(nearly|almost) (hit|ran|struck|run|crushed)\\b`),
  /\b(nearly|almost) (hit|ran over|struck|crushed)\b/,
  /\breversing without\b/,
  /\bcasi (atropella|golpea|aplasta|choca)\w*/,
  /\bsin (claxon|luz de marcha atras|bocina)\b/,
  /\ba failli (renverser|ecraser|heurter|percuter)\b/,
  /\bsans (avertisseur|feu de recul|klaxon)\b/,
  // loads, heights, stacking
  /\bunder (the|a) (suspended|hanging) load\b/,
  /\b(debajo de|bajo) la carga (suspendida|colgada)\b/,
  /\bsous la charge( suspendue)?\b/,
  /\b(handrail|railing|guardrail|barandilla|garde-corps)\b[^.;!?]{0,20}?\b(loose|missing|broken|removed|suelta|rota|bouge|manque|casse)\b/,
  /\b(broken rung|peldano roto|barreau casse)\b/,
  /\b(could fall|fall hazard|peligro de caida|risque de chute)\b/,
  /\bse tambale\w*|\bca penche\b/,
  // stored energy and pressure
  new RegExp(`\\b(relief|safety) valve\\b${G}{0,30}?\\b(capped|blocked|plugged|removed|disabled)\\b`),
  /\bvalvula de seguridad\b[^.;!?]{0,30}?\b(tapad|bloquead|anulad)[oa]/,
  /\bsoupape de surete\b[^.;!?]{0,30}?\b(bouchee|obstruee|neutralisee)\b/,
  /\b(gas )?cylinders? not (chained|secured|restrained)\b/,
  /\bbotellas?( de gas)? sin (sujetar|cadena|amarrar)\b/,
  /\bbouteilles?( de gaz)? non (attachees|arrimees|fixees)\b/,
  // bodies in moving machinery
  /\b(hand|arm|fingers?) (was |were )?(inside|caught|trapped)\b/,
  /\breach(ed|ing)? (into|past|inside)\b/,
  /\bpinch point\b/,
  /\b(restarted by itself|started unexpectedly|unexpected (re)?start)\b/,
  /\bchips flying\b/,
  /\bmeti(o|eron) la mano\b/,
  /\bmis la main dans\b/,
  /\b(se abre|s'ouvre) (con|pendant)\b/,
];

export interface CueMatch {
  /** Offsets in the folded text. */
  readonly start: number;
  readonly end: number;
}

/** Every cue match in folded text, in order of position, overlapping matches kept (the first wins when quoting). */
export function safetyCueMatches(folded: string): CueMatch[] {
  const out: CueMatch[] = [];
  for (const re of SAFETY_CUES) {
    const m = re.exec(folded);
    if (m) out.push({ start: m.index, end: m.index + m[0].length });
  }
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}
