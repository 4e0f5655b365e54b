/**
 * A synthetic year of calls for one usuaria, deterministic by seed and ordinal (ids apart): her
 * follow-ups by her agreed policy, her own calls and emergencies with the daily calls after them,
 * control calls and reminders, her terminal's autochequeos, a few Anexo IV cases at every stage,
 * bajas by cause and re-altas. The year is the 365 days before "now".
 */
import { randomUUID } from 'node:crypto';
import { Dialler, callDay, dueDay, firstAgreed, seedPolicy, type SeedPolicy } from './agenda-walk.ts';
import type { BajaCause, SeedCallYear } from './call-types.ts';
import { runLossCase } from './contact-loss-year.ts';
import { addDays, dayNumber, isoOfDay } from './dates.ts';
import { inboundCalls, scaled, selftests, type Emergency } from './inbound-year.ts';
import { mixSeed, Rng } from './prng.ts';
import type { SeedUsuaria } from './types.ts';
import { DAY_MS, instantOf, localDay } from './zones.ts';

export interface CallYearContext { seed: number; nowMs: number }

const BAJA_CAUSES: readonly (readonly [BajaCause, number])[] = [
  ['voluntaria', 30], ['caducidad_medidas', 15], ['no_percibe_riesgo', 12], ['convivencia_agresor', 8], ['agresor_sin_riesgo', 8],
  ['vive_fuera_espana', 6], ['traslado_entidad_no_adherida', 6], ['no_renovacion', 5], ['disconforme', 3],
  ['incumplimientos_reiterados', 3], ['desaparecida_no_localizable', 2], ['fallecida', 1], ['plazo_maximo', 1],
];
const REMINDERS: readonly (readonly [number, number])[] = [[0, 65], [1, 25], [2, 10]];
const CONTROL_EVERY_DAYS = 91;
const PERIOD_DAYS = { quincenal: 15, mensual: 30 } as const;

/** How she answers follow-ups: most of the time; hard to reach; or she stops answering at some point. */
interface Reach { p: number; lostFrom: number | null; recoveredAt: number | null }
const answers = (r: Reach, at: number) =>
  r.lostFrom !== null && at >= r.lostFrom && (r.recoveredAt === null || at < r.recoveredAt) ? 0 : r.p;

export function generateCallYear(ctx: CallYearContext, u: SeedUsuaria, ordinal: number): SeedCallYear {
  const rng = new Rng(mixSeed(ctx.seed ^ 0x6a09e667, ordinal));
  const policy = seedPolicy(u.agenda);
  const now = ctx.nowMs;
  const yearStart = now - 365 * DAY_MS;
  const out: SeedCallYear = { calls: [], incidents: [], occasions: [], items: [], lossCases: [], baja: null, earlier: null,
    lastCommunicationAt: null, lastSelftestAt: null };
  const altaDay = dayNumber(u.expediente.altaOn);
  const from = Math.max(yearStart, instantOf(policy.zone, altaDay, 10 * 60));
  const nowDay = localDay(policy.zone, now);

  // her fate this year: most stay; a few leave for a cause of Anexo V.4; a few came back after an earlier baja
  let to = now;
  const firstDay = localDay(policy.zone, from);
  if (rng.chance(0.06) && nowDay - firstDay > 21) {
    const day = rng.int(firstDay + 20, nowDay - 1);
    out.baja = { cause: rng.weighted(BAJA_CAUSES), on: isoOfDay(day) };
    to = instantOf(policy.zone, day, 12 * 60);
  }
  if (altaDay - localDay(policy.zone, yearStart) > 90 && rng.chance(0.12)) {
    const bajaDay = altaDay - rng.int(20, 70);
    const earlierAlta = altaDay - rng.int(200, 600);
    out.earlier = { altaOn: isoOfDay(earlierAlta), requestedOn: addDays(isoOfDay(earlierAlta), -rng.int(1, 7)), bajaOn: isoOfDay(bajaDay),
      cause: rng.weighted(BAJA_CAUSES.filter(([c]) => c !== 'fallecida')) };
    const earlierTo = instantOf(policy.zone, bajaDay, 12 * 60);
    const earlierFrom = Math.max(yearStart, instantOf(policy.zone, earlierAlta, 10 * 60));
    if (earlierFrom < earlierTo) period(rng, policy, out, earlierFrom, earlierTo, { p: 0.84, lostFrom: null, recoveredAt: null }, now, u, false);
  }

  const kind = rng.next();
  const reach: Reach = kind < 0.02 ? { p: 0.84, lostFrom: from + rng.next() * (to - from), recoveredAt: null }
    : kind < 0.06 ? { p: 0.5, lostFrom: null, recoveredAt: null } : { p: 0.84, lostFrom: null, recoveredAt: null };
  const ended = period(rng, policy, out, from, to, reach, now, u, true);
  if (ended.bajaAt !== null) {
    out.baja = { cause: 'falta_contacto', on: isoOfDay(localDay(policy.zone, ended.bajaAt)) };
    to = ended.bajaAt;
  }
  out.lastCommunicationAt = ended.lastContact;
  out.lastSelftestAt = selftests(rng, Date.parse(u.terminal.lastSelftestAt), from, to, out);
  return out;
}

/**
 * Everything in one stretch of service [from, to): her own calls, what follows emergencies, control
 * calls and reminders, then the follow-ups that count from her last communication.
 */
function period(rng: Rng, policy: SeedPolicy, out: SeedCallYear, from: number, to: number, reach: Reach, now: number,
  u: SeedUsuaria, withLoss: boolean): { bajaAt: number | null; lastContact: number | null } {
  const dialler = new Dialler(rng, policy, out);
  const speaks = reach.lostFrom === null ? to : Math.min(to, reach.lostFrom);
  const { contacts, emergencies } = inboundCalls(rng, policy.zone, from, speaks, out);
  for (const e of emergencies) afterEmergency(rng, dialler, out, e, reach, to, now, contacts);
  plannedCalls(rng, dialler, from, speaks, reach, contacts, u);
  contacts.sort((a, b) => a - b);

  // the first follow-up of the stretch counts from her alta, or from a contact before the year began
  const startsAtAlta = dayNumber(u.expediente.altaOn) >= localDay(policy.zone, from);
  let anchor = startsAtAlta ? from : from - rng.int(0, PERIOD_DAYS[policy.frequency] - 1) * DAY_MS;
  let anchorDay = localDay(policy.zone, anchor);
  let lastContact: number | null = null;
  let failedRun = 0;
  let ci = 0;
  let round: 1 | 2 = 1;
  for (;;) {
    const day = callDay(policy, anchorDay, dueDay(policy.frequency, anchorDay));
    const at = dialler.slot(day);
    if (at === null || at >= to) break;
    while (ci < contacts.length && contacts[ci]! <= anchor) ci++;
    // she spoke with the centre before this call was placed: the dialer plans again from then
    if (ci < contacts.length && contacts[ci]! < at) {
      anchor = contacts[ci]!;
      anchorDay = localDay(policy.zone, anchor);
      lastContact = anchor;
      failedRun = 0;
      continue;
    }
    if (at < from) { anchor = at; anchorDay = day; continue; }
    const createdAt = Math.max(anchor, at - PERIOD_DAYS[policy.frequency] * DAY_MS);
    const r = dialler.occasion('followup', day, at, answers(reach, at), { until: to, createdAt });
    if (r.contact) {
      anchor = r.contactAt!;
      anchorDay = localDay(policy.zone, anchor);
      lastContact = anchor;
      failedRun = 0;
      continue;
    }
    // with no contact, the next occasion is due one period after the failed one's planned date
    anchor = r.endedAt;
    anchorDay = day;
    if (++failedRun < 3 || !withLoss) continue;
    const loss = runLossCase(rng, r.endedAt, round, u.contacts.length, now);
    out.lossCases.push(loss.lossCase);
    if (loss.bajaAt !== null) {
      truncate(out, loss.bajaAt);
      return { bajaAt: loss.bajaAt, lastContact };
    }
    if (loss.recoveredAt === null || round === 2) break;
    // contact recovered through social services: the follow-ups start again from then
    reach.recoveredAt = loss.recoveredAt;
    if (reach.p < 0.84) reach.p = 0.84;
    anchor = loss.recoveredAt;
    anchorDay = localDay(policy.zone, anchor);
    lastContact = anchor;
    failedRun = 0;
    round = 2;
  }
  return { bajaAt: null, lastContact };
}

/** Daily calls after an emergency, first at the first slot 24 h later, until the incident is closed. */
function afterEmergency(rng: Rng, dialler: Dialler, out: SeedCallYear, e: Emergency, reach: Reach, to: number, now: number, contacts: number[]) {
  const incident = { id: randomUUID(), callId: e.callId, kind: e.kind, level: e.level, openedAt: e.endedAt, closedAt: null as number | null };
  out.incidents.push(incident);
  const days = rng.weighted([[1, 30], [2, 30], [3, 20], [4, 12], [5, 8]] as const);
  let prev = e.at;
  let closeAt = e.endedAt + rng.int(2, 20) * 3_600_000;
  for (let j = 0; j < days; j++) {
    // now and then the first call slips to the day after (the "on time" figure shows it)
    const slot = dialler.retrySlot(j === 0 && rng.chance(0.05) ? prev + DAY_MS : prev, true);
    if (!slot || slot.at >= to) break;
    const r = dialler.occasion('post_emergency', slot.day, slot.at, answers(reach, slot.at),
      { until: to, createdAt: prev, incidentId: incident.id, retries: 0 });
    if (r.contactAt) contacts.push(r.contactAt);
    prev = slot.at;
    closeAt = r.endedAt + rng.int(1, 8) * 3_600_000;
  }
  incident.closedAt = closeAt < Math.min(to, now) ? closeAt : to < now ? to : null;
}

/** Control calls every three months from her alta, and a few reminders (citas, gestiones). */
function plannedCalls(rng: Rng, dialler: Dialler, from: number, to: number, reach: Reach, contacts: number[], u: SeedUsuaria) {
  const policy = dialler.policy;
  const place = (kind: 'control' | 'reminder', target: number) => {
    const day = firstAgreed(policy, target);
    const at = dialler.slot(day);
    if (at === null || at < from || at >= to) return;
    const r = dialler.occasion(kind, day, at, answers(reach, at), { until: to, createdAt: at - rng.int(1, 20) * DAY_MS });
    if (r.contactAt) contacts.push(r.contactAt);
  };
  const firstDay = localDay(policy.zone, from);
  const lastDay = localDay(policy.zone, to);
  const altaDay = dayNumber(u.expediente.altaOn);
  for (let d = altaDay + CONTROL_EVERY_DAYS * Math.max(1, Math.ceil((firstDay - altaDay) / CONTROL_EVERY_DAYS)); d < lastDay; d += CONTROL_EVERY_DAYS) {
    place('control', d);
  }
  for (let n = scaled(rng, rng.weighted(REMINDERS), (to - from) / (365 * DAY_MS)); n > 0 && lastDay > firstDay; n--) {
    place('reminder', rng.int(firstDay, lastDay - 1));
  }
}

/** Her service ended at `at` (a baja): nothing after it happened. */
function truncate(out: SeedCallYear, at: number) {
  out.calls = out.calls.filter((c) => c.startedAt < at);
  out.items = out.items.filter((i) => i.claimedAt < at);
  const kept = new Map<string, number>();
  for (const i of out.items) kept.set(i.occasionId, Math.max(kept.get(i.occasionId) ?? 0, i.claimedAt));
  out.occasions = out.occasions.filter((o) => kept.has(o.id));
  for (const o of out.occasions) {
    const last = out.items.filter((i) => i.occasionId === o.id).sort((a, b) => b.attempt - a.attempt)[0]!;
    o.status = last.status === 'done' ? 'contact' : 'failed';
    o.closedAt = Math.min(o.closedAt, at);
  }
  out.incidents = out.incidents.filter((i) => i.openedAt < at);
  for (const i of out.incidents) if (i.closedAt === null || i.closedAt > at) i.closedAt = at;
}
