// When the dialer may call her (§10.1 B and the agenda DECISIONs of the domain digest). Pure
// functions of their inputs: the caller passes `now`; dates are calendar dates in her zone.
import {
  addDays, assertWindow, dateOrigin, firstSlot, localDate, windowOn,
  type CallWindow, type Slot,
} from './window.ts';

export type Frequency = 'quincenal' | 'mensual';

export interface Policy { frequency: Frequency; window: CallWindow; retries: 0 | 1 | 2 | 3 }

export interface Absence { startsOn: string; endsOn: string }     // inclusive calendar dates in her zone

export interface PlannedCall { plannedOn: string /* the occasion's date in her zone */; notBefore: Date; notAfter: Date }

const HOUR = 3_600_000;
// the protocol's own "se reiterará a las 24 horas" (Anexo IV), also used after an emergency
const RETRY_DELAY = 24 * HOUR;
// an operator who overrides the window still gets a bounded placement, like a window would give
const OVERRIDE_PLACEMENT = 2 * HOUR;
// "only if there is none in the 7 days before due": the due date and the seven dates before it
const LOOKBACK_DAYS = 7;
const SEARCH_DAYS = 800;

/** Is `date` (YYYY-MM-DD) inside any absence? */
export function inAbsence(date: string, absences: Absence[]): boolean {
  return absences.some((a) => a.startsOn <= date && date <= a.endsOn);
}

/** Same day next month, clamped to that month's end (31 Jan -> 28/29 Feb). */
function nextMonth(date: string): string {
  const d = new Date(dateOrigin(date));
  const [y, m] = [d.getUTCFullYear(), d.getUTCMonth() + 1];
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay))).toISOString().slice(0, 10);
}

function onePeriodAfter(frequency: Frequency, date: string): string {
  return frequency === 'quincenal' ? addDays(date, 15) : nextMonth(date);
}

/** §10.1 B: last communication + 15 days (quincenal) or the same day next month clamped to the month's end (mensual), as a date in her zone. */
export function dueDate(p: Policy, lastCommunication: Date): string {
  return onePeriodAfter(p.frequency, localDate(lastCommunication, p.window.zone));
}

/** A date her window really opens: an agreed weekday that no DST change emptied. */
function opensOn(w: CallWindow, date: string): boolean {
  return windowOn(w, date) !== null;
}

/** The first date on or after `from` that opens and lies in no absence. */
function firstOpening(w: CallWindow, from: string, absences: Absence[]): string {
  let date = from;
  for (let i = 0; i < SEARCH_DAYS; i++, date = addDays(date, 1)) {
    if (opensOn(w, date) && !inAbsence(date, absences)) return date;
  }
  throw new RangeError(`no agreed day outside absences within ${SEARCH_DAYS} days of ${from}`);
}

/**
 * The occasion's date. The frequency is a maximum, so: the latest opening on or before `due`
 * and after `after` (the date the period counts from); only when the week before due has none,
 * the first one after due. An occasion that falls due during an absence moves to the first
 * opening after it, and chained absences are stepped over the same way.
 */
function occasionDate(w: CallWindow, after: string, due: string, absences: Absence[]): string {
  let date: string | undefined;
  for (let d = due, i = 0; i <= LOOKBACK_DAYS && d > after; i++, d = addDays(d, -1)) {
    if (opensOn(w, d)) { date = d; break; }
  }
  date ??= firstOpening(w, addDays(due, 1), []);
  return inAbsence(date, absences) ? firstOpening(w, addDays(date, 1), absences) : date;
}

/** The first slot of her (agreed) window at or after `notBefore` whose date lies in no absence. */
function slotOutside(w: CallWindow, notBefore: Date, absences: Absence[]): Slot {
  let at = notBefore;
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const slot = firstSlot(w, at);
    if (!inAbsence(localDate(slot.start, w.zone), absences)) return slot;
    at = slot.end;
  }
  throw new RangeError(`no call window outside absences after ${notBefore.toISOString()}`);
}

/**
 * Due when her window opens on the occasion's date, placeable until it closes. When that window
 * has already closed at `now` (the service was down) the call goes in the first slot from now;
 * plannedOn keeps the occasion's date, which the next period counts from when it fails.
 */
function place(w: CallWindow, plannedOn: string, now: Date, absences: Absence[]): PlannedCall {
  const slot = windowOn(w, plannedOn)!;                        // occasionDate only returns openings
  const { start, end } = slot.end > now ? slot : slotOutside(w, now, absences);
  return { plannedOn, notBefore: start, notAfter: end };
}

function planOccasion(p: Policy, after: string, now: Date, absences: Absence[]): PlannedCall {
  assertWindow(p.window);
  const plannedOn = occasionDate(p.window, after, onePeriodAfter(p.frequency, after), absences);
  return place(p.window, plannedOn, now, absences);
}

/** The next follow-up occasion after a communication (DOMAIN.md DECISION): the latest agreed weekday on or before the due date and after the last communication's date; only if none in the 7 days before due, the first agreed weekday after due. It becomes due when her window opens that day and may be placed until the window closes. If that slot is already past at `now` (overdue: the service was down), the first slot at or after now. Absences: a follow-up that falls due during an absence moves to the first agreed weekday after it ends (and never lands inside one). */
export function nextFollowUp(p: Policy, lastCommunication: Date, now: Date, absences: Absence[]): PlannedCall {
  return planOccasion(p, localDate(lastCommunication, p.window.zone), now, absences);
}

/** With no contact, the next occasion is due one period after the failed occasion's planned date (same weekday rule). */
export function nextAfterFailedOccasion(p: Policy, failedPlannedOn: string, now: Date, absences: Absence[]): PlannedCall {
  return planOccasion(p, failedPlannedOn, now, absences);
}

/** A retry of the same occasion: first slot of her window at or after attemptAt + 24 h (never inside an absence); null when the occasion has used 1 + p.retries attempts. */
export function retryOf(p: Policy, attemptAt: Date, attemptsSoFar: number, absences: Absence[], plannedOn: string): PlannedCall | null {
  if (!Number.isInteger(attemptsSoFar) || attemptsSoFar < 1) {
    throw new RangeError(`a retry follows at least one attempt, got ${attemptsSoFar}`);
  }
  if (![0, 1, 2, 3].includes(p.retries)) throw new RangeError(`retries must be 0-3, got ${p.retries}`);
  if (attemptsSoFar >= 1 + p.retries) return null;
  // 24 h of elapsed time, not "same time tomorrow": across a DST change they differ by an hour
  const slot = slotOutside(p.window, new Date(attemptAt.getTime() + RETRY_DELAY), absences);
  return { plannedOn, notBefore: slot.start, notAfter: slot.end };
}

/**
 * Post-emergency follow-ups: daily, first slot at or after `after` + 24 h, any weekday, inside the
 * time window unless `ignoreWindow` (operator override: then at `after` + 24 h, with a 2-hour
 * placement window). Absences do not apply: emergency service never pauses.
 */
export function postEmergencyFollowUp(w: CallWindow, after: Date, opts: { ignoreWindow?: boolean } = {}): PlannedCall {
  const due = new Date(after.getTime() + RETRY_DELAY);
  if (opts.ignoreWindow) {
    return { plannedOn: localDate(due, w.zone), notBefore: due, notAfter: new Date(due.getTime() + OVERRIDE_PLACEMENT) };
  }
  const slot = firstSlot(w, due, { anyWeekday: true });
  return { plannedOn: localDate(slot.start, w.zone), notBefore: slot.start, notAfter: slot.end };
}

/**
 * A reminder (cita, gestión) at a chosen instant, placed at the first slot at or after it. It is
 * "programmed in the same agenda" (§10.1 B), so her agreed weekdays and hours hold: the caller
 * should choose `at` early enough that this slot still precedes the appointment.
 */
export function reminderAt(w: CallWindow, at: Date): PlannedCall {
  const slot = firstSlot(w, at);
  return { plannedOn: localDate(slot.start, w.zone), notBefore: slot.start, notAfter: slot.end };
}
