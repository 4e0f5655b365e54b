import { zoneOfProvince } from '../../common/provinces.ts';
import { MUNICIPALITIES } from '../../common/municipalities.ts';
import { addDays, daysBetween } from './dates.ts';
import { municipalityName, pickMunicipalityIndex, pickProvince, postalCode, streetAddress } from './geography.ts';
import { FEMALE_NAMES, familyNames, imei, landline, mobile, syntheticDni, terminalMsisdn, uuidv7 } from './identity.ts';
import { aggressor, contacts, health, household, resources } from './people.ts';
import { mixSeed, Rng } from './prng.ts';
import type { AltaCategory, LocationDoc, RiskLevel, SeedRisk, SeedUsuaria } from './types.ts';

export interface GenerateContext {
  seed: number;
  /** The seed's "today" (YYYY-MM-DD): every date is relative to it. */
  today: string;
  /** Epoch ms of "now", for self-test timestamps. */
  nowMs: number;
}

/** Where a usuaria sits in the sequences that make her DNI and her terminal's MSISDN unique. */
export interface Ordinals { usuaria: number; terminal: number }

const RISK_WEIGHTS: readonly (readonly [RiskLevel, number])[] = [
  ['no_apreciable', 35], ['bajo', 33], ['medio', 22], ['alto', 8], ['extremo', 2],
];

const RISK_COUNT: readonly (readonly [number, number])[] = [[1, 6], [2, 3], [3, 1]];

const EXTRAORDINARY: readonly (readonly [AltaCategory, number])[] = [
  ['victima_menor', 2], ['hija_hijo', 2], ['persona_dependiente', 1], ['excepcional', 1],
];

// model slug and the TAC its IMEIs start with (self-test periods are configured per model)
const MODELS: readonly (readonly [string, string])[] = [
  ['novo-4g', '35891205'], ['myamie-4g', '86543904'], ['doro-780x', '35420911'], ['twig-one', '35617810'],
];

const WINDOWS: readonly (readonly [string, string])[] = [
  ['10:00', '12:00'], ['17:00', '19:00'], ['09:00', '11:00'], ['11:00', '13:00'], ['16:00', '18:00'],
];

const NATIONALITIES: readonly (readonly [string, number])[] = [
  ['ES', 82], ['MA', 5], ['RO', 3], ['CO', 3], ['EC', 2], ['VE', 2], ['PE', 1], ['BR', 1], ['UA', 1],
];

/** One synthetic usuaria, fully determined by the seed and her ordinal (ids apart). */
export function generateUsuaria(ctx: GenerateContext, ord: Ordinals): SeedUsuaria {
  const rng = new Rng(mixSeed(ctx.seed, ord.usuaria));
  const provinceCode = pickProvince(rng);
  const municipalityIndex = pickMunicipalityIndex(rng, provinceCode);
  const municipality = municipalityName(provinceCode, municipalityIndex);
  const expediente = alta(rng, ctx.today);
  const thisYear = Number(ctx.today.slice(0, 4));
  const birthYear = thisYear - age(rng, expediente.altaCategory);
  return {
    id: uuidv7(),
    givenName: rng.pick(FEMALE_NAMES),
    familyNames: familyNames(rng),
    idDocument: syntheticDni(ord.usuaria),
    birthDate: `${birthYear}-${pad2(rng.int(1, 12))}-${pad2(rng.int(1, 28))}`,
    nationality: rng.weighted(NATIONALITIES),
    disability: expediente.altaCategory === 'persona_dependiente' || rng.chance(0.04),
    personalPhone: rng.chance(0.5) ? mobile(rng) : null,
    municipality,
    provinceCode,
    municipalityIndex,
    location: location(rng, provinceCode),
    otherResources: rng.chance(0.1) ? `UPAP: ${landline(rng, provinceCode)}` : null,
    specialisedProgrammes: rng.chance(0.05) ? 'Programa de atención psicológica a víctimas' : null,
    expediente,
    terminal: terminal(rng, ctx, ord.terminal, expediente.altaOn),
    contacts: contacts(rng, municipality, expediente.altaOn),
    resources: resources(rng, provinceCode, municipality),
    household: household(rng, birthYear, thisYear),
    risks: risks(rng, expediente.altaOn, ctx.today),
    aggressor: aggressor(rng, expediente.altaOn),
    health: health(rng),
    agenda: agenda(rng, provinceCode),
  };
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Mostly ordinaria; extraordinaria carries the Comisión de Seguimiento's prior authorisation. */
function alta(rng: Rng, today: string): SeedUsuaria['expediente'] {
  const altaOn = addDays(today, -rng.int(3, 5 * 365));
  const requestedOn = addDays(altaOn, -rng.int(1, 7));
  if (rng.chance(0.94)) {
    return { altaType: 'ordinaria', altaCategory: 'victima', requestedOn, altaOn, authorisationRef: null, authorisedOn: null };
  }
  return {
    altaType: 'extraordinaria', altaCategory: rng.weighted(EXTRAORDINARY), requestedOn, altaOn,
    authorisationRef: `CS-${altaOn.slice(0, 4)}-${rng.digits(5)}`,
    authorisedOn: addDays(altaOn, -rng.int(0, 1)),
  };
}

function age(rng: Rng, category: AltaCategory): number {
  switch (category) {
    case 'victima_menor': return rng.int(13, 17);
    case 'hija_hijo': return rng.int(19, 25);
    case 'persona_dependiente': return rng.int(20, 70);
    default: return rng.weighted([[rng.int(19, 29), 3], [rng.int(30, 49), 5], [rng.int(50, 85), 2]] as const);
  }
}

function location(rng: Rng, provinceCode: string): LocationDoc {
  const works = rng.chance(0.4);
  const workIndex = rng.int(0, MUNICIPALITIES[provinceCode]!.length - 1);
  return {
    address: streetAddress(rng),
    postalCode: postalCode(rng, provinceCode),
    landline: rng.chance(0.4) ? `+34${landline(rng, provinceCode)}` : null,
    notes: rng.chance(0.2) ? 'Portero automático averiado; llamar al móvil.' : null,
    work: works ? {
      address: streetAddress(rng),
      municipality: municipalityName(provinceCode, workIndex),
      provinceCode,
      landline: rng.chance(0.5) ? `+34${landline(rng, provinceCode)}` : null,
      notes: rng.chance(0.2) ? 'Turno de mañana.' : null,
    } : null,
  };
}

function terminal(rng: Rng, ctx: GenerateContext, ordinal: number, altaOn: string): SeedUsuaria['terminal'] {
  const [model, tac] = rng.pick(MODELS);
  // a few terminals are overdue for their self-test, as in real life
  const ageMs = rng.chance(0.03) ? rng.int(2, 6) * 86_400_000 : rng.int(0, 24 * 3600) * 1000;
  return {
    msisdn: terminalMsisdn(ordinal),
    imei: imei(rng, tac),
    model,
    deliveredOn: altaOn,
    lastSelftestAt: new Date(ctx.nowMs - ageMs).toISOString(),
  };
}

/** Oldest first; the latest carries the weighted level the screen-pop shows. */
function risks(rng: Rng, altaOn: string, today: string): SeedRisk[] {
  const n = rng.weighted(RISK_COUNT);
  const span = Math.max(1, daysBetween(altaOn, today));
  const out: SeedRisk[] = [];
  let on = addDays(altaOn, -rng.int(1, 20));
  for (let i = 0; i < n; i++) {
    out.push({ level: rng.weighted(RISK_WEIGHTS), assessedOn: on,
      otherAssessments: rng.chance(0.05) ? 'Valoración forense de riesgo' : null });
    on = addDays(on, rng.int(1, Math.max(1, Math.floor(span / n))));
  }
  return out;
}

function agenda(rng: Rng, provinceCode: string): SeedUsuaria['agenda'] {
  const days = rng.chance(0.9) ? [1, 2, 3, 4, 5] : [1, 2, 3, 4, 5, 6, 7];
  const [windowFrom, windowTo] = rng.pick(WINDOWS);
  return {
    frequency: rng.chance(0.6) ? 'quincenal' : 'mensual',
    weekdays: rng.sample(days, rng.int(1, 3)),
    windowFrom,
    windowTo,
    zone: zoneOfProvince(provinceCode),
    retries: 1,
  };
}
