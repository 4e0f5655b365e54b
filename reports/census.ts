import { Type } from '@fastify/type-provider-typebox';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { centreNames, PLACE_COLUMNS, type Figure, type Row } from './figure.ts';
import { inKeyOrder, periods, placeOf, PlaceFields } from './filters.ts';

/** Anexo V.4 and the provider's own causes (migration 001). */
export const BAJA_CAUSES = ['caducidad_medidas', 'convivencia_agresor', 'incumplimientos_reiterados', 'traslado_entidad_no_adherida',
  'voluntaria', 'agresor_sin_riesgo', 'desaparecida_no_localizable', 'disconforme', 'fallecida', 'vive_fuera_espana',
  'no_percibe_riesgo', 'falta_contacto', 'no_renovacion', 'plazo_maximo'] as const;

const count = (description: string) => Type.Integer({ minimum: 0, description });
const BAJA_KEYS = BAJA_CAUSES.map((c) => `baja_${c}`);
const CAUSE_SLOTS = BAJA_CAUSES.length + 1;
/** A census row's fields in their order; each row starts as a copy of it. */
const ROW_TEMPLATE: Row = { period: '', province: '', provinceName: null, municipality: '', centreId: null, centreName: null,
  activeAtEnd: 0, attended: 0, altas: 0, bajas: 0, ...Object.fromEntries(BAJA_KEYS.map((k) => [k, 0])) };

/**
 * Active usuarias, altas and bajas by cause. She is active on day D when her expediente's alta is
 * on or before D and it has no baja on or before D; a re-alta is a new expediente and a new alta.
 * Stocks are placed where she lives now and at the centre that follows her now.
 */
export const censusFigure: Figure = {
  name: 'census',
  title: 'Usuarias activas, altas y bajas por causa',
  countsUsuarias: true,
  description: 'Per period: altas, bajas (and by cause), usuarias active at the end of the period (last day of the period '
    + 'within the range), and usuarias attended (active at its start or with an alta in it). Active at a date D: ask for '
    + 'from = to = D, grain day. Placed where she lives now, at the centre that follows her now: the case store keeps no '
    + 'history of her address (the call figures are placed where she lived at the time of each call).',
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
    const cells = await reportsDirectRepo(db).censusCells(f, BAJA_CAUSES);
    const centres = await centreNames(db, cells);
    const list = periods(f.from, f.to, f.grain);
    const index = new Map(list.map((period, i) => [period, i]));
    const n = list.length;
    // per place: the active count before the range, and per period its altas and its bajas by cause
    // (the last counter of a period takes the causes outside the list, counted in the bajas only)
    const places = new Map<string, { at: (typeof cells)[number]; active: number; altas: Int32Array; bajas: Int32Array }>();
    for (const r of cells) {
      const key = `${r.province}|${r.municipality}|${r.centre_id ?? ''}`;
      let p = places.get(key);
      if (!p) places.set(key, (p = { at: r, active: 0, altas: new Int32Array(n), bajas: new Int32Array(n * CAUSE_SLOTS) }));
      p.active += r.opening;
      const i = r.period === null ? undefined : index.get(r.period);
      if (i === undefined) continue;
      p.altas[i]! += r.altas;
      for (let c = 0; c < CAUSE_SLOTS; c++) p.bajas[i * CAUSE_SLOTS + c]! += r.bajas[c]!;
    }
    const ordered = inKeyOrder(places).map((p) => ({ ...p, place: placeOf(p.at, centres) }));
    // by period, then place; every row a copy of one template, so that no row grows key by key
    // (a drill-down by month is hundreds of rows of 24 fields)
    const out: Row[] = [];
    list.forEach((period, i) => {
      for (const p of ordered) {
        const row: Row = { ...ROW_TEMPLATE };
        Object.assign(row, p.place);
        let bajas = 0;
        for (let c = 0; c < CAUSE_SLOTS; c++) {
          const k = p.bajas[i * CAUSE_SLOTS + c]!;
          bajas += k;
          if (c < BAJA_KEYS.length) row[BAJA_KEYS[c]!] = k;
        }
        const altas = p.altas[i]!;
        row.period = period;
        row.attended = p.active + altas;
        p.active += altas - bajas;
        row.activeAtEnd = p.active;
        row.altas = altas;
        row.bajas = bajas;
        out.push(row);
      }
    });
    return out;
  },
};
