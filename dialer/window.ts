// Her agreed call window (§10.1 B: "el tramo horario y, en su caso, el día o días de la semana"),
// turned into absolute instants. Pure: no I/O, no clock; the zone comes with the window.
//
// DST semantics, chosen so that a change of time never moves or drops a call:
// - A local time the clocks skip (spring forward: 02:30 in Madrid on the last Sunday of March)
//   stands for the first instant that exists after it, the jump itself. A window 01:30-02:30 on
//   that day therefore runs 01:30-02:00 by the old clock (it ends at the jump): shortened, not
//   moved. Only a window lying wholly inside the skipped hour (02:00-02:30) is empty: null.
// - A local time the clocks show twice (autumn: 02:00-03:00 in Madrid) opens the window at its
//   first occurrence and closes it at its last, so the window is one instance that lasts an hour
//   longer in absolute time; it is never placed twice.
import { IANAZone } from 'luxon';
import type { Zone } from '../common/provinces.ts';

export type { Zone };

export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;              // ISO, 1 = Monday (Luxon's weekday)

export interface CallWindow { zone: Zone; weekdays: Weekday[]; from: string /* HH:MM */; to: string /* HH:MM */ }

export interface Slot { start: Date; end: Date }                // absolute instants

export interface WindowOptions {
  /** Ignore her agreed weekdays, keep the hours (post-emergency follow-ups). */
  anyWeekday?: boolean;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
// "up to ~2 years": long enough to step over any absence the service would tolerate
const SEARCH_DAYS = 800;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const YYYY_MM_DD = /^(\d{4})-(\d{2})-(\d{2})$/;

// ---- calendar dates (YYYY-MM-DD, zone-free), shared with rules.ts ----

/** Midnight UTC of a calendar date: its "wall clock" origin, checked to be a real date. */
export function dateOrigin(date: string): number {
  const known = origins.get(date);
  if (known !== undefined) return known;
  const m = YYYY_MM_DD.exec(date);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`not a calendar date (YYYY-MM-DD): ${date}`);
  }
  remember(origins, date, ms);
  return ms;
}

export function addDays(date: string, days: number): string {
  return isoDate(dateOrigin(date) + days * DAY);
}

export function weekdayOf(date: string): Weekday {
  return (((new Date(dateOrigin(date)).getUTCDay() + 6) % 7) + 1) as Weekday;
}

function isoDate(ms: number): string {
  const day = Math.floor(ms / DAY);
  let date = dates.get(day);
  if (date === undefined) remember(dates, day, date = new Date(day * DAY).toISOString().slice(0, 10));
  return date;
}

// ---- memos: planning asks these thousands of times for the same few dates and hours ----

const MEMO_LIMIT = 50_000;
const origins = new Map<string, number>();
const minutes = new Map<string, number>();
const dates = new Map<number, string>();
/** Per zone: hour number -> the offset throughout that hour, or NaN when a change falls inside it. */
const hourOffsets = new Map<Zone, Map<number, number>>();

/** Pure functions of their key, so forgetting everything when full only costs time. */
function remember<K, V>(memo: Map<K, V>, key: K, value: V): void {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
}

// ---- the window itself ----

function minutesOf(hhmm: string): number {
  const known = minutes.get(hhmm);
  if (known !== undefined) return known;
  const m = HH_MM.exec(hhmm);
  if (!m) throw new RangeError(`not a time of day (HH:MM): ${hhmm}`);
  remember(minutes, hhmm, Number(m[1]) * 60 + Number(m[2]));
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Throws unless from < to (windows never cross midnight) and every weekday is 1-7. */
export function assertWindow(w: CallWindow): void {
  if (minutesOf(w.from) >= minutesOf(w.to)) {
    throw new RangeError(`call window must open before it closes on the same day: ${w.from}-${w.to}`);
  }
  for (const d of w.weekdays) {
    if (!Number.isInteger(d) || d < 1 || d > 7) throw new RangeError(`not an ISO weekday: ${d}`);
  }
}

/**
 * Whether she agreed to calls on this weekday. An empty list means no day was agreed, and the
 * protocol makes days optional ("en su caso"), so then every day is good.
 */
export function isAgreedDay(w: CallWindow, date: string): boolean {
  return w.weekdays.length === 0 || w.weekdays.includes(weekdayOf(date));
}

// ---- wall clock <-> instants ----

function zoneOffset(zone: Zone, ms: number): number {
  return IANAZone.create(zone).offset(ms) * MINUTE;
}

/**
 * Her offset at an instant. Luxon asks Intl for every one (microseconds each), so an hour whose
 * first and last millisecond share an offset is remembered as having that offset throughout: the
 * zone database never changes a zone's offset twice within one hour. An hour with a change in it
 * is always asked again.
 */
function offsetAt(zone: Zone, ms: number): number {
  let memo = hourOffsets.get(zone);
  if (!memo) hourOffsets.set(zone, memo = new Map());
  const hour = Math.floor(ms / HOUR);
  let offset = memo.get(hour);
  if (offset === undefined) {
    const first = zoneOffset(zone, hour * HOUR);
    offset = first === zoneOffset(zone, (hour + 1) * HOUR - 1) ? first : NaN;
    remember(memo, hour, offset);
  }
  return Number.isNaN(offset) ? zoneOffset(zone, ms) : offset;
}

/** Her offsets before and after a calendar date: they differ only on the two change days a year. */
function offsetsAround(zone: Zone, origin: number): [number, number] {
  return [offsetAt(zone, origin - DAY), offsetAt(zone, origin + 2 * DAY)];
}

/** Every instant at which her clocks show `wall` (a local time coded as UTC ms): 0, 1 or 2. */
function occurrences(zone: Zone, wall: number, [before, after]: [number, number]): number[] {
  if (before === after) return [wall - before];
  return [wall - after, wall - before].filter((t) => wall - offsetAt(zone, t) === t).sort((a, b) => a - b);
}

/** The instant the clocks jump over a skipped `wall`: the first one that exists after it. */
function jumpOver(zone: Zone, wall: number, [before, after]: [number, number]): number {
  let lo = wall - after;                                       // still on the old offset
  let hi = wall - before;                                      // already on the new one
  while (hi - lo > MINUTE) {                                   // changes fall on whole minutes
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (offsetAt(zone, mid) === after) hi = mid; else lo = mid;
  }
  return hi;
}

// ---- public API ----

/** YYYY-MM-DD in her zone. */
export function localDate(at: Date, zone: Zone): string {
  const ms = at.getTime();
  return isoDate(ms + offsetAt(zone, ms));
}

/** Her window on one calendar date of her zone (YYYY-MM-DD), or null when that weekday is not agreed (unless anyWeekday) or a DST change leaves it empty. */
export function windowOn(w: CallWindow, date: string, opts: WindowOptions = {}): Slot | null {
  assertWindow(w);
  const origin = dateOrigin(date);
  if (!opts.anyWeekday && !isAgreedDay(w, date)) return null;
  const offsets = offsetsAround(w.zone, origin);
  const opens = origin + minutesOf(w.from) * MINUTE;
  const closes = origin + minutesOf(w.to) * MINUTE;
  // from the first `from` to the last `to`, a skipped one standing for the jump (header)
  const start = occurrences(w.zone, opens, offsets)[0] ?? jumpOver(w.zone, opens, offsets);
  const end = occurrences(w.zone, closes, offsets).at(-1) ?? jumpOver(w.zone, closes, offsets);
  return start < end ? { start: new Date(start), end: new Date(end) } : null;
}

/** The first instant at or after `notBefore` inside her window, and the end of that window instance. If notBefore is inside a window, start = notBefore. Searches forward up to ~2 years; throws if none. */
export function firstSlot(w: CallWindow, notBefore: Date, opts: WindowOptions = {}): Slot {
  // windows never cross midnight, so none that is still open began on an earlier local date
  let date = localDate(notBefore, w.zone);
  for (let i = 0; i < SEARCH_DAYS; i++, date = addDays(date, 1)) {
    const slot = windowOn(w, date, opts);
    if (slot && slot.end > notBefore) {
      return { start: slot.start > notBefore ? slot.start : new Date(notBefore), end: slot.end };
    }
  }
  throw new RangeError(`no call window within ${SEARCH_DAYS} days of ${notBefore.toISOString()}`);
}

/** Windows are half-open: her window includes its opening instant, not its closing one. */
export function isInside(w: CallWindow, at: Date, opts: WindowOptions = {}): boolean {
  const slot = windowOn(w, localDate(at, w.zone), opts);
  return slot !== null && slot.start <= at && at < slot.end;
}
