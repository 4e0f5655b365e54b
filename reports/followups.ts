import { Type } from '@fastify/type-provider-typebox';
import { reportsRepo } from '../store/reports.repo.ts';
import { centreNames, PLACE_COLUMNS, ratio, type Figure } from './figure.ts';
import { inKeyOrder, placed, placeKey, PlaceFields } from './filters.ts';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/**
 * §10.1 B: of the planned follow-ups (occasions, retries included), how many reached her; and how
 * many outbound attempts (kind B) each contact took. Occasions count on their planned day.
 */
export const followupsFigure: Figure = {
  name: 'followups',
  title: 'Seguimientos: tasa de contacto e intentos por contacto',
  description: 'Follow-up occasions by planned day: planned, reached, failed (every attempt failed), cancelled, still open; '
    + 'contact rate = reached / (reached + failed). Outbound B attempts ended and those in which she spoke; attempts per contact.',
  row: Type.Object({
    ...PlaceFields,
    planned: count('follow-up occasions planned'), reached: count('occasions that reached her'),
    failed: count('occasions whose attempts all failed'), cancelled: count('cancelled (newer contact, absence, baja)'),
    open: count('not settled yet'),
    contactRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
    attempts: count('ended outbound B attempts'), contacts: count('B attempts in which she spoke with the centre'),
    attemptsPerContact: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  }),
  columns: [...PLACE_COLUMNS, { key: 'planned', header: 'previstos', kind: 'count' }, { key: 'reached', header: 'con_contacto', kind: 'count' },
    { key: 'failed', header: 'fallidos', kind: 'count' }, { key: 'cancelled', header: 'cancelados', kind: 'count' },
    { key: 'open', header: 'abiertos', kind: 'count' }, { key: 'contactRate', header: 'tasa_contacto', kind: 'measure', basis: 'planned' },
    { key: 'attempts', header: 'intentos', kind: 'count' }, { key: 'contacts', header: 'contactos', kind: 'count' },
    { key: 'attemptsPerContact', header: 'intentos_por_contacto', kind: 'measure', basis: 'contacts' }],
  async compute({ db }, f) {
    const cells = await reportsRepo(db).followups(f);
    const centres = await centreNames(db, cells);
    return inKeyOrder(cells.map((c) => [placeKey(c), c] as const)).map((c) => placed(c, centres, {
      planned: c.planned, reached: c.contact, failed: c.failed, cancelled: c.cancelled, open: c.open,
      contactRate: ratio(c.contact, c.contact + c.failed), attempts: c.calls, contacts: c.contacts, attemptsPerContact: ratio(c.calls, c.contacts),
    }));
  },
};
