import { Type } from '@fastify/type-provider-typebox';
import { reportsRepo } from '../store/reports.repo.ts';
import { centreNames, PLACE_COLUMNS, ratio, type Figure } from './figure.ts';
import { placeOf, PlaceFields } from './filters.ts';
import { ANSWER_TARGETS, quantile, shareWithin } from './histogram.ts';

const seconds = (description: string) => Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description });
const share = (description: string) => Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description });

/** How fast inbound (A) and emergency (C) calls were answered, against the sector's targets. */
export const answerTimesFigure: Figure = {
  name: 'answer-times',
  title: 'Tiempo de respuesta de llamadas entrantes y emergencias',
  description: 'Per kind (A inbound, C emergency): calls offered, answered, percentiles of the answer time (upper bound of '
    + 'its bucket: 1 s up to 60 s, 5 s up to 180 s; null beyond 180 s or with nothing answered), and the share of offered '
    + 'calls answered within 60 s and 180 s against the targets 97.5 %/60 s, 99 %/180 s and the European 98.5 %/60 s.',
  row: Type.Object({
    ...PlaceFields,
    kind: Type.String({ description: 'A | C' }),
    offered: Type.Integer({ minimum: 0 }), answered: Type.Integer({ minimum: 0 }), abandoned: Type.Integer({ minimum: 0 }),
    p50S: seconds('median answer time, seconds'), p90S: seconds('90th percentile, seconds'), p99S: seconds('99th percentile, seconds'),
    within60: share('answered within 60 s / offered'), within180: share('answered within 180 s / offered'),
    meets60: Type.Union([Type.Boolean(), Type.Null()], { description: 'within60 >= 97.5 %' }),
    meets180: Type.Union([Type.Boolean(), Type.Null()], { description: 'within180 >= 99 %' }),
    meetsEurope60: Type.Union([Type.Boolean(), Type.Null()], { description: 'within60 >= 98.5 %' }),
  }),
  columns: [...PLACE_COLUMNS, { key: 'kind', header: 'tipo', kind: 'dim' },
    { key: 'offered', header: 'ofrecidas', kind: 'count' }, { key: 'answered', header: 'atendidas', kind: 'count' },
    { key: 'abandoned', header: 'abandonadas', kind: 'count' },
    { key: 'p50S', header: 'p50_s', kind: 'measure', basis: 'answered' }, { key: 'p90S', header: 'p90_s', kind: 'measure', basis: 'answered' },
    { key: 'p99S', header: 'p99_s', kind: 'measure', basis: 'answered' },
    { key: 'within60', header: 'en_60s', kind: 'measure', basis: 'offered' }, { key: 'within180', header: 'en_180s', kind: 'measure', basis: 'offered' },
    { key: 'meets60', header: 'cumple_97_5_60s', kind: 'measure', basis: 'offered' },
    { key: 'meets180', header: 'cumple_99_180s', kind: 'measure', basis: 'offered' },
    { key: 'meetsEurope60', header: 'cumple_europa_98_5_60s', kind: 'measure', basis: 'offered' }],
  async compute({ db }, f) {
    const rows = await reportsRepo(db).answerTimes(f);
    const centres = await centreNames(db, rows);
    const meets = (s: number | null, target: number) => (s === null ? null : s >= target);
    // one literal per row (a drill-down by province is more than a thousand): no Object.assign onto the place
    return rows.map((r) => {
      const p = placeOf(r, centres);
      const within60 = shareWithin(r.hist, 60, r.calls);
      const within180 = shareWithin(r.hist, 180, r.calls);
      return { period: p.period, province: p.province, provinceName: p.provinceName, municipality: p.municipality, centreId: p.centreId,
        centreName: p.centreName, kind: r.kind, offered: r.calls, answered: r.answered, abandoned: r.calls - r.answered,
        p50S: quantile(r.hist, 0.5), p90S: quantile(r.hist, 0.9), p99S: quantile(r.hist, 0.99),
        within60: within60 === null ? null : ratio(within60 * r.calls, r.calls), within180: within180 === null ? null : ratio(within180 * r.calls, r.calls),
        meets60: meets(within60, ANSWER_TARGETS[0].share), meets180: meets(within180, ANSWER_TARGETS[1].share),
        meetsEurope60: meets(within60, ANSWER_TARGETS[2].share) };
    });
  },
};
