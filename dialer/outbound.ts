import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.ts';
import { maskPhone } from '../common/log.ts';
import { agendaRepo, type AgendaItem } from '../store/agenda.repo.ts';
import { callsRepo, type CallAttempt } from '../store/calls.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../store/db.ts';
import type { InboundService } from '../telephony/index.ts';
import type { CallEvent, ProviderName } from '../telephony/port.ts';
import type { Planner } from './planner.ts';
import { policyOf } from './planner.ts';
import type { DialJob } from './queues.ts';
import { inAbsence } from './rules.ts';
import { firstSlot, isInside, localDate } from './window.ts';

export interface OutboundDeps {
  pool: Pool; clock: Clock; log: Logger; inbound: InboundService; planner: Planner;
  provider: ProviderName | null; neutralNumber: string; ringTimeoutS: number;
  /** How long to wait before trying again when no operator is free. */
  noOperatorRetryMs: number;
  /** Operators the dialer never takes: emergencies that come in must find someone free. */
  keepFreeOperators: number;
  /** Items the engine wants enqueued once the surrounding transaction commits. */
  enqueue(items: AgendaItem[]): Promise<void>;
}

const NO_CONTACT_STATES = new Set(['busy', 'no_answer', 'failed', 'rejected', 'canceled']);

/**
 * Places the call of one agenda item, and settles it from the provider's events. BullMQ may run a
 * job twice (a lost lock): the claim in Postgres makes the second run a no-op.
 */
export function outboundCalls(d: OutboundDeps) {
  const desk = d.inbound.desk;

  type Recheck = { skip: 'not_in_service' | 'newer_contact' | 'no_terminal' | 'absence' } | { outside: { start: Date; end: Date } } | { msisdn: string };

  /** Checks the item again at dial time; returns the number to call, or why not. */
  async function recheck(item: AgendaItem, now: Date): Promise<Recheck> {
    const f = await agendaRepo(d.pool).facts(item.usuariaId);
    const policy = f && policyOf(f);
    if (!f || f.expedienteStatus !== 'activa' || !policy) return { skip: 'not_in_service' };
    if (f.lastCommunicationAt && f.lastCommunicationAt > item.createdAt && item.kind === 'followup') return { skip: 'newer_contact' };
    if (!f.msisdn) return { skip: 'no_terminal' };
    // an absence she reported after this call was planned: no call inside it, and it counts as nothing
    if (item.kind !== 'post_emergency' && inAbsence(localDate(now, policy.window.zone), f.absences)) return { skip: 'absence' };
    const anyWeekday = item.kind === 'post_emergency';
    if (!isInside(policy.window, now, { anyWeekday }) || now > item.notAfter) return { outside: firstSlot(policy.window, now, { anyWeekday }) };
    return { msisdn: f.msisdn };
  }

  return {
    async process(job: Job<DialJob>, token?: string): Promise<string> {
      const now = d.clock.now();
      const item = await agendaRepo(d.pool).item(job.data.agendaItemId);
      if (!item || item.status !== 'planned') return 'not_planned'; // done, cancelled, or taken by another run
      if (now < item.notBefore) {
        await job.moveToDelayed(item.notBefore.getTime(), token);
        throw new DelayedError();
      }
      const check = await recheck(item, now);
      if ('skip' in check) {
        await withTransaction(d.pool, async (tx) => {
          if (await agendaRepo(tx).transition(item.id, ['planned'], 'skipped', { outcome: check.skip })) {
            const occasion = await agendaRepo(tx).occasion(item.occasionId);
            if (occasion?.status === 'open') await agendaRepo(tx).closeOccasion(occasion.id, 'cancelled', now, 'system:dialer');
            const replan = check.skip === 'newer_contact' || check.skip === 'absence';
            const next = replan ? await d.planner.planFollowUp(tx, item.usuariaId, now) : null;
            if (next) await d.enqueue([next]);
          }
        });
        return check.skip;
      }
      if ('outside' in check) {
        // her window closed before this call could be placed: it moves, whole, to her next window
        const moved = await withTransaction(d.pool, async (tx) => {
          if (!(await agendaRepo(tx).transition(item.id, ['planned'], 'skipped', { outcome: 'window_closed' }))) return null;
          return agendaRepo(tx).insertItem({ ...item, notBefore: check.outside.start, notAfter: check.outside.end, createdBy: 'system:dialer' });
        });
        if (moved) await d.enqueue([moved]);
        return 'moved';
      }
      if (!d.provider) throw new UnrecoverableError('no voice provider configured for outbound calls');
      return dial(job, token, item, check.msisdn, now);
    },

    /** Provider events of outbound attempts, each once (see inbound.onOutboundEvent). */
    async onEvent(attempt: CallAttempt, ev: CallEvent): Promise<void> {
      if (ev.answeredBy === 'machine') {
        // no message is ever left: a machine is hung up on and counts as no contact
        await d.inbound.provider(ev.provider)?.hangup(ev.providerCallId).catch(() => undefined);
        return settle(attempt, 'machine', ev.at);
      }
      if (ev.state === 'in_progress') return d.inbound.offerOutbound(attempt, ev.providerCallId);
      if (NO_CONTACT_STATES.has(ev.state) && !attempt.answeredAt) return settle(attempt, ev.state, ev.at);
      if (ev.state === 'completed' && !attempt.answeredAt) return settle(attempt, 'no_answer', ev.at);
    },

    /** The operator filed an outbound call: she spoke with her, or someone else answered. Inside the caller's transaction. */
    /** Null when the attempt's item was settled before (a control call's flow, then an operator). */
    async settleDisposition(tx: Queryable, attempt: CallAttempt, contact: boolean, at: Date): Promise<AgendaItem[] | null> {
      return settleIn(tx, attempt, contact ? 'contacted' : 'answered_not_her', at);
    },
  };

  async function dial(job: Job<DialJob>, token: string | undefined, item: AgendaItem, msisdn: string, now: Date): Promise<string> {
    const attemptId = randomUUID();
    // a control call runs the IVR flow `control`: nobody is reserved for it (dialer/control)
    const control = item.kind === 'control';
    const operatorId = control ? null : await desk.reserve(attemptId, d.keepFreeOperators);
    if (!control && !operatorId) {
      // progressive dialling: no free operator, no call; try again shortly, inside her window
      await job.moveToDelayed(Math.min(now.getTime() + d.noOperatorRetryMs, item.notAfter.getTime()), token);
      throw new DelayedError();
    }
    const claimed = await withTransaction(d.pool, async (tx) => {
      if (!(await agendaRepo(tx).transition(item.id, ['planned'], 'dialling', { callAttemptId: undefined }))) return false;
      await callsRepo(tx).insert({ id: attemptId, direction: 'outbound', line: 'outbound', kind: item.kind === 'control' ? 'D' : 'B',
        provider: d.provider!, providerCallId: `pending-${attemptId}`, caller: msisdn, usuariaId: item.usuariaId, terminalId: null,
        agendaItemId: item.id, startedAt: now });
      await tx.query('update agenda_items set call_attempt_id = $2 where id = $1', [item.id, attemptId]);
      if (operatorId) await callsRepo(tx).setOperator(attemptId, operatorId);
      return true;
    });
    if (!claimed) {
      if (operatorId) await d.inbound.release(operatorId);
      return 'not_planned';
    }
    const target = operatorId ? { operatorId, device: (await d.pool.query<{ device_uri: string }>('select device_uri from users where id = $1', [operatorId])).rows[0]!.device_uri } : undefined;
    const provider = d.inbound.provider(d.provider!)!;
    try {
      const { providerCallId } = await provider.placeCall({ to: msisdn, callerId: d.neutralNumber, attemptId, ringTimeoutS: d.ringTimeoutS,
        detectMachine: true, ...(control ? { flow: 'control' } : { operator: target }) });
      await d.pool.query('update call_attempts set provider_call_id = $2 where id = $1', [attemptId, providerCallId]);
      await d.inbound.replayPending(d.provider!, providerCallId);
      d.log.info({ attemptId, jobId: job.id, to: maskPhone(msisdn) }, 'outbound call placed');
      return 'placed';
    } catch (err) {
      // the provider refused: the attempt never reached her; it is not a failed attempt
      await withTransaction(d.pool, async (tx) => {
        await agendaRepo(tx).transition(item.id, ['dialling'], 'planned');
        await tx.query(`update call_attempts set outcome = 'not_placed', ended_at = $2 where id = $1`, [attemptId, now]);
      });
      if (operatorId) await d.inbound.release(operatorId);
      throw err;
    }
  }

  /** Exactly once per attempt: the item moves out of `dialling` once, and only that run plans what follows. */
  async function settleIn(tx: Queryable, attempt: CallAttempt, outcome: string, at: Date): Promise<AgendaItem[] | null> {
    const contact = outcome === 'contacted';
    const item = await agendaRepo(tx).settleDialling(attempt.id, contact ? 'done' : 'failed', outcome);
    if (!item) return null;
    const now = d.clock.now();
    let next: (AgendaItem | null)[];
    if (!contact) {
      next = [await d.planner.noContact(tx, item, at, now)];
    } else {
      await agendaRepo(tx).closeOccasion(item.occasionId, 'contact', at, 'system:dialer');
      const daily = item.kind === 'post_emergency' ? await d.planner.nextPostEmergency(tx, item, at) : null;
      next = [daily, await d.planner.contact(tx, item.usuariaId, at, now)];
    }
    return next.filter((i): i is AgendaItem => i !== null);
  }

  async function settle(attempt: CallAttempt, outcome: string, at: Date): Promise<void> {
    await d.enqueue(await withTransaction(d.pool, async (tx) => await settleIn(tx, attempt, outcome, at) ?? []));
    // a reserved operator whose call never connected is free again at once
    if (attempt.operatorId && !attempt.answeredAt) await d.inbound.release(attempt.operatorId);
  }
}


export type OutboundCalls = ReturnType<typeof outboundCalls>;
