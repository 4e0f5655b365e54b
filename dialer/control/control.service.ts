import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';
import { agendaRepo, type AgendaItem } from '../../store/agenda.repo.ts';
import { callsRepo } from '../../store/calls.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../../store/db.ts';
import { technicalRepo, type ControlReason } from '../../store/technical.repo.ts';
import { policyOf, type Planner } from '../planner.ts';
import { controlSlot, testCallDeadline, verdictOf, type ControlConfig } from './rules.ts';
import { superviseOnce } from './supervision.ts';
import { controlSucceeded, onTerminalCall, type TerminalCall, type TerminalCallResult } from './terminal-calls.ts';

export interface TechnicalControlDeps {
  pool: Pool; clock: Clock; log: Logger; planner: Planner; config: ControlConfig;
  /** Items to enqueue once the transaction that planned them has committed (the dialer's enqueue). */
  enqueue(items: AgendaItem[]): Promise<void>;
  /** Schedules the job that closes a control call whose test call has not come by `deadline`. */
  scheduleTimeout(controlCallId: string, deadline: Date): Promise<void>;
}

export type FlowOutcomeResult = 'awaiting_test_call' | 'success' | 'retry' | 'noted' | 'ignored';

const SYSTEM = 'system:technical-control';

/**
 * Technical control (§10.1 D): control calls placed by the dialer with the IVR flow `control`, the
 * test calls that close them, self-test supervision. Postgres holds every state; BullMQ only times.
 * Neither a control call nor a self-test ever resets her follow-up clock (`last_communication_at`).
 */
export function technicalControl(d: TechnicalControlDeps) {
  const api = {
    /**
     * The IVR layer calls this when the `control` flow of an outbound control call sets an outcome
     * (`attemptId` is the OutboundCallRequest's). Idempotent: only the first outcome that settles the
     * attempt counts, later ones are ignored.
     * - `confirmed`: she identified herself and was asked to press her terminal's button. The
     *   attempt is done (not a communication: her follow-up clock stays), and her terminal's test call
     *   is awaited for CONTROL_TESTCALL_MINUTES; a test call that already came closes it at once.
     * - `emergency`: she pressed the emergency key or her panic button; the operator's disposition
     *   settles the attempt as for any answered call.
     * - anything else (not confirmed, hung up, wrong keys): no contact, retried by the dialer's rules.
     */
    async onFlowOutcome(attemptId: string, outcome: string, at: Date = d.clock.now()): Promise<FlowOutcomeResult> {
      const verdict = verdictOf(outcome);
      const now = d.clock.now();
      const done = await withTransaction(d.pool, async (tx) => {
        const repo = technicalRepo(tx);
        const found = await repo.controlOfAttempt(attemptId);
        if (!found) return { result: 'ignored' as const };
        // the terminal's row first, as a test call does: the two never miss each other
        await repo.lockTerminal(found.terminalId);
        const item = await agendaRepo(tx).byCallAttempt(attemptId);
        if (item?.status !== 'dialling') return { result: 'ignored' as const };
        const control = (await repo.controlById(found.id))!;
        // a control call cancelled meanwhile (her terminal left service) still has its attempt settled
        const open = control.status === 'planned';
        if (open) await repo.setFlowOutcome(control.id, outcome);
        if (verdict === 'emergency') return { result: 'noted' as const };
        if (verdict === 'no_contact') {
          const settled = await agendaRepo(tx).settleDialling(attemptId, 'failed', outcome);
          const next = settled ? await d.planner.noContact(tx, settled, at, now) : null;
          return { result: 'retry' as const, next };
        }
        await agendaRepo(tx).settleDialling(attemptId, 'done', 'confirmed');
        await agendaRepo(tx).closeOccasion(item.occasionId, 'contact', at, SYSTEM);
        if (!open) return { result: 'ignored' as const };
        const deadline = testCallDeadline(at, d.config.testCallMinutes);
        const awaiting = (await repo.startAwaiting(control.id, attemptId, at, deadline))!;
        const attempt = await callsRepo(tx).byId(attemptId);
        const early = await repo.firstCallFrom(control.usuariaId, control.terminalId, attempt?.startedAt ?? at, deadline);
        const closed = early && await repo.closeSuccess(awaiting.id, { attemptId: early.id, at: early.startedAt, line: early.line });
        if (closed) {
          await controlSucceeded(repo, closed);
          return { result: 'success' as const };
        }
        await repo.noteOnAttempt(attemptId, { status: 'awaiting_test_call', deadline });
        return { result: 'awaiting_test_call' as const, timeout: { id: control.id, deadline } };
      });
      if ('next' in done && done.next) await d.enqueue([done.next]);
      if ('timeout' in done && done.timeout) await d.scheduleTimeout(done.timeout.id, done.timeout.deadline);
      d.log.info({ attemptId, outcome: verdict, result: done.result }, 'control flow outcome');
      return done.result;
    },

    /**
     * The inbound path calls this for each call from a terminal it identified (see terminal-calls.ts):
     * a self-test, or the test call a control call awaits.
     */
    onTerminalCall(call: TerminalCall): Promise<TerminalCallResult> {
      return onTerminalCall(d.pool, call);
    },

    /**
     * Closes awaited test calls whose time is up (this one, or all): each becomes a technical incident
     * and an operator task. Returns how many were closed here.
     */
    async expire(controlCallId: string | null = null): Promise<number> {
      let total = 0;
      for (;;) {
        const n = await withTransaction(d.pool, async (tx) => {
          const now = d.clock.now();
          const repo = technicalRepo(tx);
          const expired = await repo.expireAwaiting(now, controlCallId);
          for (const c of expired) {
            const incidentId = await repo.openIncident({ usuariaId: c.usuariaId, callAttemptId: c.controlAttemptId, cause: 'control_no_test_call', at: now });
            await repo.setControlIncident(c.id, incidentId);
            await repo.insertTask({ terminalId: c.terminalId, usuariaId: c.usuariaId, incidentId, controlCallId: c.id, kind: 'control_no_test_call', at: now });
            if (c.controlAttemptId) await repo.noteOnAttempt(c.controlAttemptId, { status: 'no_test_call', incidentId });
            d.log.warn({ controlCallId: c.id, incidentId }, 'control call: no test call from the terminal');
          }
          return expired.length;
        });
        total += n;
        if (n < 100 || controlCallId) return total;
      }
    },

    /**
     * Plans a control call for this terminal in the first slot of her window from `notBefore`,
     * inside the caller's transaction; null when one is open already or she has no agenda.
     */
    async planControl(tx: Queryable, t: { terminalId: string; usuariaId: string }, reason: ControlReason, notBefore: Date): Promise<AgendaItem | null> {
      const repo = technicalRepo(tx);
      await repo.lockTerminal(t.terminalId);
      if (await repo.openControlOf(t.terminalId)) return null;
      const f = await agendaRepo(tx).facts(t.usuariaId);
      const policy = f && f.expedienteStatus === 'activa' ? policyOf(f) : null;
      if (!f || !policy) return null;
      const slot = controlSlot(policy.window, f.absences, notBefore);
      const occasionId = await repo.openControlOccasion(t.usuariaId, slot.plannedOn);
      if (!occasionId) return null;
      const item = await agendaRepo(tx).insertItem({ usuariaId: t.usuariaId, kind: 'control', occasionId, attempt: 1, plannedOn: slot.plannedOn,
        notBefore: slot.notBefore, notAfter: slot.notAfter, createdBy: SYSTEM });
      await repo.insertControlCall({ terminalId: t.terminalId, usuariaId: t.usuariaId, occasionId, reason, plannedAt: slot.notBefore });
      return item;
    },

    /** One run of the supervisor (its job scheduler runs it every few minutes; tests call it with the clock moved). */
    supervise: () => superviseOnce({ ...d, control: api }),
  };
  return api;
}

export type TechnicalControl = ReturnType<typeof technicalControl>;
