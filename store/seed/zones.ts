/**
 * Local time in the two zones the service knows, by integer arithmetic: a year of calls for 100k
 * usuarias asks millions of these questions, and Luxon would be most of the seeder's time. The
 * EU rule (summer time from the last Sunday of March to the last Sunday of October, both at 01:00
 * UTC) is the one both Europe/Madrid and Atlantic/Canary have kept since 1996.
 */
import { dayNumber } from './dates.ts';

export type SeedZone = 'Europe/Madrid' | 'Atlantic/Canary';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Day number of the last Sunday of a month (month 1-12). */
function lastSunday(year: number, month: number): number {
  const nextMonth = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
  const last = dayNumber(nextMonth) - 1;
  return last - ((isoWeekday(last) % 7));
}

const summerCache = new Map<number, readonly [number, number]>();

/** [start, end) of summer time in a year, as epoch ms. */
function summer(year: number): readonly [number, number] {
  let s = summerCache.get(year);
  if (!s) {
    s = [lastSunday(year, 3) * DAY_MS + HOUR_MS, lastSunday(year, 10) * DAY_MS + HOUR_MS];
    summerCache.set(year, s);
  }
  return s;
}

const standardOffset = (zone: SeedZone): number => (zone === 'Atlantic/Canary' ? 0 : HOUR_MS);

/** Offset from UTC (ms) in `zone` at the instant `utcMs`. */
export function offsetAt(zone: SeedZone, utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  const [from, to] = summer(year);
  return standardOffset(zone) + (utcMs >= from && utcMs < to ? HOUR_MS : 0);
}

/** ISO weekday (1 Monday .. 7 Sunday) of a day number. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** The local day number in `zone` of an instant. */
export function localDay(zone: SeedZone, utcMs: number): number {
  return Math.floor((utcMs + offsetAt(zone, utcMs)) / DAY_MS);
}

/**
 * The instant of a local wall-clock time (`minute` since local midnight of `day`). Only called
 * for times inside call windows (09:00-19:00), which no summer-time change ever touches.
 */
export function instantOf(zone: SeedZone, day: number, minute: number): number {
  const local = day * DAY_MS + minute * 60_000;
  const guess = local - standardOffset(zone);
  return local - offsetAt(zone, guess);
}

/** Minutes since midnight of "HH:MM". */
export function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}
