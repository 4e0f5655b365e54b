import { describe, expect, it } from 'vitest';
import { deliveryState } from '../../cases/delivery-tests.ts';
import {
  controlDueAt, controlSlot, missedPeriods, plusMonths, testCallDeadline, verdictOf, type ControlHistory,
} from '../../dialer/control/rules.ts';
import type { CallWindow } from '../../dialer/index.ts';
import type { DeliveryTest } from '../../store/technical.repo.ts';

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
// 2027: 2 March is a Tuesday; Madrid moves to summer time on Sunday 28 March
const tuesdays: CallWindow = { zone: 'Europe/Madrid', weekdays: [2], from: '10:00', to: '12:00' };

describe('missedPeriods (self-test supervision)', () => {
  const since = at('2027-03-01T08:00:00Z');
  it.each([
    ['before the period ends', 23.99, 0],
    ['exactly one period late', 24, 1],
    ['still in the first missed period', 47.9, 1],
    ['the second missed period', 48, 2],
    ['ten days without a self-test', 240, 10],
    ['a clock behind the self-test', -2, 0],
  ])('%s', (_name, hours, expected) => {
    expect(missedPeriods(since, 24, new Date(since.getTime() + hours * HOUR))).toBe(expected);
  });

  it('counts in the model’s own period', () => {
    expect(missedPeriods(since, 48, new Date(since.getTime() + 47 * HOUR))).toBe(0);
    expect(missedPeriods(since, 6, new Date(since.getTime() + 13 * HOUR))).toBe(2);
  });

  it('refuses a period that is not a whole, positive number of hours', () => {
    expect(() => missedPeriods(since, 0, since)).toThrow(RangeError);
    expect(() => missedPeriods(since, 1.5, since)).toThrow(RangeError);
  });
});

describe('control-call period', () => {
  it.each([
    ['three months', '2027-01-15T10:00:00Z', 3, '2027-04-15T09:00:00.000Z'], // her clock: 11:00 both times (CET -> CEST)
    ['clamped to the month end', '2026-11-30T11:00:00Z', 3, '2027-02-28T11:00:00.000Z'],
    ['31 May + 3 months', '2027-05-31T10:00:00Z', 3, '2027-08-31T10:00:00.000Z'],
  ])('plusMonths: %s', (_name, from, months, expected) => {
    expect(plusMonths(at(from), months).toISOString()).toBe(expected);
  });

  const history = (over: Partial<ControlHistory> = {}): ControlHistory =>
    ({ owedFor: null, lastControlAt: null, inServiceSince: at('2026-11-23T19:00:00Z'), lastUnsuccessfulAt: null, ...over });

  it('is due one period after delivery when she never had one', () => {
    expect(controlDueAt(history(), 3, 7).toISOString()).toBe('2027-02-23T19:00:00.000Z');
  });

  it('counts from the last successful control call', () => {
    expect(controlDueAt(history({ lastControlAt: at('2027-02-02T10:05:00Z') }), 3, 7).toISOString()).toBe('2027-05-02T09:05:00.000Z');
  });

  it('is due at once after a repair or a replacement', () => {
    const now = at('2026-12-01T10:00:00Z');
    expect(controlDueAt(history({ owedFor: 'repair' }), 3, 7) <= now).toBe(true);
    expect(controlDueAt(history({ owedFor: 'replacement', lastControlAt: at('2026-11-30T10:00:00Z') }), 3, 7) <= now).toBe(true);
  });

  it('waits the retry days after a control call that could not be done, even when one is owed', () => {
    const failed = at('2027-03-02T10:30:00Z');
    expect(controlDueAt(history({ owedFor: 'repair', lastUnsuccessfulAt: failed }), 3, 7).toISOString()).toBe('2027-03-09T10:30:00.000Z');
    // a period that runs out later than the wait is not moved
    expect(controlDueAt(history({ lastControlAt: at('2027-01-02T10:00:00Z'), lastUnsuccessfulAt: at('2027-01-03T10:00:00Z') }), 3, 7)
      .toISOString()).toBe('2027-04-02T09:00:00.000Z');
  });

  it('refuses a period of no months', () => {
    expect(() => controlDueAt(history(), 0, 7)).toThrow(RangeError);
  });
});

describe('controlSlot (her agreed window, outside absences)', () => {
  it('is the rest of her window when it is open now', () => {
    const s = controlSlot(tuesdays, [], at('2027-03-02T09:30:00Z'));
    expect([s.plannedOn, s.notBefore.toISOString(), s.notAfter.toISOString()])
      .toEqual(['2027-03-02', '2027-03-02T09:30:00.000Z', '2027-03-02T11:00:00.000Z']);
  });

  it('is her next agreed day otherwise, across the change to summer time', () => {
    const s = controlSlot(tuesdays, [], at('2027-03-24T12:00:00Z'));
    expect([s.plannedOn, s.notBefore.toISOString()]).toEqual(['2027-03-30', '2027-03-30T08:00:00.000Z']);
  });

  it('steps over the absences she reported', () => {
    const s = controlSlot(tuesdays, [{ startsOn: '2027-03-01', endsOn: '2027-03-10' }, { startsOn: '2027-03-16', endsOn: '2027-03-16' }],
      at('2027-03-02T09:30:00Z'));
    expect(s.plannedOn).toBe('2027-03-23');
  });

  it('keeps the Canaries’ own hours', () => {
    const s = controlSlot({ ...tuesdays, zone: 'Atlantic/Canary' }, [], at('2027-03-02T09:30:00Z'));
    expect(s.notBefore.toISOString()).toBe('2027-03-02T10:00:00.000Z');
  });
});

describe('the control flow and its test call', () => {
  it('gives her terminal N minutes from her confirmation', () => {
    expect(testCallDeadline(at('2027-03-02T09:31:00Z'), 10).toISOString()).toBe('2027-03-02T09:41:00.000Z');
  });

  it.each([
    ['confirmed', 'confirmed'], ['emergency', 'emergency'], ['not_confirmed', 'no_contact'], ['hangup', 'no_contact'],
    ['no_flow_outcome', 'no_contact'],
  ])('reads the outcome %s as %s', (outcome, verdict) => {
    expect(verdictOf(outcome)).toBe(verdict);
  });
});

describe('deliveryState (§10.1 D: the alta is complete once both test calls succeeded)', () => {
  const test = (kind: DeliveryTest['kind'], result: DeliveryTest['result'], iso: string, source: DeliveryTest['source'] = 'operator'): DeliveryTest =>
    ({ kind, result, at: at(iso), source });

  it('is pending with no test at all', () => {
    expect(deliveryState('t1', [])).toEqual({ terminalId: 't1', complete: false,
      reception: { status: 'pending', at: null, source: null }, emission: { status: 'pending', at: null, source: null } });
  });

  it('is incomplete while one kind has only failed or is missing', () => {
    expect(deliveryState('t1', [test('reception', 'ok', '2026-11-05T10:00:00Z')]).complete).toBe(false);
    const s = deliveryState('t1', [test('reception', 'ok', '2026-11-05T10:00:00Z'), test('emission', 'failed', '2026-11-05T10:05:00Z')]);
    expect(s.complete).toBe(false);
    expect(s.emission).toEqual({ status: 'failed', at: '2026-11-05T10:05:00.000Z', source: 'operator' });
  });

  it('is complete once both have succeeded, whatever failed before or after', () => {
    const s = deliveryState('t1', [
      test('emission', 'failed', '2026-11-05T10:01:00Z'), test('emission', 'ok', '2026-11-05T10:02:00Z', 'automatic'),
      test('reception', 'ok', '2026-11-05T10:00:00Z'), test('reception', 'failed', '2026-11-06T10:00:00Z'),
    ]);
    expect(s.complete).toBe(true);
    expect(s.reception).toEqual({ status: 'ok', at: '2026-11-05T10:00:00.000Z', source: 'operator' });
    expect(s.emission).toEqual({ status: 'ok', at: '2026-11-05T10:02:00.000Z', source: 'automatic' });
  });

  it('is never complete without a terminal', () => {
    expect(deliveryState(null, []).complete).toBe(false);
  });
});
