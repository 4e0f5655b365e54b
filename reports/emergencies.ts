import { Type } from '@fastify/type-provider-typebox';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { centreNames, PLACE_COLUMNS, type Figure } from './figure.ts';
import { placed, placeKey, PlaceFields } from './filters.ts';

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
    // the cells come ordered by period, place, kind and level: a row's cells are consecutive
    const kindRow = (c: (typeof cells)[number]) => placed(c, centres, { kind: c.kind, total: 0, level1: 0, level2: 0, level3: 0 });
    const rows: ReturnType<typeof kindRow>[] = [];
    let last = '';
    for (const c of cells) {
      const key = `${placeKey(c)}|${c.kind}`;
      if (key !== last) rows.push(kindRow(c));
      last = key;
      const row = rows[rows.length - 1]!;
      row.total += c.n;
      if (c.level === 1) row.level1 += c.n;
      else if (c.level === 2) row.level2 += c.n;
      else if (c.level === 3) row.level3 += c.n;
    }
    return rows;
  },
};
