import type { Queryable } from '../store/db.ts';
import { agendaRepo, type AgendaItem, type PlanningFacts } from '../store/agenda.repo.ts';
import { nextAfterFailedOccasion, nextFollowUp, postEmergencyFollowUp, retryOf, type Policy, type PlannedCall } from './rules.ts';
import type { CallWindow, Weekday } from './window.ts';

/** What the contact-loss procedure needs to hear from the dialer (dialer/contact-loss). */
export interface ContactLossHooks {
  onOccasionFailed(tx: Queryable, usuariaId: string, at: Date): Promise<unknown>;
  /** A request to collaborate (a reminder of a repair appointment) failed with its retries: Anexo IV step 5. */
  onCollaborationFailed(tx: Queryable, usuariaId: string, at: Date): Promise<unknown>;
  onContact(tx: Queryable, usuariaId: string, at: Date): Promise<unknown>;
}

const SYSTEM = 'system:dialer';

export function policyOf(f: PlanningFacts): Policy | null {
  if (!f.frequency || !f.weekdays || !f.windowFrom || !f.windowTo || !f.zone) return null;
  return { frequency: f.frequency, retries: (f.retries ?? 1) as Policy['retries'],
    window: { zone: f.zone, weekdays: f.weekdays as Weekday[], from: f.windowFrom, to: f.windowTo } };
}

/**
 * Turns facts into agenda rows, inside the caller's transaction. Every planned call exists here
 * first; the caller enqueues jobs for the returned items only after commit.
 */
export function planner(hooks: ContactLossHooks) {
  async function insertOccasion(tx: Queryable, f: PlanningFacts, plan: PlannedCall, kind: AgendaItem['kind'] = 'followup',
    incidentId: string | null = null): Promise<AgendaItem | null> {
    const repo = agendaRepo(tx);
    const occasion = await repo.openOccasion(f.usuariaId, kind, plan.plannedOn, incidentId);
    if (!occasion.created) return null; // one open follow-up per usuaria: planning twice plans once
    return repo.insertItem({ usuariaId: f.usuariaId, kind, occasionId: occasion.id, attempt: 1, plannedOn: plan.plannedOn,
      notBefore: plan.notBefore, notAfter: plan.notAfter, createdBy: SYSTEM, incidentId });
  }

  /** Her next follow-up from her last communication (or her alta), if she is in service with an agenda. */
  function followUpOf(f: PlanningFacts | null, now: Date): PlannedCall | null {
    const policy = f && f.expedienteStatus === 'activa' ? policyOf(f) : null;
    if (!f || !policy) return null;
    const since = f.lastCommunicationAt ?? (f.altaOn ? new Date(`${f.altaOn}T12:00:00Z`) : now);
    return nextFollowUp(policy, since, now, f.absences);
  }

  return {
    /** Plans her next follow-up from her last communication (or her alta), if she is in service with an agenda. */
    async planFollowUp(tx: Queryable, usuariaId: string, now: Date): Promise<AgendaItem | null> {
      const f = await agendaRepo(tx).facts(usuariaId);
      const plan = followUpOf(f, now);
      return f && plan ? insertOccasion(tx, f, plan) : null;
    },

    /**
     * planFollowUp for many usuarias at once, with a few set-based statements instead of a few per
     * usuaria: what planning everyone takes. Same rules, same one open follow-up per usuaria.
     */
    async planFollowUps(tx: Queryable, usuariaIds: string[], now: Date): Promise<AgendaItem[]> {
      const repo = agendaRepo(tx);
      const plans = (await repo.factsOf(usuariaIds)).flatMap((f) => {
        const plan = followUpOf(f, now);
        return plan ? [{ usuariaId: f.usuariaId, ...plan }] : [];
      });
      const opened = await repo.openFollowUps(plans);
      return repo.insertItems(plans.filter((p) => opened.has(p.usuariaId)).map((p) => ({ usuariaId: p.usuariaId, kind: 'followup',
        occasionId: opened.get(p.usuariaId)!, attempt: 1, plannedOn: p.plannedOn, notBefore: p.notBefore, notAfter: p.notAfter,
        createdBy: SYSTEM })));
    },

    /**
     * She spoke with the centre (§10.1 B): the clock restarts from now. Open follow-ups are
     * closed as contact, and the next one is planned from this communication.
     */
    async contact(tx: Queryable, usuariaId: string, at: Date, now: Date): Promise<AgendaItem | null> {
      const repo = agendaRepo(tx);
      await repo.setLastCommunication(usuariaId, at);
      for (const o of await repo.openOccasions(usuariaId, 'followup')) {
        await repo.cancelPlanned(o.id);
        await repo.closeOccasion(o.id, 'contact', at, SYSTEM);
      }
      await hooks.onContact(tx, usuariaId, at);
      return this.planFollowUp(tx, usuariaId, now);
    },

    /**
     * An attempt ended without contact: the occasion is retried (+24 h, in her window) while it has
     * retries left; then it fails, counts for Anexo IV, and the next occasion is planned.
     */
    async noContact(tx: Queryable, item: AgendaItem, at: Date, now: Date): Promise<AgendaItem | null> {
      const repo = agendaRepo(tx);
      const context = await repo.retryContext(item.occasionId, item.usuariaId);
      const f = context?.facts;
      const occasion = context?.occasion;
      if (!f || !occasion || occasion.status !== 'open') return null;
      if (item.kind === 'post_emergency') {
        await repo.closeOccasion(occasion.id, 'failed', at, SYSTEM);
        return this.nextPostEmergency(tx, item, at);
      }
      const policy = policyOf(f);
      const retry = policy && retryOf(policy, at, context.attempts, f.absences, occasion.plannedOn);
      if (retry) {
        return repo.insertItem({ usuariaId: item.usuariaId, kind: item.kind, occasionId: item.occasionId, attempt: item.attempt + 1,
          plannedOn: occasion.plannedOn, notBefore: retry.notBefore, notAfter: retry.notAfter, createdBy: SYSTEM });
      }
      await repo.closeOccasion(occasion.id, 'failed', at, SYSTEM);
      if (occasion.collaboration && f.expedienteStatus === 'activa') await hooks.onCollaborationFailed(tx, item.usuariaId, at);
      if (item.kind !== 'followup' || !policy || f.expedienteStatus !== 'activa') return null;
      await hooks.onOccasionFailed(tx, item.usuariaId, at);
      return insertOccasion(tx, f, nextAfterFailedOccasion(policy, occasion.plannedOn, now, f.absences));
    },

    /** The daily calls after an emergency go on, reached or not, until the incident is closed. */
    async nextPostEmergency(tx: Queryable, item: AgendaItem, at: Date): Promise<AgendaItem | null> {
      if (!item.incidentId) return null;
      const { rows } = await tx.query<{ status: string }>('select status from incidents where id = $1', [item.incidentId]);
      return rows[0]?.status === 'open' ? this.postEmergency(tx, item.usuariaId, item.incidentId, at) : null;
    },

    /** After an emergency: daily follow-ups, in her hours but any weekday, until the incident is closed. */
    async postEmergency(tx: Queryable, usuariaId: string, incidentId: string, after: Date): Promise<AgendaItem | null> {
      const f = await agendaRepo(tx).facts(usuariaId);
      const window: CallWindow | null = f && policyOf(f)?.window || null;
      if (!f || !window) return null;
      return insertOccasion(tx, f, postEmergencyFollowUp(window, after), 'post_emergency', incidentId);
    },
  };
}

export type Planner = ReturnType<typeof planner>;
