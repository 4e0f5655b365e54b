import type { TSchema } from '@fastify/type-provider-typebox';
import type { Queryable } from '../store/db.ts';
import { reportsDirectRepo, type CentreName } from '../store/reports-direct.repo.ts';
import type { GeoRow, ReportFilter } from '../store/reports.repo.ts';

/** How a column is exported: dimensions as they are, counts and measures subject to small-cell suppression. */
export interface Column {
  key: string;
  /** Spanish header of the CSV column. */
  header: string;
  kind: 'dim' | 'count' | 'measure';
  /** For a measure: the count it is computed over; when that count is suppressed, so is the measure. */
  basis?: string;
}

export interface FigureContext { db: Queryable; now: Date; selftestPeriodHours: number }

export type Row = Record<string, string | number | boolean | null>;

/** One figure of the dashboard: a TypeBox row, its CSV columns, and how it is computed. */
export interface Figure {
  name: string;
  /** Spanish title, shown on the dashboard and in exports. */
  title: string;
  description: string;
  row: TSchema;
  columns: Column[];
  /** Whether the figure is taken at one moment (now) rather than over the date range. */
  snapshot?: boolean;
  /**
   * Whether its cells count usuarias themselves (the census): the small-cell rule then protects
   * each cell, and its exports are not weighed by the people of each row (disclosure.ts).
   */
  countsUsuarias?: boolean;
  compute(ctx: FigureContext, f: ReportFilter): Promise<Row[]>;
}

/** The names of the centres the rows mention, in one query. */
export async function centreNames(db: Queryable, rows: GeoRow[]): Promise<Map<string, CentreName>> {
  const ids = [...new Set(rows.map((r) => r.centre_id).filter((id): id is string => id !== null))];
  const centres = await reportsDirectRepo(db).centres({ ids });
  return new Map(centres.map((c) => [c.id, c]));
}

export const PLACE_COLUMNS: Column[] = [
  { key: 'period', header: 'periodo', kind: 'dim' },
  { key: 'province', header: 'provincia', kind: 'dim' },
  { key: 'provinceName', header: 'nombre_provincia', kind: 'dim' },
  { key: 'municipality', header: 'municipio', kind: 'dim' },
  { key: 'centreName', header: 'centro_servicios_sociales', kind: 'dim' },
];

export const ratio = (num: number, den: number): number | null => (den > 0 ? Math.round((num / den) * 10_000) / 10_000 : null);
