import type { Queryable } from './db.ts';

export type ItemKind = 'followup' | 'reminder' | 'post_emergency' | 'control';
export type ItemStatus = 'planned' | 'claimed' | 'dialling' | 'done' | 'failed' | 'cancelled' | 'skipped';

export interface AgendaItem {
  id: string; usuariaId: string; kind: ItemKind; occasionId: string; attempt: number; plannedOn: string;
  notBefore: Date; notAfter: Date; status: ItemStatus; note: string | null; createdBy: string; createdAt: Date;
  callAttemptId: string | null; outcome: string | null; incidentId: string | null;
}
interface ItemRow {
  id: string; usuaria_id: string; kind: ItemKind; occasion_id: string; attempt: number; planned_on: string; not_before: Date;
  not_after: Date; status: ItemStatus; note: string | null; created_by: string; created_at: Date; call_attempt_id: string | null;
  outcome: string | null; incident_id: string | null;
}
export const toAgendaItem = (r: ItemRow): AgendaItem => ({
  id: r.id, usuariaId: r.usuaria_id, kind: r.kind, occasionId: r.occasion_id, attempt: r.attempt, plannedOn: r.planned_on,
  notBefore: r.not_before, notAfter: r.not_after, status: r.status, note: r.note, createdBy: r.created_by, createdAt: r.created_at,
  callAttemptId: r.call_attempt_id, outcome: r.outcome, incidentId: r.incident_id,
});

/**
 * What planning needs to know of one usuaria, in one query. Her absences are all of them (a few in
 * her whole service): planning asks whether a given date falls in one, on the service's clock, so
 * none is left out by the database's own date.
 */
export interface PlanningFacts {
  usuariaId: string; expedienteStatus: string | null; altaOn: string | null; lastCommunicationAt: Date | null;
  frequency: 'quincenal' | 'mensual' | null; weekdays: number[] | null; windowFrom: string | null; windowTo: string | null;
  zone: 'Europe/Madrid' | 'Atlantic/Canary' | null; retries: number | null;
  absences: { startsOn: string; endsOn: string }[]; msisdn: string | null;
}

export interface NewItem { usuariaId: string; kind: ItemKind; occasionId: string; attempt: number; plannedOn: string;
  notBefore: Date; notAfter: Date; createdBy: string; note?: string | null; incidentId?: string | null }

const FACTS = `select u.id as "usuariaId", e.status as "expedienteStatus", e.alta_on as "altaOn",
    u.last_communication_at as "lastCommunicationAt", p.frequency, p.weekdays, to_char(p.window_from, 'HH24:MI') as "windowFrom",
    to_char(p.window_to, 'HH24:MI') as "windowTo", p.zone, p.retries,
    coalesce((select json_agg(json_build_object('startsOn', a.starts_on, 'endsOn', a.ends_on)) from agenda_absences a
      where a.usuaria_id = u.id), '[]') as absences,
    (select t.msisdn from terminals t where t.usuaria_id = u.id and t.status = 'active') as msisdn
  from usuarias u
  left join expedientes e on e.usuaria_id = u.id and e.status <> 'baja'
  left join agenda_policies p on p.usuaria_id = u.id`;

export function agendaRepo(db: Queryable) {
  return {
    async facts(usuariaId: string): Promise<PlanningFacts | null> {
      const { rows } = await db.query<PlanningFacts>({ name: 'agenda.facts', text: `${FACTS} where u.id = $1`, values: [usuariaId] });
      return rows[0] ?? null;
    },
    /** The facts of several usuarias in one query (planning in batches); the ones not found are left out. */
    async factsOf(usuariaIds: string[]): Promise<PlanningFacts[]> {
      if (!usuariaIds.length) return [];
      const { rows } = await db.query<PlanningFacts>({ name: 'agenda.facts_of', text: `${FACTS} where u.id = any($1::uuid[])`, values: [usuariaIds] });
      return rows;
    },
    /**
     * Opens a follow-up occasion for each usuaria that has no open one, in one statement; returns
     * usuaria -> occasion for those opened here only (one open follow-up per usuaria, as openOccasion).
     */
    async openFollowUps(occasions: { usuariaId: string; plannedOn: string }[]): Promise<Map<string, string>> {
      if (!occasions.length) return new Map();
      const { rows } = await db.query<{ id: string; usuaria_id: string }>(`insert into followup_occasions (usuaria_id, kind, planned_on)
        select u, 'followup', d from unnest($1::uuid[], $2::date[]) as x(u, d)
        on conflict (usuaria_id) where status = 'open' and kind = 'followup' do nothing returning id, usuaria_id`,
      [occasions.map((o) => o.usuariaId), occasions.map((o) => o.plannedOn)]);
      return new Map(rows.map((r) => [r.usuaria_id, r.id]));
    },
    /** The open occasion of this kind, or a new one. A follow-up occasion is unique while open. */
    /** `collaboration`: a request to collaborate (Anexo IV step 5) whose failure escalates like lost contact. */
    async openOccasion(usuariaId: string, kind: ItemKind, plannedOn: string, incidentId: string | null = null,
      collaboration = false): Promise<{ id: string; created: boolean }> {
      const { rows } = await db.query<{ id: string }>(`insert into followup_occasions (usuaria_id, kind, planned_on, incident_id, collaboration)
        values ($1, $2, $3, $4, $5) on conflict (usuaria_id) where status = 'open' and kind = 'followup' do nothing returning id`,
        [usuariaId, kind, plannedOn, incidentId, collaboration]);
      if (rows[0]) return { id: rows[0].id, created: true };
      const open = await db.query<{ id: string }>(`select id from followup_occasions where usuaria_id = $1 and status = 'open' and kind = $2`,
        [usuariaId, kind]);
      return { id: open.rows[0]!.id, created: false };
    },
    async occasion(id: string): Promise<{ id: string; usuariaId: string; kind: ItemKind; plannedOn: string; status: string; incidentId: string | null } | null> {
      const { rows } = await db.query({ name: 'agenda.occasion', text: `select id, usuaria_id as "usuariaId", kind, planned_on as "plannedOn",
        status, incident_id as "incidentId" from followup_occasions where id = $1 for update`, values: [id] });
      return rows[0] ?? null;
    },
    async openOccasions(usuariaId: string, kind?: ItemKind): Promise<{ id: string; kind: ItemKind; plannedOn: string }[]> {
      const { rows } = await db.query(`select id, kind, planned_on as "plannedOn" from followup_occasions
        where usuaria_id = $1 and status = 'open' and ($2::text is null or kind = $2) for update`, [usuariaId, kind ?? null]);
      return rows;
    },
    /**
     * What settling an attempt without contact needs, in one round trip: her facts, the occasion
     * (locked, as `occasion`) and how many attempts it has had (as `attemptsOf`). Null when the
     * occasion does not exist. The count comes from the same statement as the lock: while an
     * occasion is open only its one live item can change how many attempts it has.
     */
    async retryContext(occasionId: string, usuariaId: string): Promise<{ facts: PlanningFacts | null;
      occasion: { id: string; usuariaId: string; kind: ItemKind; plannedOn: string; status: string; incidentId: string | null; collaboration: boolean };
      attempts: number } | null> {
      const { rows } = await db.query<PlanningFacts & { o_id: string; o_usuaria_id: string; o_kind: ItemKind; o_planned_on: string;
        o_status: string; o_incident_id: string | null; o_collaboration: boolean; attempts: number }>({ name: 'agenda.retry_context', text: `select f.*, o.id as o_id,
          o.usuaria_id as o_usuaria_id, o.kind as o_kind, o.planned_on as o_planned_on, o.status as o_status, o.incident_id as o_incident_id,
          o.collaboration as o_collaboration,
          (select count(*)::int from agenda_items i where i.occasion_id = o.id and i.status in ('claimed', 'dialling', 'done', 'failed')) as attempts
        from followup_occasions o left join lateral (${FACTS} where u.id = $2) f on true
        where o.id = $1 for update of o`, values: [occasionId, usuariaId] });
      const r = rows[0];
      if (!r) return null;
      const { o_id, o_usuaria_id, o_kind, o_planned_on, o_status, o_incident_id, o_collaboration, attempts, ...facts } = r;
      return { facts: facts.usuariaId ? facts : null, attempts, occasion: { id: o_id, usuariaId: o_usuaria_id, kind: o_kind,
        plannedOn: o_planned_on, status: o_status, incidentId: o_incident_id, collaboration: o_collaboration } };
    },
    /** Closes an occasion once; false when it was already closed. */
    async closeOccasion(id: string, status: 'contact' | 'failed' | 'cancelled', at: Date, by: string): Promise<boolean> {
      const { rowCount } = await db.query(`update followup_occasions set status = $2, closed_at = $3, closed_by = $4
        where id = $1 and status = 'open'`, [id, status, at, by]);
      return rowCount === 1;
    },
    async insertItem(i: NewItem): Promise<AgendaItem> {
      const { rows } = await db.query<ItemRow>({ name: 'agenda.insert_item', text: `insert into agenda_items (usuaria_id, kind, occasion_id,
        attempt, planned_on, not_before, not_after, created_by, note, incident_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
        values: [i.usuariaId, i.kind, i.occasionId, i.attempt, i.plannedOn, i.notBefore, i.notAfter, i.createdBy, i.note ?? null, i.incidentId ?? null] });
      return toAgendaItem(rows[0]!);
    },
    /**
     * insertItem for many items, in one statement. Only what the database chose comes back (ids and
     * creation times); the rest is what was written. A new item is live, so at most one per occasion.
     */
    async insertItems(items: NewItem[]): Promise<AgendaItem[]> {
      if (!items.length) return [];
      const col = <T>(f: (i: NewItem) => T) => items.map(f);
      const { rows } = await db.query<{ id: string; occasion_id: string; created_at: Date }>(`insert into agenda_items (usuaria_id, kind,
          occasion_id, attempt, planned_on, not_before, not_after, created_by, note, incident_id)
        select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::smallint[], $5::date[], $6::timestamptz[], $7::timestamptz[],
          $8::text[], $9::text[], $10::uuid[]) returning id, occasion_id, created_at`,
      [col((i) => i.usuariaId), col((i) => i.kind), col((i) => i.occasionId), col((i) => i.attempt), col((i) => i.plannedOn),
        col((i) => i.notBefore), col((i) => i.notAfter), col((i) => i.createdBy), col((i) => i.note ?? null), col((i) => i.incidentId ?? null)]);
      const written = new Map(items.map((i) => [i.occasionId, i]));
      return rows.map((r) => {
        const i = written.get(r.occasion_id)!;
        return { id: r.id, usuariaId: i.usuariaId, kind: i.kind, occasionId: i.occasionId, attempt: i.attempt, plannedOn: i.plannedOn,
          notBefore: i.notBefore, notAfter: i.notAfter, status: 'planned', note: i.note ?? null, createdBy: i.createdBy, createdAt: r.created_at,
          callAttemptId: null, outcome: null, incidentId: i.incidentId ?? null };
      });
    },
    async item(id: string, forUpdate = false): Promise<AgendaItem | null> {
      const { rows } = await db.query<ItemRow>(`select * from agenda_items where id = $1${forUpdate ? ' for update' : ''}`, [id]);
      return rows[0] ? toAgendaItem(rows[0]) : null;
    },
    async byCallAttempt(callAttemptId: string): Promise<AgendaItem | null> {
      const { rows } = await db.query<ItemRow>('select * from agenda_items where call_attempt_id = $1 for update', [callAttemptId]);
      return rows[0] ? toAgendaItem(rows[0]) : null;
    },
    /**
     * Moves the item of this call attempt out of `dialling`, once: byCallAttempt and transition in
     * one statement. Null when no item of it is dialling (settled already, or never one).
     */
    async settleDialling(callAttemptId: string, to: ItemStatus, outcome: string): Promise<AgendaItem | null> {
      const { rows } = await db.query<ItemRow>({ name: 'agenda.settle_dialling', text: `update agenda_items set status = $2, outcome = $3,
        updated_at = now() where call_attempt_id = $1 and status = 'dialling' returning *`, values: [callAttemptId, to, outcome] });
      return rows[0] ? toAgendaItem(rows[0]) : null;
    },
    /** Moves an item from one status to another; false when it was not in `from` (someone else got there first). */
    async transition(id: string, from: ItemStatus[], to: ItemStatus, patch: { outcome?: string; callAttemptId?: string } = {}): Promise<boolean> {
      const { rowCount } = await db.query(`update agenda_items set status = $3, outcome = coalesce($4, outcome),
        call_attempt_id = coalesce($5, call_attempt_id), claimed_at = case when $3 = 'claimed' then now() else claimed_at end,
        updated_at = now() where id = $1 and status = any($2)`, [id, from, to, patch.outcome ?? null, patch.callAttemptId ?? null]);
      return rowCount === 1;
    },
    async cancelPlanned(occasionId: string): Promise<number> {
      const { rowCount } = await db.query(`update agenda_items set status = 'cancelled', updated_at = now()
        where occasion_id = $1 and status = 'planned'`, [occasionId]);
      return rowCount ?? 0;
    },
    async attemptsOf(occasionId: string): Promise<number> {
      const { rows } = await db.query<{ n: number }>({ name: 'agenda.attempts_of', text: `select count(*)::int as n from agenda_items
        where occasion_id = $1 and status in ('claimed', 'dialling', 'done', 'failed')`, values: [occasionId] });
      return rows[0]!.n;
    },
    async setLastCommunication(usuariaId: string, at: Date): Promise<void> {
      await db.query(`update usuarias set last_communication_at = greatest(coalesce(last_communication_at, $2), $2) where id = $1`, [usuariaId, at]);
    },
    /** Planned items whose window opens before `until`: what must have a job in the queue. */
    async plannedUntil(until: Date, limit: number): Promise<{ id: string; notBefore: Date; notAfter: Date }[]> {
      const { rows } = await db.query(`select id, not_before as "notBefore", not_after as "notAfter" from agenda_items
        where status = 'planned' and not_before <= $1 order by not_before limit $2`, [until, limit]);
      return rows;
    },
    /** Usuarias in service with an agenda and no open follow-up: each needs one planned. */
    async needingFollowUp(limit: number, after: string | null): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>(`select u.id from usuarias u
        join expedientes e on e.usuaria_id = u.id and e.status = 'activa'
        join agenda_policies p on p.usuaria_id = u.id
        where ($2::uuid is null or u.id > $2)
          and not exists (select 1 from followup_occasions o where o.usuaria_id = u.id and o.status = 'open' and o.kind = 'followup')
        order by u.id limit $1`, [limit, after]);
      return rows.map((r) => r.id);
    },
    async itemsOf(usuariaId: string, from: Date): Promise<AgendaItem[]> {
      const { rows } = await db.query<ItemRow>(`select * from agenda_items where usuaria_id = $1 and (not_after >= $2 or status = 'planned')
        order by not_before`, [usuariaId, from]);
      return rows.map(toAgendaItem);
    },
    async planBetween(from: Date, to: Date): Promise<(AgendaItem & { expedienteCode: string | null })[]> {
      const { rows } = await db.query<ItemRow & { expediente_code: string | null }>(`select i.*, e.code as expediente_code from agenda_items i
        left join expedientes e on e.usuaria_id = i.usuaria_id and e.status <> 'baja'
        where i.not_before < $2 and i.not_after > $1 and i.status <> 'cancelled' order by i.not_before`, [from, to]);
      return rows.map((r) => ({ ...toAgendaItem(r), expedienteCode: r.expediente_code }));
    },
  };
}

export type AgendaRepo = ReturnType<typeof agendaRepo>;
