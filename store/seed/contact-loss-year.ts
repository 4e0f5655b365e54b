/**
 * An Anexo IV case as the procedure would have run it for a synthetic usuaria who stopped answering:
 * contact persons called, her social services centre notified with a reply deadline, a proposed baja
 * that a coordinator confirms, or contact recovered on the way. Whatever has not happened by "now"
 * leaves the case open at that stage.
 */
import { randomUUID } from 'node:crypto';
import type { Rng } from './prng.ts';
import type { LossStage, SeedLossCase } from './call-types.ts';
import { DAY_MS } from './zones.ts';

const HOUR_MS = 3_600_000;
const SYSTEM = 'system:dialer';
const COORDINATION = 'system:seed-coordinacion';
const REPLY_DAYS = 7;

export interface LossResult { lossCase: SeedLossCase; recoveredAt: number | null; bajaAt: number | null }

/** The case opened at `openedAt` by a third failed occasion, run forward until `now`. */
export function runLossCase(rng: Rng, openedAt: number, round: 1 | 2, persons: number, now: number): LossResult {
  const c: SeedLossCase = { id: randomUUID(), round, stage: 'contacting_persons', openedAt, replyDeadline: null, interventionAt: null,
    proposedAt: null, closedAt: null, decidedAt: null, transitions: [], tasks: [] };
  const move = (to: LossStage, cause: string, at: number, actor = SYSTEM) => {
    c.transitions.push({ from: c.transitions.length ? c.stage : null, to, cause, actor, at });
    c.stage = to;
  };
  const result: LossResult = { lossCase: c, recoveredAt: null, bajaAt: null };
  move('contacting_persons', round === 1 ? 'three_failed_followups' : 'loss_after_recovery', openedAt);

  // step 1: her contact persons by priority, over a day or two
  let at = openedAt;
  for (let i = 0; i < persons; i++) {
    at += rng.int(4, 60) * HOUR_MS;
    c.tasks.push(at < now ? { status: 'not_reached', doneAt: at } : { status: 'open', doneAt: null });
  }
  if (at >= now) return result;
  // step 2: social services are told, with a deadline to reply
  move('social_services_notified', persons ? 'contact_persons_exhausted' : 'no_contact_persons', at);
  c.replyDeadline = at + REPLY_DAYS * DAY_MS;
  if (rng.chance(0.5)) {
    const recovered = at + rng.int(1, 6) * DAY_MS + rng.int(0, 8) * HOUR_MS;
    if (recovered >= now) return result;
    move('closed_contact_recovered', 'contact_recovered_via_social_services', recovered);
    c.closedAt = recovered;
    result.recoveredAt = recovered;
    return result;
  }
  // step 3: a week after their intervention, or the deadline with no news, a baja is proposed
  let due = c.replyDeadline;
  if (rng.chance(0.5)) {
    c.interventionAt = at + rng.int(1, 5) * DAY_MS;
    due = c.interventionAt + 7 * DAY_MS;
  }
  if (due >= now) return result;
  move('baja_proposed', c.interventionAt ? 'intervention_week_elapsed' : 'reply_deadline_passed', due);
  c.proposedAt = due;
  // a coordinator confirms it (GDPR: never decided by the machine alone)
  const decided = due + rng.int(1, 6) * DAY_MS + rng.int(0, 6) * HOUR_MS;
  if (decided >= now) return result;
  move('closed_baja', 'baja_confirmed', decided, COORDINATION);
  c.decidedAt = decided;
  c.closedAt = decided;
  result.bajaAt = decided;
  return result;
}
