import { describe, expect, it } from 'vitest';
import {
  firstSlot, isInside, localDate, windowOn,
  type CallWindow, type Weekday, type Zone,
} from '../../dialer/index.ts';

const MAD: Zone = 'Europe/Madrid';
const CAN: Zone = 'Atlantic/Canary';
const ALL: Weekday[] = [1, 2, 3, 4, 5, 6, 7];
const win = (zone: Zone, from: string, to: string, weekdays: Weekday[] = ALL): CallWindow =>
  ({ zone, weekdays, from, to });
const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString().replace(':00.000Z', 'Z');

// 2026: Madrid and the Canaries change at 01:00 UTC on Sun 29 March and Sun 25 October;
// 2027: on Sun 28 March and Sun 31 October.
describe('windowOn', () => {
  it.each([
    ['Madrid, winter (CET)', win(MAD, '10:00', '12:00'), '2026-03-03', '2026-03-03T09:00Z', '2026-03-03T11:00Z'],
    ['Madrid, summer (CEST)', win(MAD, '10:00', '12:00'), '2026-06-02', '2026-06-02T08:00Z', '2026-06-02T10:00Z'],
    ['Canaries, winter (WET): an hour behind', win(CAN, '10:00', '12:00'), '2026-03-03', '2026-03-03T10:00Z', '2026-03-03T12:00Z'],
    ['Canaries, summer (WEST)', win(CAN, '10:00', '12:00'), '2026-06-02', '2026-06-02T09:00Z', '2026-06-02T11:00Z'],
    ['Madrid, spring day, window clear of the jump', win(MAD, '10:00', '12:00'), '2026-03-29', '2026-03-29T08:00Z', '2026-03-29T10:00Z'],
    ['Madrid, spring: 01:30-02:30 shortened to end at the jump', win(MAD, '01:30', '02:30'), '2026-03-29', '2026-03-29T00:30Z', '2026-03-29T01:00Z'],
    ['Madrid, spring: a skipped opening moves to the jump', win(MAD, '02:30', '03:30'), '2026-03-29', '2026-03-29T01:00Z', '2026-03-29T01:30Z'],
    ['Madrid, spring: 01:00-04:00 lasts two hours', win(MAD, '01:00', '04:00'), '2026-03-29', '2026-03-29T00:00Z', '2026-03-29T02:00Z'],
    ['Madrid, autumn: 01:30-02:30 from the first 01:30 to the last 02:30', win(MAD, '01:30', '02:30'), '2026-10-25', '2026-10-24T23:30Z', '2026-10-25T01:30Z'],
    ['Madrid, autumn: the repeated hour itself, once, two hours long', win(MAD, '02:00', '03:00'), '2026-10-25', '2026-10-25T00:00Z', '2026-10-25T02:00Z'],
    ['Madrid, autumn: inside the repeated hour', win(MAD, '02:15', '02:45'), '2026-10-25', '2026-10-25T00:15Z', '2026-10-25T01:45Z'],
    ['Madrid, autumn day, window clear of the change', win(MAD, '10:00', '12:00'), '2026-10-25', '2026-10-25T09:00Z', '2026-10-25T11:00Z'],
    ['Canaries, spring: 00:30-01:30 ends at its own jump', win(CAN, '00:30', '01:30'), '2026-03-29', '2026-03-29T00:30Z', '2026-03-29T01:00Z'],
    ['Canaries, autumn: repeated 01:00-02:00', win(CAN, '01:30', '02:30'), '2026-10-25', '2026-10-25T00:30Z', '2026-10-25T02:30Z'],
    ['Madrid, 2027 spring', win(MAD, '01:30', '02:30'), '2027-03-28', '2027-03-28T00:30Z', '2027-03-28T01:00Z'],
    ['Madrid, 2027 autumn', win(MAD, '02:00', '03:00'), '2027-10-31', '2027-10-31T00:00Z', '2027-10-31T02:00Z'],
  ])('%s', (_name, w, date, start, end) => {
    const slot = windowOn(w, date);
    expect(slot && { start: iso(slot.start), end: iso(slot.end) }).toEqual({ start, end });
  });

  it.each([
    ['a window inside the skipped hour (Madrid)', win(MAD, '02:00', '02:30'), '2026-03-29', {}],
    ['a window inside the skipped hour (Canaries)', win(CAN, '01:00', '01:45'), '2026-03-29', {}],
    ['a weekday she did not agree (Tuesdays only, on a Wednesday)', win(MAD, '10:00', '12:00', [2]), '2026-03-04', {}],
  ])('is null for %s', (_name, w, date, opts) => {
    expect(windowOn(w, date, opts)).toBeNull();
  });

  it.each([
    ['Tuesday only, on Tuesday', [2] as Weekday[], '2026-03-17', {}, true],
    ['Tuesday only, on Monday', [2] as Weekday[], '2026-03-16', {}, false],
    ['Tuesday only, on Wednesday, any weekday', [2] as Weekday[], '2026-03-18', { anyWeekday: true }, true],
    ['no day agreed ("en su caso"): every day', [] as Weekday[], '2026-03-21', {}, true],
  ])('weekdays: %s', (_name, weekdays, date, opts, open) => {
    expect(windowOn(win(MAD, '10:00', '12:00', weekdays), date, opts) !== null).toBe(open);
  });

  it.each([
    ['from equal to to', win(MAD, '10:00', '10:00')],
    ['crossing midnight', win(MAD, '22:00', '02:00')],
    ['24:00 is not a time of day', win(MAD, '20:00', '24:00')],
    ['missing leading zero', win(MAD, '9:00', '12:00')],
    ['weekday out of range', win(MAD, '10:00', '12:00', [8 as Weekday])],
  ])('throws on %s', (_name, w) => {
    expect(() => windowOn(w, '2026-03-03')).toThrow(RangeError);
  });

  it.each(['2026-02-30', '2026-3-3', 'tomorrow'])('throws on the date %s', (date) => {
    expect(() => windowOn(win(MAD, '10:00', '12:00'), date)).toThrow(RangeError);
  });
});

describe('firstSlot', () => {
  const tue = win(MAD, '10:00', '12:00', [2]);
  it.each([
    ['inside the window: from that instant', tue, '2026-03-17T10:30Z', {}, '2026-03-17T10:30Z', '2026-03-17T11:00Z'],
    ['before the window, same day: when it opens', tue, '2026-03-17T06:00Z', {}, '2026-03-17T09:00Z', '2026-03-17T11:00Z'],
    ['at the opening instant', tue, '2026-03-17T09:00Z', {}, '2026-03-17T09:00Z', '2026-03-17T11:00Z'],
    ['at the closing instant: next agreed day', tue, '2026-03-17T11:00Z', {}, '2026-03-24T09:00Z', '2026-03-24T11:00Z'],
    ['after the window: next Tuesday, now in summer time', tue, '2026-03-24T12:00Z', {}, '2026-03-31T08:00Z', '2026-03-31T10:00Z'],
    ['any weekday keeps the hours', tue, '2026-03-17T11:00Z', { anyWeekday: true }, '2026-03-18T09:00Z', '2026-03-18T11:00Z'],
    ['late evening UTC is already tomorrow in Madrid', win(MAD, '00:30', '01:00'), '2026-03-02T23:10Z', {}, '2026-03-02T23:30Z', '2026-03-03T00:00Z'],
    ['Canaries: an hour behind Madrid', win(CAN, '10:00', '12:00', [2]), '2026-03-17T09:30Z', {}, '2026-03-17T10:00Z', '2026-03-17T12:00Z'],
    ['spring Sunday: a window emptied by the jump is skipped, not moved', win(MAD, '02:00', '02:30', [7]), '2026-03-28T12:00Z', {}, '2026-04-05T00:00Z', '2026-04-05T00:30Z'],
    ['spring Sunday: a shortened window is kept', win(MAD, '01:30', '02:30', [7]), '2026-03-28T12:00Z', {}, '2026-03-29T00:30Z', '2026-03-29T01:00Z'],
    ['autumn Sunday: inside the second 02:15 is the same window', win(MAD, '02:00', '03:00', [7]), '2026-10-25T01:15Z', {}, '2026-10-25T01:15Z', '2026-10-25T02:00Z'],
  ])('%s', (_name, w, notBefore, opts, start, end) => {
    const slot = firstSlot(w, at(notBefore), opts);
    expect({ start: iso(slot.start), end: iso(slot.end) }).toEqual({ start, end });
  });

  it('throws on a window that closes before it opens', () => {
    expect(() => firstSlot(win(MAD, '12:00', '10:00'), at('2026-03-17T10:30Z'))).toThrow(RangeError);
  });
});

describe('isInside', () => {
  it.each([
    ['at the opening', win(MAD, '10:00', '12:00', [2]), '2026-03-17T09:00Z', true],
    ['just before the closing', win(MAD, '10:00', '12:00', [2]), '2026-03-17T10:59:59.999Z', true],
    ['at the closing (half-open)', win(MAD, '10:00', '12:00', [2]), '2026-03-17T11:00Z', false],
    ['right hours, wrong weekday', win(MAD, '10:00', '12:00', [2]), '2026-03-18T10:00Z', false],
    ['Canaries at 10:30 Madrid time (09:30 there)', win(CAN, '10:00', '12:00'), '2026-03-17T09:30Z', false],
    ['autumn: the first 02:30', win(MAD, '02:00', '03:00'), '2026-10-25T00:30Z', true],
    ['autumn: the second 02:30', win(MAD, '02:00', '03:00'), '2026-10-25T01:30Z', true],
    ['spring: just before the jump, 01:59 CET', win(MAD, '01:30', '02:30'), '2026-03-29T00:59Z', true],
    ['spring: the jump itself, 03:00 CEST', win(MAD, '01:30', '02:30'), '2026-03-29T01:00Z', false],
  ])('%s', (_name, w, instant, inside) => {
    expect(isInside(w, at(instant))).toBe(inside);
  });
});

describe('localDate', () => {
  it.each([
    ['2026-03-02T23:30Z', MAD, '2026-03-03'],
    ['2026-03-02T23:30Z', CAN, '2026-03-02'],
    ['2026-06-30T22:00Z', MAD, '2026-07-01'],
    ['2026-06-30T22:00Z', CAN, '2026-06-30'],
    ['2026-12-31T23:00Z', MAD, '2027-01-01'],
    ['2026-10-25T01:30Z', MAD, '2026-10-25'],
  ])('%s in %s is %s', (instant, zone, date) => {
    expect(localDate(at(instant), zone)).toBe(date);
  });
});
