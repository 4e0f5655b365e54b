import type { ReportFilter } from '../store/reports.repo.ts';
import { censusFigure } from './census.ts';
import { SMALL_CELL } from './csv.ts';
import type { Column, FigureContext, Row } from './figure.ts';

// a figure row's place (camel-case centreId; store's placeKey keys the repositories' rows)
const placeOfRow = (r: Row) => `${r.province}|${r.municipality}|${r.centreId ?? ''}`;

/**
 * How many usuarias a row of a figure describes, for the exports that leave the centre: those the
 * census counts as attended at its place in its period (for a figure taken at one moment, those
 * active at the end of the range). A count of calls can be large while the people behind it are
 * one or two: a municipality with a single usuaria would show her calls, however many, so such a
 * row leaves as "<3" whole (isPersonal). null: the row is not about usuarias (calls from numbers
 * nobody was identified by, counted without a place).
 */
export async function populationOf(ctx: FigureContext, f: ReportFilter): Promise<(row: Row) => number | null> {
  const census = await censusFigure.compute(ctx, f);
  const byPeriod = new Map<string, number>();
  const atEnd = new Map<string, number>();
  for (const r of census) {
    byPeriod.set(`${r.period}|${placeOfRow(r)}`, Number(r.attended));
    atEnd.set(placeOfRow(r), Number(r.activeAtEnd)); // periods come in order: the last one stays
  }
  return (row) => {
    const n = row.period === '' ? atEnd.get(placeOfRow(row)) : byPeriod.get(`${row.period}|${placeOfRow(row)}`);
    if (n !== undefined) return n;
    // every census row of a split level names its province: a row without one is unidentified callers
    return row.province === '' && f.by !== 'none' ? null : 0;
  };
}

/**
 * Whether a row, leaving the centre, could describe fewer than three people: its place had one or
 * two usuarias in it, or none but something was counted there (she has moved away since).
 */
export function isPersonal(columns: Column[], row: Row, population: number | null): boolean {
  if (population === null || population >= SMALL_CELL) return false;
  return population > 0 || columns.some((c) => c.kind !== 'dim' && row[c.key] !== 0 && row[c.key] !== null);
}
