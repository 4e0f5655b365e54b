import type { Queryable } from './db.ts';

// Stage and round are the machine's (dialer/contact-loss/machine.ts); the store only keeps them.
export type LossStage = 'contacting_persons' | 'social_services_notified' | 'baja_proposed' | 'closed_contact_recovered' | 'closed_baja';
export type TaskStatus = 'open' | 'reached' | 'not_reached' | 'cancelled';

export interface LossCaseRecord {
  id: string; usuariaId: string; round: 1 | 2 | 3; stage: LossStage; openedAt: Date; replyDeadline: Date | null;
  interventionAt: Date | null; proposedAt: Date | null; closedAt: Date | null; decidedBy: string | null; decidedAt: Date | null;
}
interface CaseRow {
  id: string; usuaria_id: string; round: 1 | 2 | 3; stage: LossStage; opened_at: Date; reply_deadline: Date | null;
  ss_intervention_at: Date | null; proposed_at: Date | null; closed_at: Date | null; decided_by: string | null; decided_at: Date | null;
}
const toCase = (r: CaseRow): LossCaseRecord => ({
  id: r.id, usuariaId: r.usuaria_id, round: r.round, stage: r.stage, openedAt: r.opened_at, replyDeadline: r.reply_deadline,
  interventionAt: r.ss_intervention_at, proposedAt: r.proposed_at, closedAt: r.closed_at, decidedBy: r.decided_by, decidedAt: r.decided_at,
});
export type CaseState = Omit<LossCaseRecord, 'id' | 'usuariaId'>;

export interface TransitionRecord { id: number; from: LossStage | null; to: LossStage; cause: string; actor: string; at: Date }
export interface LossTask {
  id: string; caseId: string; contactPersonId: string | null; priority: number; status: TaskStatus;
  doneBy: string | null; doneAt: Date | null; notes: string | null;
}
/** An open task with what the operator needs to place the call. */
export interface OpenTaskView extends LossTask {
  usuariaId: string; expedienteCode: string | null; fullName: string | null; relationship: string | null;
  phone1: string | null; phone2: string | null;
}
export interface QueueRow extends LossCaseRecord {
  expedienteCode: string | null; tasksOpen: number; tasksReached: number; tasksNotReached: number;
}
export interface NoContactRow {
  usuariaId: string; expedienteCode: string; lastCommunicationAt: Date | null; lastContactAt: Date | null;
  failedOccasions: number; firstFailedOn: string; caseId: string | null; stage: LossStage | null;
}

// Anexo IV counts follow-up occasions "consecutivas" since she last spoke with the centre: the
// count starts after her last communication (her own calls included, §10.1 B) and after the last
// closed case (its end was contact, or a baja), and stops at an occasion that reached her. An
// occasion cancelled for an absence she reported is no occasion at all: skipped, never failed.
const TRAILING = `
  select count(*)::int as failed, min(s.planned_on) as first_failed_on from (
    select o.status, o.planned_on,
           count(*) filter (where o.status = 'contact') over (order by o.planned_on desc, o.closed_at desc nulls last) as contacts_after
      from followup_occasions o
     where o.usuaria_id = $1 and o.kind = 'followup' and o.status in ('contact', 'failed')
       and o.closed_at > coalesce(greatest(
             (select u.last_communication_at from usuarias u where u.id = o.usuaria_id),
             (select max(c.closed_at) from contact_loss_cases c where c.usuaria_id = o.usuaria_id)), '-infinity')
  ) s where s.contacts_after = 0`;

const TASK_COLS = `t.id, t.case_id as "caseId", t.contact_person_id as "contactPersonId", t.priority, t.status,
  t.done_by as "doneBy", t.done_at as "doneAt", t.notes`;

export function contactLossRepo(db: Queryable) {
  return {
    async openCase(usuariaId: string, s: CaseState): Promise<LossCaseRecord> {
      const { rows } = await db.query<CaseRow>({ name: 'contact_loss.open', text: `insert into contact_loss_cases
        (usuaria_id, round, stage, opened_at, reply_deadline, ss_intervention_at, proposed_at, closed_at, decided_by, decided_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
      values: [usuariaId, s.round, s.stage, s.openedAt, s.replyDeadline, s.interventionAt, s.proposedAt, s.closedAt, s.decidedBy, s.decidedAt] });
      return toCase(rows[0]!);
    },
    async saveState(id: string, s: CaseState): Promise<void> {
      await db.query({ name: 'contact_loss.save', text: `update contact_loss_cases set stage = $2, reply_deadline = $3,
        ss_intervention_at = $4, proposed_at = $5, closed_at = $6, decided_by = $7, decided_at = $8 where id = $1`,
      values: [id, s.stage, s.replyDeadline, s.interventionAt, s.proposedAt, s.closedAt, s.decidedBy, s.decidedAt] });
    },
    /** Her open case, locked for the caller's transaction when asked. */
    async openCaseOf(usuariaId: string, forUpdate = false): Promise<LossCaseRecord | null> {
      const { rows } = await db.query<CaseRow>(`select * from contact_loss_cases where usuaria_id = $1 and closed_at is null
        ${forUpdate ? 'for update' : ''}`, [usuariaId]);
      return rows[0] ? toCase(rows[0]) : null;
    },
    async byId(id: string, forUpdate = false): Promise<LossCaseRecord | null> {
      const { rows } = await db.query<CaseRow>(`select * from contact_loss_cases where id = $1 ${forUpdate ? 'for update' : ''}`, [id]);
      return rows[0] ? toCase(rows[0]) : null;
    },
    /** Her most recent closed case: how it ended decides whether a new loss is consecutive. */
    async lastClosedOf(usuariaId: string): Promise<LossCaseRecord | null> {
      const { rows } = await db.query<CaseRow>(`select * from contact_loss_cases where usuaria_id = $1 and closed_at is not null
        order by closed_at desc limit 1`, [usuariaId]);
      return rows[0] ? toCase(rows[0]) : null;
    },
    /** Open cases for the periodic tick, skipping any another worker holds; with whether she is still in service. */
    async openForTick(): Promise<(LossCaseRecord & { inService: boolean })[]> {
      const { rows } = await db.query<CaseRow & { in_service: boolean }>(`select c.*, exists (select 1 from expedientes e
          where e.usuaria_id = c.usuaria_id and e.status <> 'baja') as in_service
        from contact_loss_cases c where c.closed_at is null order by c.opened_at for update of c skip locked`);
      return rows.map((r) => ({ ...toCase(r), inService: r.in_service }));
    },
    async recordTransition(t: { caseId: string; from: LossStage | null; to: LossStage; cause: string; actor: string; at: Date }): Promise<void> {
      await db.query({ name: 'contact_loss.transition', text: `insert into contact_loss_transitions (case_id, from_stage, to_stage, cause, actor, at)
        values ($1, $2, $3, $4, $5, $6)`, values: [t.caseId, t.from, t.to, t.cause, t.actor, t.at] });
    },
    async transitionsOf(caseId: string): Promise<TransitionRecord[]> {
      const { rows } = await db.query<TransitionRecord>(`select id, from_stage as "from", to_stage as "to", cause, actor, at
        from contact_loss_transitions where case_id = $1 order by id`, [caseId]);
      return rows;
    },

    /** Her contact persons by priority: ids only, the task screen reads the rest. */
    async contactPersonsOf(usuariaId: string): Promise<{ id: string; priority: number }[]> {
      const { rows } = await db.query<{ id: string; priority: number }>(
        'select id, priority from contact_persons where usuaria_id = $1 order by priority', [usuariaId]);
      return rows;
    },
    async createTasks(caseId: string, persons: { id: string; priority: number }[]): Promise<void> {
      if (!persons.length) return;
      await db.query(`insert into contact_loss_tasks (case_id, contact_person_id, priority)
        select $1, p.id, p.priority from unnest($2::uuid[], $3::smallint[]) as p(id, priority)`,
      [caseId, persons.map((p) => p.id), persons.map((p) => p.priority)]);
    },
    async task(id: string, forUpdate = false): Promise<LossTask | null> {
      const { rows } = await db.query<LossTask>(`select ${TASK_COLS} from contact_loss_tasks t where t.id = $1
        ${forUpdate ? 'for update' : ''}`, [id]);
      return rows[0] ?? null;
    },
    async closeTask(id: string, status: 'reached' | 'not_reached', by: string, at: Date, notes: string | null): Promise<void> {
      await db.query(`update contact_loss_tasks set status = $2, done_by = $3, done_at = $4, notes = $5 where id = $1`,
        [id, status, by, at, notes]);
    },
    async cancelOpenTasks(caseId: string, at: Date): Promise<void> {
      await db.query(`update contact_loss_tasks set status = 'cancelled', done_at = $2 where case_id = $1 and status = 'open'`, [caseId, at]);
    },
    async tasksOf(caseId: string): Promise<LossTask[]> {
      const { rows } = await db.query<LossTask>(`select ${TASK_COLS} from contact_loss_tasks t where t.case_id = $1
        order by t.priority, t.id`, [caseId]);
      return rows;
    },
    /** Every open task with the contact person to call, by case age and then priority. */
    async openTasks(): Promise<OpenTaskView[]> {
      const { rows } = await db.query<OpenTaskView>(`select ${TASK_COLS}, c.usuaria_id as "usuariaId", e.code as "expedienteCode",
          p.full_name as "fullName", p.relationship, p.phone1, p.phone2
        from contact_loss_tasks t join contact_loss_cases c on c.id = t.case_id
        left join contact_persons p on p.id = t.contact_person_id
        left join expedientes e on e.usuaria_id = c.usuaria_id and e.status <> 'baja'
        where t.status = 'open' order by c.opened_at, t.priority`);
      return rows;
    },

    /** The coordinator's queue: every open case with its expediente and how its tasks stand. */
    async queue(): Promise<QueueRow[]> {
      const { rows } = await db.query<CaseRow & { expediente_code: string | null; open: number; reached: number; not_reached: number }>(
        `select c.*, e.code as expediente_code,
           (select count(*) from contact_loss_tasks t where t.case_id = c.id and t.status = 'open')::int as open,
           (select count(*) from contact_loss_tasks t where t.case_id = c.id and t.status = 'reached')::int as reached,
           (select count(*) from contact_loss_tasks t where t.case_id = c.id and t.status = 'not_reached')::int as not_reached
         from contact_loss_cases c left join expedientes e on e.usuaria_id = c.usuaria_id and e.status <> 'baja'
         where c.closed_at is null order by c.opened_at`);
      return rows.map((r) => ({ ...toCase(r), expedienteCode: r.expediente_code, tasksOpen: r.open, tasksReached: r.reached,
        tasksNotReached: r.not_reached }));
    },

    /** Follow-up occasions failed in a row since she last spoke with the centre (see TRAILING). */
    async trailingFailed(usuariaId: string): Promise<{ failed: number; firstFailedOn: string | null }> {
      const { rows } = await db.query<{ failed: number; first_failed_on: string | null }>(
        { name: 'contact_loss.trailing', text: TRAILING, values: [usuariaId] });
      return { failed: rows[0]?.failed ?? 0, firstFailedOn: rows[0]?.first_failed_on ?? null };
    },
    /**
     * The first follow-up occasion closed after `since` (an absence skipped): "la siguiente
     * comunicación de seguimiento" after a recovery. Null while there is none yet.
     */
    async firstFollowupAfter(usuariaId: string, since: Date): Promise<'contact' | 'failed' | null> {
      const { rows } = await db.query<{ status: 'contact' | 'failed' }>(`select status from followup_occasions
        where usuaria_id = $1 and kind = 'followup' and status in ('contact', 'failed') and closed_at > $2
        order by closed_at, planned_on limit 1`, [usuariaId, since]);
      return rows[0]?.status ?? null;
    },

    /**
     * Usuarias in service with at least one failed occasion since her last contact, and no contact
     * for `days` or more: visible from the first failed occasion, long before Anexo IV opens a case.
     */
    async noContact(days: number, now: Date): Promise<NoContactRow[]> {
      const { rows } = await db.query<NoContactRow>(`select * from (
          select u.id as "usuariaId", e.code as "expedienteCode", u.last_communication_at as "lastCommunicationAt",
                 coalesce(greatest(u.last_communication_at,
                   (select max(o.closed_at) from followup_occasions o where o.usuaria_id = u.id and o.status = 'contact')),
                   e.alta_on::timestamptz) as "lastContactAt",
                 f.failed as "failedOccasions", f.first_failed_on as "firstFailedOn", c.id as "caseId", c.stage
            from usuarias u
            join expedientes e on e.usuaria_id = u.id and e.status = 'activa'
            cross join lateral (${TRAILING.replaceAll('$1', 'u.id')}) f
            left join contact_loss_cases c on c.usuaria_id = u.id and c.closed_at is null
           where f.failed >= 1) x
        where x."lastContactAt" is null or x."lastContactAt" <= $1::timestamptz - make_interval(days => $2)
        order by x."lastContactAt" nulls first`, [now, days]);
      return rows;
    },
  };
}
