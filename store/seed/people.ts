import { familyNames, fullName, landline, MALE_NAMES, mobile, syntheticDni } from './identity.ts';
import { addDays } from './dates.ts';
import type { Rng } from './prng.ts';
import type { AggressorDoc, HealthDoc, JudicialMeasure, SeedContact, SeedHousehold, SeedResource } from './types.ts';

// contact persons are people who know of the abuse and consented (Anexo V.9)
const CONTACT_RELATIONSHIPS: readonly (readonly [string, boolean])[] = [
  ['madre', true], ['hermana', true], ['amiga', true], ['vecina', true], ['hija', true],
  ['padre', false], ['hermano', false], ['hijo', false], ['tía', true], ['cuñada', true], ['prima', true],
];

export function contacts(rng: Rng, municipality: string, altaOn: string): SeedContact[] {
  const n = rng.weighted(CONTACT_COUNT);
  return Array.from({ length: n }, (_, i) => {
    const [relationship, female] = rng.pick(CONTACT_RELATIONSHIPS);
    return {
      priority: i + 1,
      fullName: fullName(rng, female),
      relationship,
      phone1: mobile(rng),
      phone2: rng.chance(0.2) ? mobile(rng) : null,
      municipality: rng.chance(0.8) ? municipality : null,
      holdsKeys: rng.chance(0.4),
      consentOn: addDays(altaOn, -rng.int(0, 10)),
      notes: rng.chance(0.1) ? 'Prefiere que se la llame por la tarde.' : null,
    };
  });
}

type Named = (municipality: string) => string;
const POLICE: Named[] = [(m) => `Policía Nacional, comisaría de ${m}`, (m) => `Guardia Civil, puesto de ${m}`,
  (m) => `Policía Local de ${m}`, (m) => `UFAM ${m}`];
const HEALTH_RESOURCES: Named[] = [(m) => `Centro de Salud ${m} Centro`, (m) => `Hospital comarcal de ${m}`,
  (m) => `Urgencias de atención primaria de ${m}`];
const SOCIAL: Named[] = [(m) => `Servicios Sociales de ${m}`, (m) => `Centro de la Mujer de ${m}`,
  (m) => `Oficina de Asistencia a las Víctimas de ${m}`];

/** At most three per category (Anexo V.8); most usuarias have one of each, some two police. */
export function resources(rng: Rng, provinceCode: string, municipality: string): SeedResource[] {
  const out: SeedResource[] = [];
  const add = (category: SeedResource['category'], names: Named[], count: number) => {
    rng.sample(names, count).forEach((name, i) =>
      out.push({ category, priority: i + 1, name: name(municipality), phone: landline(rng, provinceCode), notes: null }));
  };
  add('fuerzas_seguridad', POLICE, rng.chance(0.4) ? 2 : 1);
  add('sanitario', HEALTH_RESOURCES, rng.chance(0.1) ? 2 : 1);
  add('social', SOCIAL, 1);
  return out;
}

const CHILDREN: readonly (readonly [number, number])[] = [[0, 4], [1, 4], [2, 3], [3, 1]];
const CONTACT_COUNT: readonly (readonly [number, number])[] = [[1, 3], [2, 4], [3, 2], [4, 1]];
const MEASURE_COUNT: readonly (readonly [number, number])[] = [[0, 3], [1, 5], [2, 2]];

export function household(rng: Rng, usuariaBirthYear: number, thisYear: number): SeedHousehold[] {
  const out: SeedHousehold[] = [];
  // children born when she was 18 to 42, never in the future: the youngest usuarias have none
  const lastBirthYear = Math.min(thisYear, usuariaBirthYear + 42);
  const children = usuariaBirthYear + 18 > lastBirthYear ? 0 : rng.weighted(CHILDREN);
  for (let i = 0; i < children; i++) {
    const birthYear = rng.int(usuariaBirthYear + 18, lastBirthYear);
    const female = rng.chance(0.5);
    const minor = thisYear - birthYear < 18;
    out.push({
      fullName: fullName(rng, female), relationship: female ? 'hija' : 'hijo', birthYear, phone: null,
      minorAtRisk: minor && rng.chance(0.3), notes: null,
    });
  }
  if (rng.chance(0.1)) {
    out.push({
      fullName: fullName(rng, true), relationship: 'madre', birthYear: usuariaBirthYear - rng.int(20, 40),
      phone: rng.chance(0.5) ? mobile(rng) : null, minorAtRisk: false, notes: null,
    });
  }
  return out;
}

const RELATIONSHIPS = ['expareja', 'expareja', 'excónyuge', 'cónyuge', 'pareja', 'exnovio'];
const BUILDS = ['complexión delgada', 'complexión media', 'complexión fuerte'];
const HAIR = ['pelo corto castaño', 'pelo moreno', 'calvo', 'pelo canoso', 'pelo rubio', 'barba'];
const CARS = ['Seat León', 'Renault Clio', 'Volkswagen Golf', 'Peugeot 308', 'Ford Focus', 'Toyota Corolla', 'Dacia Sandero'];
const COLOURS = ['gris', 'blanco', 'negro', 'azul', 'rojo'];
const INDICATORS = [
  'Antecedentes de quebrantamiento de la orden de alejamiento', 'Consumo de alcohol', 'Acceso a armas',
  'Amenazas de muerte', 'Celos y control del teléfono', 'Ha intentado contactar a través de terceros',
];
const PLATE_LETTERS = ['BCD', 'FGH', 'JKL', 'LMN', 'PRS'];
const MEASURES = ['orden de alejamiento', 'prohibición de comunicación', 'suspensión del régimen de visitas'];

function measures(rng: Rng, altaOn: string): JudicialMeasure[] {
  return Array.from({ length: rng.weighted(MEASURE_COUNT) }, () => ({
    agreedOn: addDays(altaOn, -rng.int(5, 120)),
    durationMonths: rng.pick([6, 12, 24, 36, 60]),
    kind: rng.pick(MEASURES),
    reason: rng.chance(0.5) ? 'Sentencia por delito de violencia de género' : null,
  }));
}

/** Aggressor data is optional at intake (Anexo II lacks it): some usuarias have none yet. */
export function aggressor(rng: Rng, altaOn: string): AggressorDoc | null {
  if (rng.chance(0.1)) return null;
  return {
    givenName: rng.pick(MALE_NAMES),
    familyNames: familyNames(rng),
    idDocument: rng.chance(0.6) ? syntheticDni(rng.int(0, 99_999_999)) : null,
    description: rng.chance(0.8)
      ? `Varón, ${rng.int(160, 195)} cm, ${rng.pick(BUILDS)}, ${rng.pick(HAIR)}` : null,
    vehicle: rng.chance(0.5)
      ? `${rng.pick(CARS)} ${rng.pick(COLOURS)}, matrícula ${rng.digits(4)} ${rng.pick(PLATE_LETTERS)}` : null,
    riskIndicators: rng.chance(0.6) ? rng.sample(INDICATORS, rng.int(1, 3)).join('; ') : null,
    relationship: rng.pick(RELATIONSHIPS),
    knowsHome: rng.chance(0.7),
    knowsWorkplace: rng.chance(0.4),
    knowsSchool: rng.chance(0.3),
    otherRiskPersons: rng.chance(0.05) ? 'Familiares del agresor la han seguido en la calle' : null,
    judicialMeasures: measures(rng, altaOn),
  };
}

const HEALTH = [
  'Asma; lleva inhalador.', 'Diabetes tipo 2 en tratamiento.', 'Ansiedad; en seguimiento por salud mental.',
  'Hipertensión.', 'Embarazada.', 'Movilidad reducida; usa muleta.', 'Alergia a la penicilina.',
  'Epilepsia controlada con medicación.',
];

export function health(rng: Rng): HealthDoc | null {
  return rng.chance(0.25) ? { notes: rng.sample(HEALTH, rng.int(1, 2)).join(' ') } : null;
}
