import { Type } from '@fastify/type-provider-typebox';
import { reportsRepo } from '../store/reports.repo.ts';
import { centreNames, PLACE_COLUMNS, type Figure } from './figure.ts';
import { placed, PlaceFields } from './filters.ts';

/**
 * Outbound calls placed outside her agreed window. It must be zero, and it is shown so that anyone
 * can see it. Judged when the attempt is written: its start against the window she had agreed then
 * (weekday and hours in her zone; post-emergency calls keep the hours on any day).
 */
export const outsideWindowFigure: Figure = {
  name: 'outside-window',
  title: 'Llamadas realizadas fuera de la franja acordada (debe ser 0)',
  description: 'Ended outbound attempts by kind (B follow-up, D control) and how many of them started outside the window '
    + 'she had agreed at that moment. Attempts the provider refused (never placed) do not count as outside.',
  row: Type.Object({
    ...PlaceFields,
    kind: Type.String({ description: 'B | D' }),
    placed: Type.Integer({ minimum: 0, description: 'ended outbound attempts' }),
    outsideWindow: Type.Integer({ minimum: 0, description: 'started outside her agreed window; must be 0' }),
  }),
  columns: [...PLACE_COLUMNS, { key: 'kind', header: 'tipo', kind: 'dim' }, { key: 'placed', header: 'realizadas', kind: 'count' },
    { key: 'outsideWindow', header: 'fuera_de_franja', kind: 'count' }],
  async compute({ db }, f) {
    const rows = await reportsRepo(db).outbound(f);
    const centres = await centreNames(db, rows);
    return rows.map((r) => placed(r, centres, { kind: r.kind, placed: r.calls, outsideWindow: r.outside_window }));
  },
};
