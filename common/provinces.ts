/** The 52 provinces with their INE codes (the code in `VG-<code>-<n>`) and the zone their clocks keep. */
export type Zone = 'Europe/Madrid' | 'Atlantic/Canary';

export interface Province { code: string; name: string; zone: Zone }

const NAMES: Record<string, string> = {
  '01': 'Araba/Álava', '02': 'Albacete', '03': 'Alicante/Alacant', '04': 'Almería', '05': 'Ávila',
  '06': 'Badajoz', '07': 'Illes Balears', '08': 'Barcelona', '09': 'Burgos', '10': 'Cáceres',
  '11': 'Cádiz', '12': 'Castellón/Castelló', '13': 'Ciudad Real', '14': 'Córdoba', '15': 'A Coruña',
  '16': 'Cuenca', '17': 'Girona', '18': 'Granada', '19': 'Guadalajara', '20': 'Gipuzkoa',
  '21': 'Huelva', '22': 'Huesca', '23': 'Jaén', '24': 'León', '25': 'Lleida',
  '26': 'La Rioja', '27': 'Lugo', '28': 'Madrid', '29': 'Málaga', '30': 'Murcia',
  '31': 'Navarra', '32': 'Ourense', '33': 'Asturias', '34': 'Palencia', '35': 'Las Palmas',
  '36': 'Pontevedra', '37': 'Salamanca', '38': 'Santa Cruz de Tenerife', '39': 'Cantabria', '40': 'Segovia',
  '41': 'Sevilla', '42': 'Soria', '43': 'Tarragona', '44': 'Teruel', '45': 'Toledo',
  '46': 'Valencia/València', '47': 'Valladolid', '48': 'Bizkaia', '49': 'Zamora', '50': 'Zaragoza',
  '51': 'Ceuta', '52': 'Melilla',
};

// DECISION (DOMAIN.md): Las Palmas and Santa Cruz de Tenerife keep Canary time; the rest, Ceuta
// and Melilla included, keep peninsular time.
const CANARY = new Set(['35', '38']);

export const PROVINCES: readonly Province[] = Object.entries(NAMES).map(([code, name]) =>
  ({ code, name, zone: CANARY.has(code) ? 'Atlantic/Canary' : 'Europe/Madrid' }));

const BY_CODE = new Map(PROVINCES.map((p) => [p.code, p]));

export function province(code: string): Province | undefined {
  return BY_CODE.get(code);
}

export function zoneOfProvince(code: string): Zone {
  const p = BY_CODE.get(code);
  if (!p) throw new Error(`unknown province code ${code}`);
  return p.zone;
}
