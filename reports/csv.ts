import type { Column, Row } from './figure.ts';

/** Below this many, a count could point at a person: it leaves the centre as "<3". */
export const SMALL_CELL = 3;
export const SUPPRESSED = '<3';

const isSmall = (v: unknown) => typeof v === 'number' && v > 0 && v < SMALL_CELL;

/**
 * The cells of a row as they may leave the centre: a count of 1 or 2 becomes "<3", and so does a
 * measure computed over such a count (a rate or percentile of one or two people describes them).
 * `personal`: the row is about fewer than three usuarias, and every count and measure goes.
 */
export function suppress(columns: Column[], row: Row, personal = false): (string | number | boolean | null)[] {
  return columns.map((c) => {
    const v = row[c.key] ?? null;
    // a row about one or two people (disclosure.ts, isPersonal) leaves with none of its figures
    if (personal && c.kind !== 'dim') return SUPPRESSED;
    if (c.kind === 'count' && isSmall(v)) return SUPPRESSED;
    if (c.kind === 'measure' && c.basis && isSmall(row[c.basis])) return SUPPRESSED;
    return v;
  });
}

function cell(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = typeof v === 'boolean' ? (v ? 'sí' : 'no') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180 CSV, UTF-8 with a byte-order mark so spreadsheets read the accents. */
export function toCsv(headers: string[], rows: (string | number | boolean | null)[][]): string {
  return `\uFEFF${[headers.map(cell).join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n')}\r\n`;
}

/** A figure's table as CSV, with small cells suppressed, and whole rows for which `personal` says so. */
export function figureCsv(columns: Column[], rows: Row[], personal: (row: Row) => boolean = () => false): string {
  return toCsv(columns.map((c) => c.header), rows.map((r) => suppress(columns, r, personal(r))));
}

export function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
