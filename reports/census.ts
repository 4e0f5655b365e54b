import { Type } from '@fastify/type-provider-typebox';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { centreNames, PLACE_COLUMNS, type Figure, type Row } from './figure.ts';
import { periods, placeOf, PlaceFields } from './filters.ts';

/** Anexo V.4 and the provider's own causes (migration 001). */
export const BAJA_CAUSES = ['caducidad_medidas', 'convivencia_agresor', 'incumplimientos_reiterados', 'traslado_entidad_no_adherida',
  'voluntaria', 'agresor_sin_riesgo', 'desaparecida_no_localizable', 'disconforme', 'fallecida', 'vive_fuera_espana',
  'no_percibe_riesgo', 'falta_contacto', 'no_renovacion', 'plazo_maximo'] as const;

const count = (description: string) => Type.Integer({ minimum: 0, description });

/**
 * Active usuarias, altas and bajas by cause. She is active on day D when her expediente's alta is
 * on or before D and it has no baja on or before D; a re-alta is a new expediente and a new alta.
 * Stocks are placed where she lives now and at the centre that follows her now.
 */
export const censusFigure: Figure = {
  name: 'census',
  title: 'Usuarias activas, altas y bajas por causa',
  description: 'Per period: altas, bajas (and by cause), usuarias active at the end of the period (last day of the period '
    + 'within the range), and usuarias attended (active at its start or with an alta in it). Active at a date D: ask for '
    + 'from = to = D, grain day.',
  row: Type.Object({
    ...PlaceFields,
    activeAtEnd: count('active at the end of the period'), attended: count('active at its start plus altas in it'),
    altas: count('altas'), bajas: count('bajas'),
    ...Object.fromEntries(BAJA_CAUSES.map((c) => [`baja_${c}`, count(`bajas: ${c}`)])),
  }),
  columns: [...PLACE_COLUMNS, { key: 'activeAtEnd', header: 'activas_al_final', kind: 'count' },
    { key: 'attended', header: 'atendidas', kind: 'count' }, { key: 'altas', header: 'altas', kind: 'count' },
    { key: 'bajas', header: 'bajas', kind: 'count' },
    ...BAJA_CAUSES.map((c) => ({ key: `baja_${c}`, header: `baja_${c}`, kind: 'count' as const }))],
  async compute({ db }, f) {
    const flows = await reportsDirectRepo(db).censusFlows(f);
    const centres = await centreNames(db, flows);
    const places = new Map<string, { opening: number; byPeriod: Map<string, { altas: number; bajas: Record<string, number> }> }>();
    const placeOfRow = new Map<string, (typeof flows)[number]>();
    for (const r of flows) {
      const key = `${r.province}|${r.municipality}|${r.centre_id ?? ''}`;
      placeOfRow.set(key, r);
      const p = places.get(key) ?? { opening: 0, byPeriod: new Map() };
      places.set(key, p);
      if (r.what === 'opening') { p.opening += r.n; continue; }
      const cell = p.byPeriod.get(r.period) ?? { altas: 0, bajas: {} };
      p.byPeriod.set(r.period, cell);
      if (r.what === 'alta') cell.altas += r.n;
      else cell.bajas[r.cause!] = (cell.bajas[r.cause!] ?? 0) + r.n;
    }
    const out: Row[] = [];
    const list = periods(f.from, f.to, f.grain);
    for (const [key, p] of [...places.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      let active = p.opening;
      for (const period of list) {
        const cell = p.byPeriod.get(period) ?? { altas: 0, bajas: {} };
        const bajas = Object.values(cell.bajas).reduce((a, b) => a + b, 0);
        const attended = active + cell.altas;
        active += cell.altas - bajas;
        out.push({ ...placeOf({ ...placeOfRow.get(key)!, period }, centres), activeAtEnd: active, attended, altas: cell.altas, bajas,
          ...Object.fromEntries(BAJA_CAUSES.map((c) => [`baja_${c}`, cell.bajas[c] ?? 0])) });
      }
    }
    return out.sort((a, b) => String(a.period).localeCompare(String(b.period)));
  },
};
