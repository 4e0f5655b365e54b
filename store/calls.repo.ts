import type { Queryable } from './db.ts';

export interface NewCallAttempt {
  id: string; direction: 'inbound' | 'outbound'; line: string; kind: 'A' | 'B' | 'C' | 'D' | null;
  provider: string; providerCallId: string; caller: string | null; usuariaId: string | null; terminalId: string | null;
  agendaItemId?: string | null; startedAt: Date;
}

export interface CallAttempt {
  id: string; direction: 'inbound' | 'outbound'; line: string; kind: string | null; provider: string; providerCallId: string;
  caller: string | null; usuariaId: string | null; terminalId: string | null; agendaItemId: string | null; operatorId: string | null;
  startedAt: Date; answeredAt: Date | null; endedAt: Date | null; outcome: string | null; disposition: Record<string, unknown> | null;
}

interface CallAttemptRow {
  id: string; direction: 'inbound' | 'outbound'; line: string; kind: string | null; provider: string; provider_call_id: string;
  caller: string | null; usuaria_id: string | null; terminal_id: string | null; agenda_item_id: string | null; operator_id: string | null;
  started_at: Date; answered_at: Date | null; ended_at: Date | null; outcome: string | null; disposition: Record<string, unknown> | null;
}

export const toCallAttempt = (r: CallAttemptRow): CallAttempt => ({
  id: r.id, direction: r.direction, line: r.line, kind: r.kind, provider: r.provider, providerCallId: r.provider_call_id,
  caller: r.caller, usuariaId: r.usuaria_id, terminalId: r.terminal_id, agendaItemId: r.agenda_item_id, operatorId: r.operator_id,
  startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at, outcome: r.outcome, disposition: r.disposition,
});

export interface CallEventRecord { seq: number; status: string; at: Date; final: boolean; answered: boolean; detail?: Record<string, unknown> | null }

const sql = {
  insert: `insert into call_attempts (id, direction, line, kind, provider, provider_call_id, caller, usuaria_id, terminal_id,
      agenda_item_id, started_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    on conflict (provider, provider_call_id) do nothing
    returning *`,
  byProviderId: 'select * from call_attempts where provider = $1 and provider_call_id = $2',
  setOperator: 'update call_attempts set operator_id = $2 where id = $1',
  // the operator on the attempt and, when the call is someone's, the audit of her ficha's pop: one commit
  setOperatorAudited: `with op as (update call_attempts set operator_id = $2::uuid where id = $1::uuid)
    insert into audit_log (actor_type, actor_id, action, usuaria_id, route, detail)
    select 'user', $2::uuid, $3::text, $4::uuid, $5::text, $6::jsonb where $4::uuid is not null`,
  event: `insert into call_events (call_attempt_id, seq, status, at, detail) values ($1, $2, $3, $4, $5)
    on conflict (call_attempt_id, seq, status) do nothing`,
  // the first answer wins; the first final state wins: a late or repeated event changes nothing
  apply: `update call_attempts set
      answered_at = case when $2 and answered_at is null then $4 else answered_at end,
      ended_at = case when $3 and outcome is null then $4 else ended_at end,
      outcome = case when $3 and outcome is null then $5 else outcome end
    where id = $1`,
  // byProviderId, event and apply in one statement (one round trip, atomic): the attempt as it was
  // before this event, and whether the event is new
  record: `with a as (select * from call_attempts where provider = $1 and provider_call_id = $2),
    ev as (insert into call_events (call_attempt_id, seq, status, at, detail) select a.id, $3::int, $4::text, $5::timestamptz, $6::jsonb from a
      on conflict (call_attempt_id, seq, status) do nothing returning call_attempt_id),
    applied as (update call_attempts c set
        answered_at = case when $7::boolean and c.answered_at is null then $5::timestamptz else c.answered_at end,
        ended_at = case when $8::boolean and c.outcome is null then $5::timestamptz else c.ended_at end,
        outcome = case when $8::boolean and c.outcome is null then $4::text else c.outcome end
      -- an event that changes nothing (ringing, a later final) leaves the row alone: no new version, no lock
      from ev where c.id = ev.call_attempt_id and (($7::boolean and c.answered_at is null) or ($8::boolean and c.outcome is null))
      returning c.id)
    select a.*, exists (select 1 from ev) as fresh from a`,
};

export function callsRepo(db: Queryable) {
  return {
    /** Writes the attempt once per provider call id; a repeated webhook finds the first row. */
    async insert(c: NewCallAttempt): Promise<CallAttempt> {
      const inserted = await db.query<CallAttemptRow>({ name: 'calls.insert', text: sql.insert, values: [c.id, c.direction, c.line,
        c.kind, c.provider, c.providerCallId, c.caller, c.usuariaId, c.terminalId, c.agendaItemId ?? null, c.startedAt] });
      if (inserted.rows[0]) return toCallAttempt(inserted.rows[0]);
      // a repeated webhook: the first one's row
      const { rows } = await db.query<CallAttemptRow>({ name: 'calls.by_provider_id', text: sql.byProviderId, values: [c.provider, c.providerCallId] });
      return toCallAttempt(rows[0]!);
    },
    async byProviderId(provider: string, providerCallId: string): Promise<CallAttempt | null> {
      const { rows } = await db.query<CallAttemptRow>({ name: 'calls.by_provider_id', text: sql.byProviderId, values: [provider, providerCallId] });
      return rows[0] ? toCallAttempt(rows[0]) : null;
    },
    async byId(id: string): Promise<CallAttempt | null> {
      const { rows } = await db.query<CallAttemptRow>('select * from call_attempts where id = $1', [id]);
      return rows[0] ? toCallAttempt(rows[0]) : null;
    },
    /** Records a provider event once (keyed by call, sequence and status) and folds it into the attempt. */
    async applyEvent(attemptId: string, e: CallEventRecord): Promise<boolean> {
      const { rowCount } = await db.query({ name: 'calls.event', text: sql.event, values: [attemptId, e.seq, e.status, e.at, e.detail ?? null] });
      if (rowCount === 0) return false;
      await db.query({ name: 'calls.apply', text: sql.apply, values: [attemptId, e.answered, e.final, e.at, e.status] });
      return true;
    },
    /**
     * A provider event of the attempt with this call id, recorded once and folded into it as
     * applyEvent does, in one statement. Null when no attempt has this call id (yet).
     */
    async recordEvent(provider: string, providerCallId: string, e: CallEventRecord): Promise<{ attempt: CallAttempt; fresh: boolean } | null> {
      const { rows } = await db.query<CallAttemptRow & { fresh: boolean }>({ name: 'calls.record_event', text: sql.record,
        values: [provider, providerCallId, e.seq, e.status, e.at, e.detail ?? null, e.answered, e.final] });
      return rows[0] ? { attempt: toCallAttempt(rows[0]), fresh: rows[0].fresh } : null;
    },
    async setOperator(attemptId: string, operatorId: string): Promise<void> {
      await db.query({ name: 'calls.set_operator', text: sql.setOperator, values: [attemptId, operatorId] });
    },
    /**
     * The attempt is hers (`operatorId`), and the pop that showed her its usuaria's ficha is
     * audited as a read by her (audit_log, as audit.repo.ts writes it), in one statement.
     */
    async setOperatorAudited(attemptId: string, operatorId: string, audit: { action: string; usuariaId: string | null; route: string;
      detail: Record<string, unknown> }): Promise<void> {
      await db.query({ name: 'calls.set_operator_audited', text: sql.setOperatorAudited,
        values: [attemptId, operatorId, audit.action, audit.usuariaId, audit.route, audit.detail] });
    },
    async setDisposition(attemptId: string, kind: string, disposition: Record<string, unknown>): Promise<boolean> {
      const { rowCount } = await db.query('update call_attempts set kind = $2, disposition = $3 where id = $1 and disposition is null',
        [attemptId, kind, disposition]);
      return rowCount === 1;
    },
    async recentOf(usuariaId: string, limit: number): Promise<CallAttempt[]> {
      const { rows } = await db.query<CallAttemptRow>(
        'select * from call_attempts where usuaria_id = $1 order by started_at desc limit $2', [usuariaId, limit]);
      return rows.map(toCallAttempt);
    },
  };
}
