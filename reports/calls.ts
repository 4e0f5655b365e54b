import { Type } from '@fastify/type-provider-typebox';
import { reportsRepo } from '../store/reports.repo.ts';
import { centreNames, PLACE_COLUMNS, type Figure } from './figure.ts';
import { placeOf, PlaceFields } from './filters.ts';

const OUTCOMES = [
  ['atendida', 'o_atendida', 'habló con el centro'], ['sinVoz', 'o_sin_voz', 'sin voz'], ['colgada', 'o_colgada', 'colgada'],
  ['equivocada', 'o_equivocada', 'equivocada'], ['prueba', 'o_prueba', 'prueba'], ['noEsElla', 'o_no_es_ella', 'contestó otra persona'],
  ['contestador', 'o_contestador', 'contestador'], ['completada', 'o_completada', 'terminada sin tipificar (autochequeos incluidos)'],
  ['noContesta', 'o_no_contesta', 'no contesta o abandonada'], ['ocupado', 'o_ocupado', 'ocupado'], ['fallida', 'o_fallida', 'fallida o no cursada'],
] as const;

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** §10.1: calls of each kind (A inbound, B follow-up, C emergency, D technical control) and what became of them. */
export const callsFigure: Figure = {
  name: 'calls',
  title: 'Llamadas por tipo y resultado',
  description: 'Ended call attempts by direction, line and kind (A, B, C, D; "-" not yet filed), with one count per outcome. '
    + 'The outcome is the operator\'s filing when there is one, else how the call ended.',
  row: Type.Object({
    ...PlaceFields,
    direction: Type.String({ description: 'inbound | outbound' }),
    line: Type.String({ description: 'emergency | general | selftest | info | outbound' }),
    kind: Type.String({ description: "A | B | C | D, '-' when not filed" }),
    calls: count('ended attempts'),
    answered: count('answered by a person or an operator'),
    ...Object.fromEntries(OUTCOMES.map(([k, , d]) => [k, count(d)])),
  }),
  columns: [...PLACE_COLUMNS,
    { key: 'direction', header: 'sentido', kind: 'dim' }, { key: 'line', header: 'linea', kind: 'dim' },
    { key: 'kind', header: 'tipo', kind: 'dim' }, { key: 'calls', header: 'llamadas', kind: 'count' },
    { key: 'answered', header: 'contestadas', kind: 'count' },
    ...OUTCOMES.map(([k]) => ({ key: k, header: k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), kind: 'count' as const }))],
  async compute({ db }, f) {
    const rows = await reportsRepo(db).calls(f);
    const centres = await centreNames(db, rows);
    // one literal per row (the drill-down by province is thousands of rows): no spread, no entries
    return rows.map((r) => {
      const p = placeOf(r, centres);
      return { period: p.period, province: p.province, provinceName: p.provinceName, municipality: p.municipality, centreId: p.centreId,
        centreName: p.centreName, direction: r.direction, line: r.line, kind: r.kind, calls: r.calls, answered: r.answered,
        atendida: r.o_atendida, sinVoz: r.o_sin_voz, colgada: r.o_colgada, equivocada: r.o_equivocada, prueba: r.o_prueba,
        noEsElla: r.o_no_es_ella, contestador: r.o_contestador, completada: r.o_completada, noContesta: r.o_no_contesta,
        ocupado: r.o_ocupado, fallida: r.o_fallida };
    });
  },
};
