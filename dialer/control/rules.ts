// Technical control (§10.1 D) as pure functions of their inputs: when a self-test is late, when a
// control call is due, where it goes in her window, how long her test call may take.
import { DateTime } from 'luxon';
import { inAbsence, type Absence } from '../rules.ts';
import { firstSlot, localDate, type CallWindow } from '../window.ts';

export interface ControlConfig {
  /** Minutes her terminal's test call may take after she confirms on a control call (CONTROL_TESTCALL_MINUTES). */
  testCallMinutes: number;
  /** Self-test period of a model with no row of its own (SELFTEST_PERIOD_HOURS). DECISION: 24 h. */
  selftestPeriodHours: number;
  /** Control-call period of a model with no row of its own (CONTROL_PERIOD_MONTHS). DECISION: 3 months. */
  controlPeriodMonths: number;
  /** After a control call that could not be done (no answer, no test call), the next one waits this long (CONTROL_RETRY_DAYS). */
  retryDays: number;
}

export const DEFAULT_CONTROL_CONFIG: ControlConfig = { testCallMinutes: 10, selftestPeriodHours: 24, controlPeriodMonths: 3, retryDays: 7 };

/** What the IVR's control flow reports, as the dialer reads it. */
export type FlowVerdict = 'confirmed' | 'emergency' | 'no_contact';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SEARCH_SLOTS = 800;
/** The zone periods in months are counted in (a month end in Madrid is a month end in the Canaries too, give or take an hour). */
const PERIOD_ZONE = 'Europe/Madrid';

/**
 * How many whole self-test periods have gone by since the last self-test (or since the terminal
 * came into service): 0 while it is on time, 1 during the first period missed, 2 during the next.
 * One incident is owed per terminal per missed period, so this number is part of its key.
 */
export function missedPeriods(since: Date, periodHours: number, now: Date): number {
  if (!Number.isInteger(periodHours) || periodHours < 1) throw new RangeError(`a self-test period is a whole number of hours, got ${periodHours}`);
  const elapsed = now.getTime() - since.getTime();
  return elapsed < 0 ? 0 : Math.floor(elapsed / (periodHours * HOUR));
}

/** `at` plus `months` calendar months, clamped to the month's end (31 May + 3 months = 31 August; 30 Nov + 3 = 28/29 Feb). */
export function plusMonths(at: Date, months: number): Date {
  return DateTime.fromJSDate(at, { zone: PERIOD_ZONE }).plus({ months }).toJSDate();
}

export interface ControlHistory {
  /** A repair or a replacement since her last successful control call: one is owed at once. */
  owedFor: 'repair' | 'replacement' | null;
  /** Her terminal's test call in the last successful control call. */
  lastControlAt: Date | null;
  /** When this terminal came into service (delivery, return from repair). */
  inServiceSince: Date;
  /** The last control call since then that could not be done (no answer, no test call, skipped). */
  lastUnsuccessfulAt: Date | null;
}

/**
 * When her next control call is due (DECISION: every `periodMonths` from the last successful one or
 * from delivery, and at once after a repair or a replacement). A control call that could not be
 * done is not repeated before `retryDays` have passed: the operator task it raised comes first.
 */
export function controlDueAt(h: ControlHistory, periodMonths: number, retryDays: number): Date {
  if (!Number.isInteger(periodMonths) || periodMonths < 1) throw new RangeError(`a control period is a whole number of months, got ${periodMonths}`);
  const due = h.owedFor ? new Date(0) : plusMonths(h.lastControlAt ?? h.inServiceSince, periodMonths);
  const notBefore = h.lastUnsuccessfulAt ? new Date(h.lastUnsuccessfulAt.getTime() + retryDays * DAY) : new Date(0);
  return due > notBefore ? due : notBefore;
}

export interface ControlSlot { plannedOn: string; notBefore: Date; notAfter: Date }

/** The first slot of her agreed window at or after `notBefore` on a date outside her absences. */
export function controlSlot(w: CallWindow, absences: Absence[], notBefore: Date): ControlSlot {
  let at = notBefore;
  for (let i = 0; i < SEARCH_SLOTS; i++) {
    const slot = firstSlot(w, at);
    const plannedOn = localDate(slot.start, w.zone);
    if (!inAbsence(plannedOn, absences)) return { plannedOn, notBefore: slot.start, notAfter: slot.end };
    at = slot.end;
  }
  throw new RangeError(`no call window outside absences after ${notBefore.toISOString()}`);
}

/** Until when the test call from her terminal closes the control call as a success. */
export function testCallDeadline(confirmedAt: Date, minutes: number): Date {
  return new Date(confirmedAt.getTime() + minutes * 60_000);
}

/**
 * The control flow's outcome as the dialer reads it: `confirmed` (she identified herself and was
 * asked to press her terminal's button) awaits the test call; `emergency` (the emergency key or her
 * panic call) leaves the call to the operator it went to; anything else is an attempt without
 * contact, retried as the dialer retries.
 */
export function verdictOf(outcome: string): FlowVerdict {
  if (outcome === 'confirmed') return 'confirmed';
  if (outcome === 'emergency') return 'emergency';
  return 'no_contact';
}
