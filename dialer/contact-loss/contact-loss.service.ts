import { DateTime } from 'luxon';
import { auditActor, type Actor } from '../../access/actor.ts';
import { applyBaja } from '../../cases/index.ts';
import type { Clock } from '../../common/clock.ts';
import { conflict, forbidden, notFound } from '../../common/errors.ts';
import { auditRepo } from '../../store/audit.repo.ts';
import { contactLossRepo, type LossCaseRecord } from '../../store/contact-loss.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../../store/db.ts';
import { outboxRepo } from '../../store/outbox.repo.ts';
import { expedientesRepo } from '../../store/usuarias.repo.ts';
import { DEFAULT_CONFIG, FAILED_OCCASIONS_TO_OPEN, open, recoveredViaSocialServices, step, type ContactLossConfig,
  type Effect, type LossEvent, type LossOrigin, type Round, type Transition } from './machine.ts';

/** Who caused a transition the dialer or its worker made; a person's transitions carry her user id. */
export const SYSTEM_ACTOR = 'system:dialer';

export interface ContactLossDeps { pool: Pool; clock: Clock; config?: Partial<ContactLossConfig> }
export type Decision = { decision: 'confirm' } | { decision: 'reject'; reason: string };

/**
 * The operations of Anexo IV. Each runs in one transaction: the stage, the transition that led to
 * it and every effect (tasks, outbox notices, the baja itself) commit together or not at all.
 * The dialer's two hooks take its transaction; the rest open their own.
 */
export function contactLossService({ pool, clock, config }: ContactLossDeps) {
  const cfg: ContactLossConfig = { ...DEFAULT_CONFIG, ...config };

  /** Stores a transition of `c` (already in the store), with its cause, actor and time, and performs its effects. */
  async function apply(tx: Queryable, c: LossCaseRecord, t: Transition, actor: string, at: Date): Promise<LossCaseRecord> {
    const repo = contactLossRepo(tx);
    await repo.saveState(c.id, t.state);
    await repo.recordTransition({ caseId: c.id, from: t.from, to: t.to, cause: t.note ? `${t.cause}: ${t.note}` : t.cause, actor, at });
    const next = { ...c, ...t.state };
    for (const effect of t.effects) await perform(tx, next, effect, at);
    return next;
  }

  async function perform(tx: Queryable, c: LossCaseRecord, e: Effect, at: Date): Promise<void> {
    const repo = contactLossRepo(tx);
    switch (e.kind) {
      case 'create_person_tasks': return repo.createTasks(c.id, e.persons);
      case 'cancel_open_tasks': return repo.cancelOpenTasks(c.id, at);
      case 'notify_social_services': {
        const exp = await expedientesRepo(tx).openOf(c.usuariaId);
        if (!exp) throw conflict('La usuaria no tiene un expediente abierto.');
        // the notice names the expediente, never her: the sender renders it for the centre
        await outboxRepo(tx).add({ kind: 'contact_loss_notice', centreId: exp.centre_id, usuariaId: c.usuariaId, dueAt: at,
          payload: { caseId: c.id, expedienteCode: exp.code, round: c.round, reason: e.reason,
            replyDeadline: e.replyDeadline.toISOString(), requests: ['contrastar_telefonos', 'advertir_baja_por_falta_de_contacto'] } });
        return;
      }
      case 'apply_baja': {
        const bajaOn = DateTime.fromJSDate(e.at, { zone: cfg.zone }).toISODate()!;
        await applyBaja(tx, e.at, c.usuariaId, { cause: e.cause, bajaOn,
          notes: `Anexo IV: falta de contacto (ronda ${c.round}), confirmada por coordinación.` });
        return;
      }
    }
  }

  const dispatch = async (tx: Queryable, c: LossCaseRecord, event: LossEvent, actor: string, at: Date) => {
    const t = step(c, event, cfg);
    return t ? apply(tx, c, t, actor, at) : c;
  };

  /**
   * The round a new loss would open, or null when none opens yet. A loss is consecutive to the
   * previous case when that case ended with contact recovered after social services were notified
   * and "la siguiente comunicación de seguimiento" failed: that first failure opens the next round.
   * Otherwise a first round needs three failed occasions in a row since her last contact.
   */
  async function roundOfNewLoss(tx: Queryable, usuariaId: string, trailingFailed: number): Promise<Round | null> {
    const repo = contactLossRepo(tx);
    const last = await repo.lastClosedOf(usuariaId);
    if (last && recoveredViaSocialServices(last) && (await repo.firstFollowupAfter(usuariaId, last.closedAt!)) === 'failed') {
      return Math.min(last.round + 1, 3) as Round;
    }
    return trailingFailed >= FAILED_OCCASIONS_TO_OPEN ? 1 : null;
  }

  async function byIdLocked(tx: Queryable, caseId: string): Promise<LossCaseRecord> {
    const c = await contactLossRepo(tx).byId(caseId, true);
    if (!c) throw notFound('Procedimiento de pérdida de contacto no encontrado.');
    return c;
  }

  /** Two workers closing two occasions of hers at once must not both open a case. */
  const lock = (tx: Queryable, usuariaId: string) => tx.query('select 1 from usuarias where id = $1 for update', [usuariaId]);

  /** A new case may open only for a usuaria in service with none open. */
  async function openable(tx: Queryable, usuariaId: string): Promise<boolean> {
    if (await contactLossRepo(tx).openCaseOf(usuariaId)) return false;
    return (await expedientesRepo(tx).openOf(usuariaId))?.status === 'activa';
  }

  async function openCase(tx: Queryable, usuariaId: string, round: Round, origin: LossOrigin, at: Date): Promise<LossCaseRecord> {
    const repo = contactLossRepo(tx);
    const [first, ...rest] = open(round, at, await repo.contactPersonsOf(usuariaId), cfg, origin);
    let c = await repo.openCase(usuariaId, first!.state);
    await repo.recordTransition({ caseId: c.id, from: null, to: first!.to, cause: first!.cause, actor: SYSTEM_ACTOR, at });
    for (const effect of first!.effects) await perform(tx, c, effect, at);
    for (const t of rest) c = await apply(tx, c, t, SYSTEM_ACTOR, at);
    return c;
  }

  const audit = (tx: Queryable, actor: Actor, route: string, action: string, c: LossCaseRecord, detail: Record<string, unknown>) =>
    auditRepo(tx).write({ actor: auditActor(actor), action, usuariaId: c.usuariaId, route, detail: { caseId: c.id, ...detail } });

  return {
    config: cfg,

    /**
     * Called by the dialer, in its transaction, right after it marks a follow-up occasion failed.
     * Opens a case when the loss qualifies and none is open; otherwise only reports the count.
     */
    async onOccasionFailed(tx: Queryable, usuariaId: string, at: Date): Promise<{ trailingFailed: number; opened: LossCaseRecord | null }> {
      await lock(tx, usuariaId);
      const { failed } = await contactLossRepo(tx).trailingFailed(usuariaId);
      const round = await openable(tx, usuariaId) ? await roundOfNewLoss(tx, usuariaId, failed) : null;
      return { trailingFailed: failed, opened: round ? await openCase(tx, usuariaId, round, 'followups', at) : null };
    },

    /**
     * Called by the dialer, in its transaction, when a request to collaborate (a reminder of a
     * repair appointment) failed with its 24-hour retry: DOMAIN step 5, "then contact persons, then
     * the same escalation". It opens a case at once, chained to the last one as a lost contact is.
     */
    async onCollaborationFailed(tx: Queryable, usuariaId: string, at: Date): Promise<LossCaseRecord | null> {
      await lock(tx, usuariaId);
      if (!(await openable(tx, usuariaId))) return null;
      const repo = contactLossRepo(tx);
      const last = await repo.lastClosedOf(usuariaId);
      const chained = last && recoveredViaSocialServices(last) && (await repo.firstFollowupAfter(usuariaId, last.closedAt!)) !== 'contact';
      return openCase(tx, usuariaId, chained ? Math.min(last.round + 1, 3) as Round : 1, 'collaboration', at);
    },

    /** She spoke with the centre: an open case closes as contact recovered (and says whether through social services). */
    async onContact(tx: Queryable, usuariaId: string, at: Date, actor = SYSTEM_ACTOR): Promise<LossCaseRecord | null> {
      const c = await contactLossRepo(tx).openCaseOf(usuariaId, true);
      return c ? dispatch(tx, c, { type: 'contact_recovered', at }, actor, at) : null;
    },

    /**
     * An operator called a contact person. Reaching one is not contact with her (only her own
     * communication closes the case) but it is recorded; when every task is closed, step 2 follows.
     */
    async closeTask(actor: Actor, route: string, taskId: string, outcome: 'reached' | 'not_reached', notes: string | null) {
      if (actor.type !== 'user') throw forbidden();
      return withTransaction(pool, async (tx) => {
        const repo = contactLossRepo(tx);
        const found = await repo.task(taskId);
        if (!found) throw notFound('Tarea no encontrada.');
        // the case first, then the task: the order every other path locks them in
        let c = await byIdLocked(tx, found.caseId);
        const task = (await repo.task(taskId, true))!;
        if (task.status !== 'open') throw conflict('La tarea ya está cerrada.', { status: task.status });
        if (c.stage !== 'contacting_persons') throw conflict('El procedimiento ya no está en la fase de llamadas a personas de contacto.', { stage: c.stage });
        const now = clock.now();
        await repo.closeTask(taskId, outcome, actor.id, now, notes);
        await audit(tx, actor, route, 'contact_loss.task', c, { taskId, outcome });
        if (!(await repo.tasksOf(c.id)).some((t) => t.status === 'open')) {
          c = await dispatch(tx, c, { type: 'persons_exhausted', at: now }, actor.id, now);
        }
        return c;
      });
    },

    /** Social services report the date they intervened; the week of step 3 runs from it. */
    async recordIntervention(actor: Actor, route: string, caseId: string, interventionOn: string) {
      if (actor.type !== 'user') throw forbidden();
      return withTransaction(pool, async (tx) => {
        const now = clock.now();
        const interventionAt = DateTime.fromISO(interventionOn, { zone: cfg.zone }).startOf('day').toJSDate();
        let c = await dispatch(tx, await byIdLocked(tx, caseId), { type: 'social_services_intervened', at: now, interventionAt }, actor.id, now);
        await audit(tx, actor, route, 'contact_loss.intervention', c, { interventionOn });
        // a week may already have passed when the date is reported late: propose now, not at the next tick
        c = await dispatch(tx, c, { type: 'tick', now }, SYSTEM_ACTOR, now);
        return c;
      });
    },

    /** A coordinator confirms the proposed baja (through the same code path as any baja) or keeps her in service. */
    async decide(actor: Actor, route: string, caseId: string, d: Decision) {
      if (actor.type !== 'user') throw forbidden();
      return withTransaction(pool, async (tx) => {
        const c = await byIdLocked(tx, caseId);
        if (c.stage !== 'baja_proposed') throw conflict('Solo se puede decidir sobre una baja propuesta.', { stage: c.stage });
        const now = clock.now();
        const event: LossEvent = d.decision === 'confirm'
          ? { type: 'baja_confirmed', at: now, by: actor.id }
          : { type: 'baja_rejected', at: now, by: actor.id, reason: d.reason };
        const next = await dispatch(tx, c, event, actor.id, now);
        await audit(tx, actor, route, 'contact_loss.decision', c, { decision: d.decision });
        return next;
      });
    },

    /**
     * The deadlines of step 3, run periodically. Idempotent: a case already proposed or not yet due
     * is left as it is; a case whose expediente was closed by another baja is closed.
     */
    async tick(now = clock.now()): Promise<{ caseId: string; to: string }[]> {
      return withTransaction(pool, async (tx) => {
        const moved: { caseId: string; to: string }[] = [];
        for (const c of await contactLossRepo(tx).openForTick()) {
          const event: LossEvent = c.inService ? { type: 'tick', now } : { type: 'expediente_closed', at: now };
          const next = await dispatch(tx, c, event, SYSTEM_ACTOR, now);
          if (next.stage !== c.stage) moved.push({ caseId: c.id, to: next.stage });
        }
        return moved;
      });
    },
  };
}

export type ContactLossService = ReturnType<typeof contactLossService>;
