import { Type } from '@fastify/type-provider-typebox';
import { reportsRepo } from '../store/reports.repo.ts';
import { centreNames, PLACE_COLUMNS, ratio, type Figure } from './figure.ts';
import { byKey, placed, placeKey, PlaceFields } from './filters.ts';

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
    const repo = reportsRepo(db);
    const [occasions, outbound] = await Promise.all([repo.occasions(f, ['followup']), repo.outbound(f, ['B'])]);
    const centres = await centreNames(db, [...occasions, ...outbound]);
    const empty = (r: (typeof occasions)[number] | (typeof outbound)[number]) => placed(r, centres, { planned: 0, reached: 0, failed: 0,
      cancelled: 0, open: 0, contactRate: null as number | null, attempts: 0, contacts: 0, attemptsPerContact: null as number | null });
    const rows = new Map<string, ReturnType<typeof empty>>();
    const at = (r: (typeof occasions)[number] | (typeof outbound)[number]) => {
      const key = placeKey(r);
      let row = rows.get(key);
      if (!row) rows.set(key, (row = empty(r)));
      return row;
    };
    for (const o of occasions) {
      const row = at(o);
      row.planned = o.planned; row.reached = o.contact; row.failed = o.failed; row.cancelled = o.cancelled; row.open = o.open;
    }
    for (const c of outbound) {
      const row = at(c);
      row.attempts = c.calls; row.contacts = c.contacts;
    }
    return [...rows.entries()].sort(([a], [b]) => byKey(a, b)).map(([, r]) => {
      r.contactRate = ratio(r.reached, r.reached + r.failed);
      r.attemptsPerContact = ratio(r.attempts, r.contacts);
      return r;
    });
  },
};
