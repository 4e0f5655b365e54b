import { Type } from '@fastify/type-provider-typebox';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { centreNames, PLACE_COLUMNS, type Figure } from './figure.ts';
import { placeOf, PlaceFields } from './filters.ts';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** §10.1 C: emergencies by kind and level, on the day (in her zone) and at the place of their call. */
export const emergenciesFigure: Figure = {
  name: 'emergencies',
  title: 'Emergencias por tipo y nivel',
  description: 'Emergency incidents (technical ones excluded) by kind (psicosocial, prealarma, alarma_agresion, otra) and level '
    + '(1 verbal response, 2 resources mobilised, 3 transfer to a specialised centre).',
  row: Type.Object({
    ...PlaceFields,
    kind: Type.String({ description: 'psicosocial | prealarma | alarma_agresion | otra' }),
    total: count('incidents'), level1: count('level 1'), level2: count('level 2'), level3: count('level 3'),
  }),
  columns: [...PLACE_COLUMNS, { key: 'kind', header: 'tipo_emergencia', kind: 'dim' }, { key: 'total', header: 'total', kind: 'count' },
    { key: 'level1', header: 'nivel_1', kind: 'count' }, { key: 'level2', header: 'nivel_2', kind: 'count' },
    { key: 'level3', header: 'nivel_3', kind: 'count' }],
  async compute({ db }, f) {
    const cells = await reportsDirectRepo(db).incidents(f);
    const centres = await centreNames(db, cells);
    // one literal per row (a drill-down by province is thousands of rows): no Object.assign onto the place
    return cells.map((c) => {
      const p = placeOf(c, centres);
      return { period: p.period, province: p.province, provinceName: p.provinceName, municipality: p.municipality, centreId: p.centreId,
        centreName: p.centreName, kind: c.kind, total: c.total, level1: c.level1, level2: c.level2, level3: c.level3 };
    });
  },
};
