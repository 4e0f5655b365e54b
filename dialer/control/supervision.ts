import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';
import type { AgendaItem } from '../../store/agenda.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../../store/db.ts';
import { technicalRepo, type ControlReason } from '../../store/technical.repo.ts';
import { controlDueAt, missedPeriods, type ControlConfig } from './rules.ts';

export interface SupervisionDeps {
  pool: Pool; clock: Clock; log: Logger; config: ControlConfig;
  enqueue(items: AgendaItem[]): Promise<void>;
  control: {
    expire(controlCallId?: string | null): Promise<number>;
    onFlowOutcome(attemptId: string, outcome: string, at?: Date): Promise<unknown>;
    planControl(tx: Queryable, t: { terminalId: string; usuariaId: string }, reason: ControlReason, notBefore: Date): Promise<AgendaItem | null>;
  };
}

export interface SupervisionReport {
  /** Awaited test calls that never came: incidents opened. */
  expired: number;
  /** Planned control calls whose occasion the dialer closed without a confirmation. */
  closed: number;
  /** Control attempts the IVR never reported on, settled as no contact. */
  settled: number;
  /** Missed self-test periods raised (one incident each). */
  overdue: number;
  /** Control calls planned because they fell due. */
  planned: number;
}

const BATCH = 200;
const MINUTE = 60_000;
const NO_OUTCOME_GRACE_MS = 30 * MINUTE;
const EMERGENCY_GRACE_MS = 24 * 60 * MINUTE;

/**
 * One run of the technical supervisor. Every step is keyed in Postgres, so a rerun, a second
 * instance or a crash halfway repeats nothing: a missed self-test period is raised once (its key is
 * terminal, last self-test, period number), a terminal has at most one open control call.
 */
export async function superviseOnce(d: SupervisionDeps): Promise<SupervisionReport> {
  const expired = await d.control.expire(null);
  const closed = await closeFinished(d);
  const settled = await settleUnreported(d);
  const overdue = await raiseOverdueSelftests(d);
  const planned = await planDueControls(d);
  return { expired, closed, settled, overdue, planned };
}

/** A control occasion that failed all its attempts leaves the operator a task; a skipped one just closes. */
async function closeFinished(d: SupervisionDeps): Promise<number> {
  return withTransaction(d.pool, async (tx) => {
    const repo = technicalRepo(tx);
    const now = d.clock.now();
    const closed = await repo.closeWithOccasions(now);
    for (const c of closed.filter((x) => x.status === 'not_done')) {
      await repo.insertTask({ terminalId: c.terminalId, usuariaId: c.usuariaId, incidentId: null, controlCallId: c.id, kind: 'control_not_done', at: now });
    }
    return closed.length;
  });
}

/** The IVR never said how a control call ended: after a grace period it counts as no contact, as a silent call would. */
async function settleUnreported(d: SupervisionDeps): Promise<number> {
  const now = d.clock.now().getTime();
  const stuck = await technicalRepo(d.pool).stuckControlAttempts(new Date(now - NO_OUTCOME_GRACE_MS), new Date(now - EMERGENCY_GRACE_MS));
  for (const attemptId of stuck) await d.control.onFlowOutcome(attemptId, 'no_flow_outcome', d.clock.now());
  return stuck.length;
}

/**
 * Terminals whose last self-test (or coming into service) is older than their model's period: each
 * missed period raises a technical incident and an operator task, once, and queues a control call.
 */
async function raiseOverdueSelftests(d: SupervisionDeps): Promise<number> {
  let raised = 0;
  for (let round = 0; round < 50; round++) {
    const now = d.clock.now();
    const late = await technicalRepo(d.pool).lateSelftests(now, d.config.selftestPeriodHours, BATCH);
    let progress = 0;
    for (const t of late) {
      const periodIndex = missedPeriods(t.since, t.periodHours, now);
      if (periodIndex < 1) continue;
      const planned = await withTransaction(d.pool, async (tx) => {
        const repo = technicalRepo(tx);
        const [row] = await repo.raiseOverdue([{ terminalId: t.terminalId, since: t.since, periodIndex }], now);
        if (!row) return null; // another run raised this period first
        const incidentId = await repo.openIncident({ usuariaId: t.usuariaId, callAttemptId: null, cause: 'selftest_overdue', at: now });
        await repo.setOverdueIncident(row, incidentId);
        await repo.insertTask({ terminalId: t.terminalId, usuariaId: t.usuariaId, incidentId, controlCallId: null, kind: 'selftest_overdue', at: now });
        d.log.warn({ terminalId: t.terminalId, incidentId, periodIndex }, 'terminal self-test overdue');
        return { item: await d.control.planControl(tx, t, 'selftest_overdue', now) };
      });
      if (!planned) continue;
      progress++;
      if (planned.item) await d.enqueue([planned.item]);
    }
    raised += progress;
    if (late.length < BATCH || progress === 0) return raised;
  }
  return raised;
}

/** Terminals whose control call is due (its period ran out, or a repair or replacement owes one): planned in her window. */
async function planDueControls(d: SupervisionDeps): Promise<number> {
  let planned = 0;
  for (let round = 0; round < 50; round++) {
    const now = d.clock.now();
    const candidates = await technicalRepo(d.pool).controlCandidates(now, d.config.controlPeriodMonths, d.config.retryDays, BATCH);
    let progress = 0;
    for (const c of candidates) {
      if (controlDueAt(c, c.periodMonths, d.config.retryDays) > now) continue;
      const item = await withTransaction(d.pool, (tx) => d.control.planControl(tx, c, c.owedFor ?? 'periodic', now));
      if (!item) continue;
      progress++;
      await d.enqueue([item]);
    }
    planned += progress;
    if (candidates.length < BATCH || progress === 0) return planned;
  }
  return planned;
}
