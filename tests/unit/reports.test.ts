import { describe, expect, it } from 'vitest';
import { figureCsv, suppress, toCsv } from '../../reports/csv.ts';
import type { Column } from '../../reports/figure.ts';
import { monthRange, periods, truncate } from '../../reports/filters.ts';
import { quantile, shareWithin, upperBound } from '../../reports/histogram.ts';
import { geoLevel, HIST_BUCKETS, histAdd, monthParts, wholeMonthsWithin } from '../../store/reports.repo.ts';

const hist = (answers: Record<number, number>) => {
  const h = new Array<number>(HIST_BUCKETS).fill(0);
  for (const [bucket, n] of Object.entries(answers)) h[Number(bucket) - 1] = n;
  return h;
};

describe('answer-time histogram', () => {
  it('buckets are one second up to 60 s, five seconds up to 180 s, then open', () => {
    expect([upperBound(1), upperBound(60), upperBound(61), upperBound(84), upperBound(85)]).toEqual([1, 60, 65, 180, null]);
  });

  it('quantiles are the upper bound of the bucket that holds the rank', () => {
    const h = hist({ 5: 50, 20: 40, 62: 9, 85: 1 }); // 100 answers
    expect([quantile(h, 0.5), quantile(h, 0.9), quantile(h, 0.99), quantile(h, 1)]).toEqual([5, 20, 70, null]);
    expect(quantile(hist({}), 0.5)).toBeNull();
  });

  it('shares count abandoned calls as not answered in time', () => {
    const h = hist({ 60: 97, 61: 1, 84: 1 }); // 99 answered, 1 abandoned
    expect(shareWithin(h, 60, 100)).toBe(0.97);
    expect(shareWithin(h, 180, 100)).toBe(0.99);
    expect(shareWithin(h, 60, 0)).toBeNull();
  });
});

describe('small-cell suppression and CSV', () => {
  const columns: Column[] = [{ key: 'place', header: 'lugar', kind: 'dim' }, { key: 'n', header: 'n', kind: 'count' },
    { key: 'rate', header: 'tasa', kind: 'measure', basis: 'n' }];

  it('counts of 1 and 2, and measures over them, leave the centre as "<3"; 0 and 3 stay', () => {
    expect([0, 1, 2, 3].map((n) => suppress(columns, { place: 'x', n, rate: 0.5 }))).toEqual([
      ['x', 0, 0.5], ['x', '<3', '<3'], ['x', '<3', '<3'], ['x', 3, 0.5]]);
  });

  it('quotes what needs quoting, with a BOM and CRLF', () => {
    expect(toCsv(['a', 'b'], [['Valencia/València', 'dice "sí", no'], [null, true]]))
      .toBe('\uFEFFa,b\r\nValencia/València,"dice ""sí"", no"\r\n,sí\r\n');
    expect(figureCsv(columns, [{ place: 'Madrid', n: 2, rate: 1 }])).toBe('\uFEFFlugar,n,tasa\r\nMadrid,<3,<3\r\n');
  });
});

describe('periods and levels', () => {
  it('weeks start on Monday, months on the 1st; every period meeting the range is listed', () => {
    expect(truncate('2026-03-01', 'week')).toBe('2026-02-23');
    expect(periods('2026-03-01', '2026-03-10', 'week')).toEqual(['2026-02-23', '2026-03-02', '2026-03-09']);
    expect(periods('2026-01-31', '2026-03-01', 'month')).toEqual(['2026-01-01', '2026-02-01', '2026-03-01']);
    expect(periods('2026-03-28', '2026-03-30', 'day')).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(monthRange('2028-02')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
  });

  it('finds the whole months inside a range, read by month from the province-by-month rollup', () => {
    expect(wholeMonthsWithin('2025-11-24', '2026-11-23')).toEqual({ first: '2025-12-01', last: '2026-10-31' });
    expect(wholeMonthsWithin('2026-01-01', '2026-02-28')).toEqual({ first: '2026-01-01', last: '2026-02-28' });
    expect(wholeMonthsWithin('2028-01-31', '2028-02-29')).toEqual({ first: '2028-02-01', last: '2028-02-29' });
    expect(wholeMonthsWithin('2026-03-05', '2026-04-29')).toBeNull();
    expect(wholeMonthsWithin('2026-03-02', '2026-03-31')).toBeNull();
  });

  it('splits a range by month: whole months, the days at its edges, and the last month either way', () => {
    const days = (from: string, to: string, gate?: 'unsettled') => ({ monthly: false, from, to, ...(gate && { gate }) });
    const months = (from: string, to: string, gate?: 'settled') => ({ monthly: true, from, to, ...(gate && { gate }) });
    // the dashboard's default: twelve months to date
    expect(monthParts('2025-12-01', '2026-11-24')).toEqual([months('2025-12-01', '2026-10-31'), months('2026-11-01', '2026-11-01', 'settled'),
      days('2026-11-01', '2026-11-24', 'unsettled')]);
    expect(monthParts('2025-11-25', '2026-11-24')).toEqual([days('2025-11-25', '2025-11-30'), months('2025-12-01', '2026-10-31'),
      months('2026-11-01', '2026-11-01', 'settled'), days('2026-11-01', '2026-11-24', 'unsettled')]);
    expect(monthParts('2026-01-01', '2026-02-28')).toEqual([months('2026-01-01', '2026-02-28')]);
    expect(monthParts('2026-01-15', '2026-02-28')).toEqual([days('2026-01-15', '2026-01-31'), months('2026-02-01', '2026-02-28')]);
    expect(monthParts('2026-03-01', '2026-03-15')).toEqual([months('2026-03-01', '2026-03-01', 'settled'), days('2026-03-01', '2026-03-15', 'unsettled')]);
    expect(monthParts('2026-02-20', '2026-03-15')).toEqual([days('2026-02-20', '2026-02-28'), months('2026-03-01', '2026-03-01', 'settled'),
      days('2026-03-01', '2026-03-15', 'unsettled')]);
    expect(monthParts('2026-03-05', '2026-03-20')).toEqual([days('2026-03-05', '2026-03-20')]);
  });

  it("adds a histogram sent as the text of PostgreSQL's integer array, bucket by bucket, and refuses any other", () => {
    const into = [1, 1, 1];
    histAdd(into, '{5,0,-2}');
    expect(into).toEqual([6, 1, -1]);
    histAdd(into, '{10,203,0}');
    expect(into).toEqual([16, 204, -1]);
    expect(() => histAdd([0, 0, 0], '{5,0}')).toThrow(/2 buckets, expected 3/);
    expect(() => histAdd([0, 0, 0], '{5,0,1,2}')).toThrow(/4 buckets, expected 3/);
    expect(() => histAdd([0, 0, 0], '{5,NULL,1}')).toThrow(/unexpected N/);
    expect(() => histAdd([0, 0, 0], '\\x0000')).toThrow(/not an array/);
  });

  it('reads the coarsest rollup level the filters allow', () => {
    expect(geoLevel({ by: 'none' })).toBe(0);
    expect(geoLevel({ by: 'none', province: '28' })).toBe(1);
    expect(geoLevel({ by: 'province' })).toBe(1);
    expect(geoLevel({ by: 'municipality', province: '28' })).toBe(2);
    expect(geoLevel({ by: 'none', centreId: 'c' })).toBe(2);
    const year = { from: '2026-01-01', to: '2026-12-31' };
    expect(geoLevel({ ...year, by: 'province', grain: 'month' })).toBe(3); // the province-month rollup
    expect(geoLevel({ ...year, by: 'province', grain: 'week' })).toBe(1);
    expect(geoLevel({ from: '2026-01-15', to: '2026-12-31', by: 'province', grain: 'month' })).toBe(1); // a part of a month
    expect(geoLevel({ from: '2026-02-01', to: '2026-02-28', province: '28', grain: 'month' })).toBe(3);
    expect(geoLevel({ ...year, by: 'none', grain: 'month' })).toBe(5); // the whole-service-month rollup
    expect(geoLevel({ ...year, by: 'none', grain: 'day' })).toBe(0);
    expect(geoLevel({ ...year, by: 'municipality', province: '28', grain: 'month' })).toBe(4); // the municipality-month rollup
    expect(geoLevel({ ...year, by: 'none', centreId: 'c', grain: 'month' })).toBe(4);
    expect(geoLevel({ ...year, by: 'centre', grain: 'day' })).toBe(2);
    expect(geoLevel({ from: '2026-01-01', to: '2026-12-07', by: 'municipality', grain: 'month' })).toBe(2); // read in month parts
  });
});
