import { Type, type Static } from '@fastify/type-provider-typebox';
import { invalid } from '../common/errors.ts';
import { province as provinceOf } from '../common/provinces.ts';
import type { CentreName } from '../store/reports-direct.repo.ts';
import type { GeoRow, Grain, ReportFilter } from '../store/reports.repo.ts';

export { byKey, inKeyOrder, placeKey } from '../store/reports.repo.ts';

const IsoDate = Type.String({ format: 'date', description: 'YYYY-MM-DD' });

/** The filters every figure takes (querystring). */
export const FilterQuery = Type.Object({
  from: IsoDate,
  to: IsoDate,
  province: Type.Optional(Type.String({ pattern: '^[0-9]{2}$', description: 'INE province code' })),
  municipality: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'her municipality of residence' })),
  centre: Type.Optional(Type.String({ format: 'uuid', description: 'social services centre id' })),
  grain: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { default: 'month',
    description: 'period of each row; weeks start on Monday' }),
  by: Type.Union([Type.Literal('none'), Type.Literal('province'), Type.Literal('municipality'), Type.Literal('centre')],
    { default: 'none', description: 'drill-down: one row per province, municipality or centre' }),
}, { additionalProperties: false });
export type FilterQuery = Static<typeof FilterQuery>;

/** Longest range one request may ask for: ten years of days is already 3,650 rows per place. */
const MAX_DAYS = 3660;
const DAY = 86_400_000;

export function toFilter(q: FilterQuery): ReportFilter {
  if (q.from > q.to) throw invalid('La fecha inicial es posterior a la final.', { from: q.from, to: q.to });
  if ((Date.parse(q.to) - Date.parse(q.from)) / DAY > MAX_DAYS) throw invalid('El periodo no puede superar diez años.');
  if (q.province && !provinceOf(q.province)) throw invalid('Provincia desconocida.', { province: q.province });
  // the drill-down goes province, then municipality, then centre: a national table of every centre is not one of its steps
  if ((q.by === 'municipality' || q.by === 'centre') && !q.province && !q.municipality && !q.centre) {
    throw invalid('Elija una provincia para desglosar por municipio o centro.', { by: q.by });
  }
  return { from: q.from, to: q.to, province: q.province, municipality: q.municipality, centreId: q.centre,
    grain: q.grain ?? 'month', by: q.by ?? 'none' };
}

/** The fields that say where and when a row counts, the same in every figure. */
export const PlaceFields = {
  period: Type.String({ description: 'first day of the period (YYYY-MM-DD); empty for figures taken at one moment' }),
  province: Type.String({ description: "INE code; '' when not split by province or the caller was not identified" }),
  provinceName: Type.Union([Type.String(), Type.Null()]),
  municipality: Type.String({ description: "'' when not split by municipality" }),
  centreId: Type.Union([Type.String(), Type.Null()]),
  centreName: Type.Union([Type.String(), Type.Null()]),
};
// a type, not an interface: a figure's rows are Records (figure.ts, Row)
export type Place = { period: string; province: string; provinceName: string | null; municipality: string;
  centreId: string | null; centreName: string | null };

export function placeOf(r: GeoRow, centres: Map<string, CentreName>): Place {
  return { period: r.period ?? '', province: r.province, provinceName: r.province ? provinceOf(r.province)?.name ?? null : null,
    municipality: r.municipality, centreId: r.centre_id, centreName: r.centre_id ? centres.get(r.centre_id)?.name ?? null : null };
}

/**
 * A figure's row: its place, then its own fields. Assigned onto the place, never spread into a new
 * literal: a drill-down is thousands of rows, and a spread per row cost more than the query.
 */
export function placed<T extends object>(r: GeoRow, centres: Map<string, CentreName>, fields: T): Place & T {
  return Object.assign(placeOf(r, centres), fields);
}

/** First day of every period that meets [from, to], in order (ISO weeks start on Monday). */
export function periods(from: string, to: string, grain: Grain): string[] {
  const out: string[] = [];
  let d = truncate(from, grain);
  while (d <= to) {
    out.push(d);
    d = next(d, grain);
  }
  return out;
}

export function truncate(date: string, grain: Grain): string {
  const t = new Date(`${date}T00:00:00Z`);
  if (grain === 'month') t.setUTCDate(1);
  if (grain === 'week') t.setUTCDate(t.getUTCDate() - ((t.getUTCDay() + 6) % 7));
  return t.toISOString().slice(0, 10);
}

function next(date: string, grain: Grain): string {
  const t = new Date(`${date}T00:00:00Z`);
  if (grain === 'month') t.setUTCMonth(t.getUTCMonth() + 1);
  else t.setUTCDate(t.getUTCDate() + (grain === 'week' ? 7 : 1));
  return t.toISOString().slice(0, 10);
}

/** The first and last day of a month given as YYYY-MM. */
export function monthRange(month: string): { from: string; to: string } {
  const from = `${month}-01`;
  const end = new Date(`${from}T00:00:00Z`);
  end.setUTCMonth(end.getUTCMonth() + 1);
  end.setUTCDate(0);
  return { from, to: end.toISOString().slice(0, 10) };
}
