import { Type } from '@fastify/type-provider-typebox';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { centreNames, PLACE_COLUMNS, type Figure } from './figure.ts';
import { placeKey, placeOf, PlaceFields } from './filters.ts';

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
    const rows = new Map<string, Record<string, string | number | null> & { total: number }>();
    for (const c of cells) {
      const key = `${placeKey(c)}|${c.kind}`;
      const row = rows.get(key) ?? { ...placeOf(c, centres), kind: c.kind, total: 0, level1: 0, level2: 0, level3: 0 };
      row.total += c.n;
      if (c.level) row[`level${c.level}`] = (row[`level${c.level}`] as number) + c.n;
      rows.set(key, row);
    }
    return [...rows.values()];
  },
};
