import { Type } from '@fastify/type-provider-typebox';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { centreNames, PLACE_COLUMNS, ratio, type Figure } from './figure.ts';
import { placed, PlaceFields } from './filters.ts';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** Terminals of usuarias in service whose autochequeo is overdue (period per terminal model, default SELFTEST_PERIOD_HOURS). */
export const selftestFigure: Figure = {
  name: 'selftest-overdue',
  title: 'Terminales con autochequeo vencido',
  description: 'Active terminals of usuarias in service at the moment of the request, those that never sent a self-test, and '
    + 'those whose last self-test (or their coming into service) is older than the self-test period of their model (default '
    + 'SELFTEST_PERIOD_HOURS, 24 h); models that make no self-tests are left out. The date range does not apply.',
  snapshot: true,
  row: Type.Object({ ...PlaceFields, terminals: count('active terminals'), never: count('never self-tested'),
    overdue: count('self-test overdue'), overdueShare: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]) }),
  columns: [...PLACE_COLUMNS, { key: 'terminals', header: 'terminales', kind: 'count' }, { key: 'never', header: 'sin_autochequeo', kind: 'count' },
    { key: 'overdue', header: 'autochequeo_vencido', kind: 'count' },
    { key: 'overdueShare', header: 'proporcion_vencidos', kind: 'measure', basis: 'terminals' }],
  async compute({ db, now, selftestPeriodHours }, f) {
    const rows = await reportsDirectRepo(db).selftest(f, now, selftestPeriodHours);
    const centres = await centreNames(db, rows);
    return rows.map((r) => placed(r, centres, { terminals: r.active, never: r.never, overdue: r.overdue,
      overdueShare: ratio(r.overdue, r.active) }));
  },
};
