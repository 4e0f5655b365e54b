import { Type } from '@fastify/type-provider-typebox';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { centreNames, PLACE_COLUMNS, type Figure } from './figure.ts';
import { byKey, placed, placeKey, PlaceFields } from './filters.ts';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** Anexo IV cases open now, by stage, with how long they have been open. */
export const contactLossFigure: Figure = {
  name: 'contact-loss',
  title: 'Procedimientos por falta de contacto abiertos, por fase y antigüedad',
  description: 'Open contact-loss cases (Anexo IV) at the moment of the request, by stage, with their ages in whole days '
    + '(median, oldest, and how many in 0-7, 8-14, 15-30, over 30 days). The date range does not apply.',
  snapshot: true,
  row: Type.Object({
    ...PlaceFields,
    stage: Type.String({ description: 'contacting_persons | social_services_notified | baja_proposed' }),
    open: count('open cases'), ageMedianDays: count('median age'), ageMaxDays: count('oldest'),
    age0to7: count('0-7 days'), age8to14: count('8-14 days'), age15to30: count('15-30 days'), ageOver30: count('over 30 days'),
  }),
  columns: [...PLACE_COLUMNS, { key: 'stage', header: 'fase', kind: 'dim' }, { key: 'open', header: 'abiertos', kind: 'count' },
    { key: 'ageMedianDays', header: 'antiguedad_mediana_dias', kind: 'measure', basis: 'open' },
    { key: 'ageMaxDays', header: 'antiguedad_maxima_dias', kind: 'measure', basis: 'open' },
    { key: 'age0to7', header: 'de_0_a_7_dias', kind: 'count' }, { key: 'age8to14', header: 'de_8_a_14_dias', kind: 'count' },
    { key: 'age15to30', header: 'de_15_a_30_dias', kind: 'count' }, { key: 'ageOver30', header: 'mas_de_30_dias', kind: 'count' }],
  async compute({ db, now }, f) {
    const rows = await reportsDirectRepo(db).lossOpen(f, now);
    const centres = await centreNames(db, rows);
    return rows.map((r) => placed(r, centres, { stage: r.stage, open: r.n, ageMedianDays: r.age_median, ageMaxDays: r.age_max,
      age0to7: r.age_0_7, age8to14: r.age_8_14, age15to30: r.age_15_30, ageOver30: r.age_over_30 }));
  },
};

/** Anexo IV cases opened and closed (contact recovered, or baja) per period. */
export const contactLossFlowsFigure: Figure = {
  name: 'contact-loss-flows',
  title: 'Procedimientos por falta de contacto abiertos y cerrados',
  description: 'Per period (Madrid days): cases opened, closed with contact recovered, closed with baja.',
  row: Type.Object({ ...PlaceFields, opened: count('opened'), closedRecovered: count('closed: contact recovered'),
    closedBaja: count('closed: baja') }),
  columns: [...PLACE_COLUMNS, { key: 'opened', header: 'abiertos', kind: 'count' },
    { key: 'closedRecovered', header: 'cerrados_contacto_recuperado', kind: 'count' }, { key: 'closedBaja', header: 'cerrados_baja', kind: 'count' }],
  async compute({ db }, f) {
    const cells = await reportsDirectRepo(db).lossFlows(f);
    const centres = await centreNames(db, cells);
    const flowRow = (c: (typeof cells)[number]) => placed(c, centres, { opened: 0, closedRecovered: 0, closedBaja: 0 });
    const rows = new Map<string, ReturnType<typeof flowRow>>();
    for (const c of cells) {
      const key = placeKey(c);
      let row = rows.get(key);
      if (!row) rows.set(key, (row = flowRow(c)));
      if (c.what === 'opened') row.opened += c.n;
      else if (c.what === 'closed_baja') row.closedBaja += c.n;
      else row.closedRecovered += c.n;
    }
    return [...rows.values()].sort((a, b) => byKey(a.period, b.period));
  },
};
