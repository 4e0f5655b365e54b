/**
 * What reaches the centre from one usuaria in a synthetic year: her own calls (A, and the test calls
 * she makes herself, D), emergencies (C) with their incidents, and her terminal's autochequeos (D).
 * Answer times follow the telecare sector's shape: nearly all within 60 s, a thin tail past 180 s.
 */
import { randomUUID } from 'node:crypto';
import type { Rng } from './prng.ts';
import type { EmergencyKind, SeedCall, SeedCallYear } from './call-types.ts';
import { DAY_MS, instantOf, type SeedZone } from './zones.ts';

const SECOND = 1000;

/** Calls of her own per year of service. */
const OWN_CALLS: readonly (readonly [number, number])[] = [[0, 30], [1, 20], [2, 15], [3, 10], [5, 10], [8, 8], [15, 5], [30, 2]];
/** Emergencies per year of service. */
const EMERGENCIES: readonly (readonly [number, number])[] = [[0, 72], [1, 18], [2, 6], [3, 3], [6, 1]];
const EMERGENCY_KINDS: readonly (readonly [EmergencyKind, number])[] = [['psicosocial', 55], ['prealarma', 25], ['alarma_agresion', 10], ['otra', 10]];
/** Hour of day (local) of her own calls: mornings and evenings. */
const HOURS = [8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 22, 23].map((h) => [h, h >= 10 && h <= 13 || h >= 17 && h <= 20 ? 3 : 1] as const);
/** Autochequeo period of the seeded terminals, in days. */
export const SELFTEST_EVERY_DAYS = 14;

/** `perYear` scaled to a stretch of `fraction` of a year, rounding by chance so small stretches still get some. */
export function scaled(rng: Rng, perYear: number, fraction: number): number {
  const x = perYear * fraction;
  return Math.floor(x) + (rng.chance(x - Math.floor(x)) ? 1 : 0);
}

/** Seconds an operator took to answer: `emergency` lines jump the queue. */
function answerSeconds(rng: Rng, emergency: boolean): number {
  const r = rng.next();
  if (emergency) return r < 0.9 ? rng.int(1, 15) : r < 0.985 ? rng.int(16, 59) : r < 0.997 ? rng.int(60, 179) : rng.int(180, 400);
  return r < 0.85 ? rng.int(2, 25) : r < 0.973 ? rng.int(26, 59) : r < 0.995 ? rng.int(60, 179) : rng.int(180, 600);
}

/** A local moment on a random day of [from, to) at an hour drawn from `hours`. */
function momentIn(rng: Rng, zone: SeedZone, from: number, to: number, hours: readonly (readonly [number, number])[] | null): number | null {
  const firstDay = Math.floor(from / DAY_MS);
  const lastDay = Math.floor((to - 1) / DAY_MS);
  if (lastDay < firstDay) return null;
  const day = rng.int(firstDay, lastDay);
  const hour = hours ? rng.weighted(hours) : rng.int(0, 23);
  const at = Math.floor(instantOf(zone, day, hour * 60 + rng.int(0, 59)) / SECOND) * SECOND + rng.int(0, 59) * SECOND;
  return at >= from && at < to ? at : null;
}

const filedAt = (ms: number) => new Date(ms).toISOString();

export interface Emergency { callId: string; at: number; endedAt: number; kind: EmergencyKind; level: 1 | 2 | 3 }

/**
 * Her own calls in [from, to). Returns the moments she spoke with the centre (they reset her
 * follow-up clock) and the emergencies, so the caller can plan what follows them.
 */
export function inboundCalls(rng: Rng, zone: SeedZone, from: number, to: number, out: SeedCallYear): { contacts: number[]; emergencies: Emergency[] } {
  const fraction = (to - from) / (365 * DAY_MS);
  const contacts: number[] = [];
  const emergencies: Emergency[] = [];
  for (let i = scaled(rng, rng.weighted(OWN_CALLS), fraction); i > 0; i--) {
    const at = momentIn(rng, zone, from, to, HOURS);
    if (at === null) continue;
    const abandoned = rng.chance(0.015);
    const answeredAt = abandoned ? null : at + answerSeconds(rng, false) * SECOND;
    const endedAt = answeredAt ? answeredAt + rng.int(60, 1200) * SECOND : at + rng.int(20, 120) * SECOND;
    const filed = answeredAt ? rng.weighted([['atendida', 89], ['prueba', 7], ['colgada', 2], ['equivocada', 1], ['sin_voz', 1]] as const) : null;
    const kind = filed === 'prueba' ? 'D' : 'A';
    out.calls.push({ id: randomUUID(), direction: 'inbound', line: 'general', kind, startedAt: at, answeredAt, endedAt,
      outcome: abandoned ? 'canceled' : 'completed', answeredBy: null, agendaItemId: null, outsideWindow: null,
      disposition: filed ? `{"kind":"${kind}","outcome":"${filed}","filedAt":"${filedAt(endedAt + 60 * SECOND)}"}` : null });
    if (filed === 'atendida') contacts.push(answeredAt!);
  }
  for (let i = scaled(rng, rng.weighted(EMERGENCIES), fraction); i > 0; i--) {
    const at = momentIn(rng, zone, from, to, null);
    if (at === null) continue;
    const kind = rng.weighted(EMERGENCY_KINDS);
    // an aggression in progress mostly mobilises resources (level 2); crisis support mostly stays verbal
    const level = kind === 'alarma_agresion' ? rng.weighted([[2, 80], [3, 15], [1, 5]] as const)
      : kind === 'prealarma' ? rng.weighted([[1, 55], [2, 40], [3, 5]] as const)
        : rng.weighted([[1, 80], [2, 12], [3, 8]] as const);
    const answeredAt = at + answerSeconds(rng, true) * SECOND;
    const endedAt = answeredAt + rng.int(300, 2700) * SECOND;
    const call: SeedCall = { id: randomUUID(), direction: 'inbound', line: 'emergency', kind: 'C', startedAt: at, answeredAt, endedAt,
      outcome: 'completed', answeredBy: null, agendaItemId: null, outsideWindow: null,
      disposition: `{"kind":"C","emergencyKind":"${kind}","level":${level},"outcome":"atendida","filedAt":"${filedAt(endedAt + 120 * SECOND)}"}` };
    out.calls.push(call);
    contacts.push(answeredAt);
    emergencies.push({ callId: call.id, at, endedAt, kind, level });
  }
  contacts.sort((a, b) => a - b);
  emergencies.sort((a, b) => a.at - b.at);
  return { contacts, emergencies };
}

/** Her terminal's autochequeos every SELFTEST_EVERY_DAYS, back from the latest one, inside [from, to). */
export function selftests(rng: Rng, latest: number, from: number, to: number, out: SeedCallYear): number | null {
  let at = latest;
  while (at >= to) at -= SELFTEST_EVERY_DAYS * DAY_MS;
  const newest = at >= from ? at : null;
  for (; at >= from; at -= SELFTEST_EVERY_DAYS * DAY_MS) {
    out.calls.push({ id: randomUUID(), direction: 'inbound', line: 'selftest', kind: 'D', startedAt: at, answeredAt: null,
      endedAt: at + rng.int(8, 20) * SECOND, outcome: 'completed', answeredBy: null, agendaItemId: null, outsideWindow: null, disposition: null });
  }
  return newest;
}
