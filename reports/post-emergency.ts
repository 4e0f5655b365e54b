import { Type } from '@fastify/type-provider-typebox';
import { reportsRepo } from '../store/reports.repo.ts';
import { centreNames, PLACE_COLUMNS, ratio, type Figure } from './figure.ts';
import { placed, PlaceFields } from './filters.ts';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** The daily follow-ups after an emergency (DOMAIN.md): planned, reached, and reached on their planned day. */
export const postEmergencyFigure: Figure = {
  name: 'post-emergency',
  title: 'Seguimientos posteriores a una emergencia realizados a tiempo',
  description: 'Post-emergency follow-up occasions by planned day: planned, reached, reached on time (on or before the planned '
    + 'day, in her zone), failed, cancelled (the incident was closed); on-time rate = on time / (reached + failed).',
  row: Type.Object({
    ...PlaceFields,
    planned: count('occasions planned'), reached: count('reached her'), onTime: count('reached on or before the planned day'),
    failed: count('every attempt failed'), cancelled: count('cancelled'), open: count('not settled yet'),
    onTimeRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  }),
  columns: [...PLACE_COLUMNS, { key: 'planned', header: 'previstos', kind: 'count' }, { key: 'reached', header: 'con_contacto', kind: 'count' },
    { key: 'onTime', header: 'a_tiempo', kind: 'count' }, { key: 'failed', header: 'fallidos', kind: 'count' },
    { key: 'cancelled', header: 'cancelados', kind: 'count' }, { key: 'open', header: 'abiertos', kind: 'count' },
    { key: 'onTimeRate', header: 'tasa_a_tiempo', kind: 'measure', basis: 'planned' }],
  async compute({ db }, f) {
    const rows = await reportsRepo(db).occasions(f, ['post_emergency']);
    const centres = await centreNames(db, rows);
    return rows.map((r) => placed(r, centres, { planned: r.planned, reached: r.contact, onTime: r.on_time, failed: r.failed,
      cancelled: r.cancelled, open: r.open, onTimeRate: ratio(r.on_time, r.contact + r.failed) }));
  },
};
