/**
 * Outbound calls of a synthetic year as the dialer places them (DOMAIN.md, "Agenda rules"): each
 * follow-up occasion on the latest agreed weekday on or before the due date, counted from her last
 * communication; an attempt without contact retried at the first slot of her window 24 h later;
 * a failed occasion counting the next period from its planned date. Every call starts inside her
 * window, in her zone, on a weekday she agreed to (post-emergency calls: any weekday).
 */
import { randomUUID } from 'node:crypto';
import type { Rng } from './prng.ts';
import { dayNumber, isoOfDay } from './dates.ts';
import type { AttemptOutcome, OccasionKind, SeedCall, SeedCallYear, SeedOccasion } from './call-types.ts';
import { DAY_MS, instantOf, isoWeekday, localDay, minutesOf, offsetAt, type SeedZone } from './zones.ts';

export interface SeedPolicy {
  zone: SeedZone; frequency: 'quincenal' | 'mensual'; weekdays: readonly number[]; from: number; to: number; retries: number;
}

export function seedPolicy(a: { zone: string; frequency: 'quincenal' | 'mensual'; weekdays: number[]; windowFrom: string; windowTo: string; retries: number }): SeedPolicy {
  return { zone: a.zone as SeedZone, frequency: a.frequency, weekdays: a.weekdays, from: minutesOf(a.windowFrom),
    to: minutesOf(a.windowTo), retries: a.retries };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const SYSTEM = 'system:dialer';

/** Due day of the next follow-up after a communication on `day` (mensual: same day next month, clamped). */
export function dueDay(frequency: SeedPolicy['frequency'], day: number): number {
  if (frequency === 'quincenal') return day + 15;
  const iso = isoOfDay(day);
  let y = Number(iso.slice(0, 4));
  let m = Number(iso.slice(5, 7)) + 1;
  if (m === 13) { m = 1; y++; }
  const first = dayNumber(`${y}-${String(m).padStart(2, '0')}-01`);
  const nextFirst = m === 12 ? dayNumber(`${y + 1}-01-01`) : dayNumber(`${y}-${String(m + 1).padStart(2, '0')}-01`);
  return Math.min(first + Number(iso.slice(8, 10)) - 1, nextFirst - 1);
}

const agreed = (p: SeedPolicy, day: number) => p.weekdays.includes(isoWeekday(day));

/** The latest agreed weekday in the 7 days up to `due` and after `last`; else the first one after `due`. */
export function callDay(p: SeedPolicy, last: number, due: number): number {
  for (let d = due; d > due - 7 && d > last; d--) if (agreed(p, d)) return d;
  return firstAgreed(p, due + 1);
}

export function firstAgreed(p: SeedPolicy, from: number): number {
  let d = from;
  while (!agreed(p, d)) d++;
  return d;
}

/** Whether `at` falls in her window, on an agreed weekday unless `anyWeekday` (what the outside-window figure checks). */
export function inside(p: SeedPolicy, at: number, anyWeekday: boolean): boolean {
  const day = localDay(p.zone, at);
  const minute = Math.floor((at + offsetAt(p.zone, at)) / 60_000) - day * 1440;
  return (anyWeekday || agreed(p, day)) && minute >= p.from && minute < p.to;
}

export function windowOf(p: SeedPolicy, day: number): [number, number] {
  return [instantOf(p.zone, day, p.from), instantOf(p.zone, day, p.to)];
}

/** The outcome mix of one attempt when she answers with probability `p`. */
function outcomeOf(rng: Rng, p: number): AttemptOutcome {
  if (rng.chance(p)) return rng.chance(0.012) ? 'answered_not_her' : 'contacted';
  return rng.weighted([['no_answer', 62], ['machine', 22], ['busy', 12], ['failed', 4]] as const);
}

export interface Dialled { contact: boolean; at: number; endedAt: number; contactAt: number | null }

/** Places outbound calls into one usuaria's year: occasions, agenda items and call attempts. */
export class Dialler {
  constructor(private readonly rng: Rng, readonly policy: SeedPolicy, private readonly out: SeedCallYear) {}

  /** A moment inside her window on `day`, not before `notBefore`, leaving room to talk; null if none is left. */
  slot(day: number, notBefore = 0): number | null {
    const [start, end] = windowOf(this.policy, day);
    const from = Math.max(start, notBefore);
    const to = end - 5 * MINUTE;
    if (from >= to) return null;
    return Math.floor((from + this.rng.next() * Math.min(to - from, 90 * MINUTE)) / SECOND) * SECOND;
  }

  /** One attempt: its call, its agenda item, and what it achieved. */
  private attempt(kind: OccasionKind, occasion: SeedOccasion, n: number, day: number, at: number, p: number, createdAt: number): Dialled {
    const rng = this.rng;
    const outcome = outcomeOf(rng, p);
    const callId = randomUUID();
    const answered = outcome === 'contacted' || outcome === 'answered_not_her' || outcome === 'machine';
    const answeredAt = answered ? at + rng.int(6, 25) * SECOND : null;
    const endedAt = outcome === 'machine' ? answeredAt! + 2 * SECOND
      : answered ? answeredAt! + rng.int(90, 900) * SECOND
        : outcome === 'no_answer' ? at + 30 * SECOND : at + rng.int(2, 8) * SECOND;
    const callKind = kind === 'control' ? 'D' : 'B';
    const filed = outcome === 'contacted' ? (kind === 'control' ? 'prueba' : 'atendida') : outcome === 'answered_not_her' ? 'no_es_ella' : null;
    const call: SeedCall = {
      id: callId, direction: 'outbound', line: 'outbound', kind: callKind, startedAt: at, answeredAt, endedAt,
      outcome: answered ? 'completed' : outcome as 'no_answer' | 'busy' | 'failed',
      answeredBy: outcome === 'machine' ? 'machine' : answered ? 'human' : null,
      disposition: filed ? `{"kind":"${callKind}","outcome":"${filed}","filedAt":"${new Date(endedAt + 40 * SECOND).toISOString()}"}` : null,
      agendaItemId: null,
      outsideWindow: !inside(this.policy, at, kind === 'post_emergency'),
    };
    const [notBefore, notAfter] = windowOf(this.policy, day);
    const itemId = randomUUID();
    call.agendaItemId = itemId;
    this.out.calls.push(call);
    this.out.items.push({ id: itemId, occasionId: occasion.id, kind, attempt: n, plannedOn: occasion.plannedOn, notBefore, notAfter,
      status: outcome === 'contacted' ? 'done' : 'failed', outcome, callId, createdAt, claimedAt: at, incidentId: occasion.incidentId });
    const contact = outcome === 'contacted';
    return { contact, at, endedAt, contactAt: contact ? answeredAt : null };
  }

  /**
   * One occasion on `day` at `at`: the first attempt and, without contact, its retries at the first
   * slot of her window 24 h later (agreed weekdays only, except after an emergency). Retries that
   * would fall at or after `until` are not placed. Returns the last attempt.
   */
  occasion(kind: OccasionKind, day: number, at: number, p: number, opts: { until: number; createdAt: number; incidentId?: string | null; retries?: number }): Dialled {
    const occasion: SeedOccasion = { id: randomUUID(), kind, plannedOn: isoOfDay(day), status: 'failed',
      incidentId: opts.incidentId ?? null, createdAt: opts.createdAt, closedAt: 0 };
    this.out.occasions.push(occasion);
    let last = this.attempt(kind, occasion, 1, day, at, p, opts.createdAt);
    const retries = opts.retries ?? this.policy.retries;
    for (let n = 2; !last.contact && n <= retries + 1; n++) {
      const next = this.retrySlot(last.at, kind === 'post_emergency');
      if (next === null || next.at >= opts.until) break;
      last = this.attempt(kind, occasion, n, next.day, next.at, p, last.endedAt);
    }
    occasion.status = last.contact ? 'contact' : 'failed';
    occasion.closedAt = last.endedAt;
    return last;
  }

  /** The first slot of her window at or after `at` + 24 h. */
  retrySlot(at: number, anyWeekday: boolean): { day: number; at: number } | null {
    const after = at + DAY_MS;
    let day = localDay(this.policy.zone, after);
    for (let i = 0; i < 14; i++, day++) {
      if (!anyWeekday && !agreed(this.policy, day)) continue;
      const t = this.slot(day, after);
      if (t !== null) return { day, at: t };
    }
    return null;
  }
}

export const DIALLER_ACTOR = SYSTEM;
