import { MUNICIPALITIES } from '../../common/municipalities.ts';
import { PROVINCES } from '../../common/provinces.ts';
import type { Rng } from './prng.ts';

/**
 * Rough population in thousands per province: usuarias are spread like people, so Madrid,
 * Barcelona and Andalucía carry most of the load and the small provinces still appear.
 */
const POPULATION: Record<string, number> = {
  '01': 335, '02': 388, '03': 1950, '04': 750, '05': 158, '06': 665, '07': 1230, '08': 5800,
  '09': 357, '10': 388, '11': 1250, '12': 600, '13': 490, '14': 775, '15': 1125, '16': 196,
  '17': 800, '18': 930, '19': 275, '20': 730, '21': 530, '22': 225, '23': 620, '24': 450,
  '25': 445, '26': 322, '27': 325, '28': 6900, '29': 1750, '30': 1550, '31': 672, '32': 305,
  '33': 1010, '34': 158, '35': 1150, '36': 945, '37': 330, '38': 1070, '39': 590, '40': 155,
  '41': 1960, '42': 89, '43': 840, '44': 135, '45': 720, '46': 2650, '47': 520, '48': 1160,
  '49': 166, '50': 980, '51': 83, '52': 85,
};

// ATENPRO's own figures weigh Andalucía above its population share
const ANDALUCIA = new Set(['04', '11', '14', '18', '21', '23', '29', '41']);

const PROVINCE_WEIGHTS: readonly (readonly [string, number])[] = PROVINCES.map((p) =>
  [p.code, (POPULATION[p.code] ?? 100) * (ANDALUCIA.has(p.code) ? 1.3 : 1)] as const);

export function pickProvince(rng: Rng): string {
  return rng.weighted(PROVINCE_WEIGHTS);
}

/** Index into MUNICIPALITIES[province]; the capital (index 0) weighs as much as three others. */
export function pickMunicipalityIndex(rng: Rng, provinceCode: string): number {
  const n = MUNICIPALITIES[provinceCode]!.length;
  const r = rng.int(0, n + 1);
  return r < 3 ? 0 : r - 2;
}

export function municipalityName(provinceCode: string, index: number): string {
  return MUNICIPALITIES[provinceCode]![index]!;
}

/** The synthetic social services centre of a municipality: SS-<province>-<n>, n from 1. */
export function centreCode(provinceCode: string, index: number): string {
  return `SS-${provinceCode}-${index + 1}`;
}

export interface CentreSpec { code: string; name: string; entidadLocal: string; provinceCode: string; municipality: string }

export function allCentres(): CentreSpec[] {
  return PROVINCES.flatMap((p) => MUNICIPALITIES[p.code]!.map((municipality, i) => ({
    code: centreCode(p.code, i),
    name: `Centro de Servicios Sociales de ${municipality}`,
    entidadLocal: ['51', '52'].includes(p.code) ? `Ciudad Autónoma de ${municipality}` : `Ayuntamiento de ${municipality}`,
    provinceCode: p.code,
    municipality,
  })));
}

const STREET_TYPES = ['Calle', 'Calle', 'Calle', 'Avenida', 'Plaza', 'Paseo', 'Camino', 'Travesía'];
const STREET_NAMES = [
  'Mayor', 'Real', 'de la Constitución', 'del Sol', 'de la Paz', 'San Juan', 'Nueva', 'del Carmen',
  'de Andalucía', 'de los Olivos', 'Cervantes', 'Miguel Hernández', 'de la Estación', 'del Mar',
  'Rosalía de Castro', 'Clara Campoamor', 'de la Libertad', 'Doctor Fleming', 'de Castilla', 'Las Flores',
];

export function streetAddress(rng: Rng): string {
  const floor = rng.chance(0.7) ? `, ${rng.int(1, 9)}º ${rng.pick(['A', 'B', 'C', 'D', 'izq.', 'dcha.'])}` : '';
  return `${rng.pick(STREET_TYPES)} ${rng.pick(STREET_NAMES)}, ${rng.int(1, 140)}${floor}`;
}

/** Spanish postal codes start with the province's INE code. */
export function postalCode(rng: Rng, provinceCode: string): string {
  return provinceCode + String(rng.int(1, 999)).padStart(3, '0');
}
