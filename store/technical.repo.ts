import type { Queryable } from './db.ts';

/** Technical control (§10.1 D): terminal models, control calls, overdue self-tests, tasks, delivery tests. */

export type ControlReason = 'periodic' | 'repair' | 'replacement' | 'selftest_overdue';
export type ControlStatus = 'planned' | 'awaiting_test_call' | 'success' | 'no_test_call' | 'not_done' | 'cancelled';
export type TechnicalCause = 'selftest_overdue' | 'control_no_test_call';
export type TaskKind = 'selftest_overdue' | 'control_no_test_call' | 'control_not_done';
export type DeliveryKind = 'reception' | 'emission';

export interface TerminalModel { model: string; selftestPeriodHours: number | null; controlPeriodMonths: number; updatedAt: Date }

export interface ControlCall {
  id: string; terminalId: string; usuariaId: string; occasionId: string; reason: ControlReason; status: ControlStatus;
  plannedAt: Date; controlAttemptId: string | null; flowOutcome: string | null; confirmedAt: Date | null; deadline: Date | null;
  testCallAttemptId: string | null; testCallAt: Date | null; incidentId: string | null; closedAt: Date | null;
}

interface ControlRow {
  id: string; terminal_id: string; usuaria_id: string; occasion_id: string; reason: ControlReason; status: ControlStatus;
  planned_at: Date; control_attempt_id: string | null; flow_outcome: string | null; confirmed_at: Date | null; deadline: Date | null;
  test_call_attempt_id: string | null; test_call_at: Date | null; incident_id: string | null; closed_at: Date | null;
}

export const toControlCall = (r: ControlRow): ControlCall => ({
  id: r.id, terminalId: r.terminal_id, usuariaId: r.usuaria_id, occasionId: r.occasion_id, reason: r.reason, status: r.status,
  plannedAt: r.planned_at, controlAttemptId: r.control_attempt_id, flowOutcome: r.flow_outcome, confirmedAt: r.confirmed_at,
  deadline: r.deadline, testCallAttemptId: r.test_call_attempt_id, testCallAt: r.test_call_at, incidentId: r.incident_id, closedAt: r.closed_at,
});

/** A terminal whose self-test is late, with what the supervisor needs to decide which period it is in. */
export interface SelftestCandidate { terminalId: string; usuariaId: string; since: Date; periodHours: number }

/** A terminal in service that has no open control call and may owe one. */
export interface ControlCandidate {
  terminalId: string; usuariaId: string; owedFor: 'repair' | 'replacement' | null; lastControlAt: Date | null;
  inServiceSince: Date; periodMonths: number; lastUnsuccessfulAt: Date | null;
}

export interface DeliveryTest { kind: DeliveryKind; result: 'ok' | 'failed'; at: Date; source: 'operator' | 'automatic' }

export interface TechnicalTask {
  id: string; kind: TaskKind; terminalId: string; usuariaId: string | null; expedienteCode: string | null; incidentId: string | null;
  controlCallId: string | null; createdAt: Date;
}

// when a terminal came into service: its creation, its return to service, or the day after its delivery (in Spain's main zone)
const IN_SERVICE_SINCE = `greatest(t.created_at, t.status_changed_at, (t.delivered_on + 1)::timestamp at time zone 'Europe/Madrid')`;
const IN_SERVICE = `t.status = 'active' and t.usuaria_id is not null
  and exists (select 1 from expedientes e where e.usuaria_id = t.usuaria_id and e.status = 'activa')`;

export function technicalRepo(db: Queryable) {
  return {
    async models(): Promise<TerminalModel[]> {
      const { rows } = await db.query(`select model, selftest_period_hours as "selftestPeriodHours",
        control_period_months as "controlPeriodMonths", updated_at as "updatedAt" from terminal_models order by model`);
      return rows;
    },
    async upsertModel(m: Omit<TerminalModel, 'updatedAt'>, at: Date): Promise<TerminalModel> {
      const { rows } = await db.query(`insert into terminal_models (model, selftest_period_hours, control_period_months, updated_at)
        values ($1, $2, $3, $4) on conflict (model) do update set selftest_period_hours = excluded.selftest_period_hours,
          control_period_months = excluded.control_period_months, updated_at = excluded.updated_at
        returning model, selftest_period_hours as "selftestPeriodHours", control_period_months as "controlPeriodMonths", updated_at as "updatedAt"`,
      [m.model, m.selftestPeriodHours, m.controlPeriodMonths, at]);
      return rows[0];
    },

    /** Locks the terminal row: every path that matches a test call to a control call goes through it, one at a time. */
    async lockTerminal(terminalId: string): Promise<{ id: string; usuariaId: string | null; status: string } | null> {
      const { rows } = await db.query({ name: 'technical.lock_terminal', text: `select id, usuaria_id as "usuariaId", status
        from terminals where id = $1 for update`, values: [terminalId] });
      return rows[0] ?? null;
    },
    /** A self-test never moves the time back: messages and calls can arrive out of order. */
    async recordSelftest(terminalId: string, at: Date): Promise<void> {
      await db.query({ name: 'technical.record_selftest', text: `update terminals
        set last_selftest_at = greatest(coalesce(last_selftest_at, $2), $2) where id = $1`, values: [terminalId, at] });
    },
    /** Her terminal passed a control call: the next one counts from here, and nothing is owed any more. */
    async markControlled(terminalId: string, at: Date): Promise<void> {
      await db.query(`update terminals set last_control_at = greatest(coalesce(last_control_at, $2), $2), control_owed_for = null
        where id = $1`, [terminalId, at]);
    },
    /** A repair or a replacement: a control call is owed as soon as her window allows. */
    async oweControl(terminalId: string, reason: 'repair' | 'replacement'): Promise<void> {
      await db.query('update terminals set control_owed_for = $2 where id = $1', [terminalId, reason]);
    },

    /** The terminal left service: its open control call is cancelled with its planned attempts (a call under way ends as it ends). */
    async cancelOpenControl(terminalId: string): Promise<number> {
      const { rowCount } = await db.query(`with c as (update control_calls set status = 'cancelled', closed_at = now()
          where terminal_id = $1 and status in ('planned', 'awaiting_test_call') returning occasion_id),
        o as (update followup_occasions set status = 'cancelled', closed_at = now(), closed_by = 'system:technical-control'
          where id in (select occasion_id from c) and status = 'open')
        update agenda_items set status = 'cancelled', outcome = 'terminal_out_of_service', updated_at = now()
          where occasion_id in (select occasion_id from c) and status = 'planned'`, [terminalId]);
      return rowCount ?? 0;
    },
    async openControlOccasion(usuariaId: string, plannedOn: string): Promise<string | null> {
      const { rows } = await db.query<{ id: string }>(`insert into followup_occasions (usuaria_id, kind, planned_on) values ($1, 'control', $2)
        on conflict (usuaria_id) where status = 'open' and kind = 'control' do nothing returning id`, [usuariaId, plannedOn]);
      return rows[0]?.id ?? null;
    },
    async insertControlCall(c: { terminalId: string; usuariaId: string; occasionId: string; reason: ControlReason; plannedAt: Date }): Promise<ControlCall | null> {
      const { rows } = await db.query<ControlRow>(`insert into control_calls (terminal_id, usuaria_id, occasion_id, reason, planned_at)
        values ($1, $2, $3, $4, $5) on conflict (terminal_id) where status in ('planned', 'awaiting_test_call') do nothing returning *`,
      [c.terminalId, c.usuariaId, c.occasionId, c.reason, c.plannedAt]);
      return rows[0] ? toControlCall(rows[0]) : null;
    },
    async openControlOf(terminalId: string): Promise<ControlCall | null> {
      const { rows } = await db.query<ControlRow>(`select * from control_calls where terminal_id = $1
        and status in ('planned', 'awaiting_test_call') for update`, [terminalId]);
      return rows[0] ? toControlCall(rows[0]) : null;
    },
    async controlById(id: string): Promise<ControlCall | null> {
      const { rows } = await db.query<ControlRow>('select * from control_calls where id = $1', [id]);
      return rows[0] ? toControlCall(rows[0]) : null;
    },
    /** The control call one of whose attempts is this call (not locked: lock its terminal, then read it again). */
    async controlOfAttempt(callAttemptId: string): Promise<ControlCall | null> {
      const { rows } = await db.query<ControlRow>({ name: 'technical.control_of_attempt', text: `select c.* from control_calls c
        join agenda_items i on i.occasion_id = c.occasion_id where i.call_attempt_id = $1`, values: [callAttemptId] });
      return rows[0] ? toControlCall(rows[0]) : null;
    },
    async setFlowOutcome(id: string, outcome: string): Promise<void> {
      await db.query('update control_calls set flow_outcome = $2 where id = $1', [id, outcome]);
    },
    /** She confirmed and was asked to press the button: from now until `deadline` her terminal's call closes it. */
    async startAwaiting(id: string, attemptId: string, confirmedAt: Date, deadline: Date): Promise<ControlCall | null> {
      const { rows } = await db.query<ControlRow>(`update control_calls set status = 'awaiting_test_call', control_attempt_id = $2,
        confirmed_at = $3, deadline = $4 where id = $1 and status = 'planned' returning *`, [id, attemptId, confirmedAt, deadline]);
      return rows[0] ? toControlCall(rows[0]) : null;
    },
    /** The first inbound call from this terminal in [from, to]: a test call that may have come before the flow reported. */
    async firstCallFrom(usuariaId: string, terminalId: string, from: Date, to: Date): Promise<{ id: string; startedAt: Date; line: string } | null> {
      const { rows } = await db.query(`select id, started_at as "startedAt", line from call_attempts where usuaria_id = $1 and terminal_id = $2
        and direction = 'inbound' and started_at >= $3 and started_at <= $4 order by started_at limit 1`, [usuariaId, terminalId, from, to]);
      return rows[0] ?? null;
    },
    async closeSuccess(id: string, testCall: { attemptId: string | null; at: Date; line: string }): Promise<ControlCall | null> {
      const { rows } = await db.query<ControlRow>(`update control_calls set status = 'success', test_call_attempt_id = $2, test_call_at = $3,
        test_call_line = $4, closed_at = $3 where id = $1 and status = 'awaiting_test_call' and deadline >= $3 returning *`,
      [id, testCall.attemptId, testCall.at, testCall.line]);
      return rows[0] ? toControlCall(rows[0]) : null;
    },
    /** Awaited test calls whose time is up (one, or every one), closed here; skip locked so instances share the work. */
    async expireAwaiting(now: Date, id: string | null, limit = 100): Promise<ControlCall[]> {
      const { rows } = await db.query<ControlRow>(`update control_calls set status = 'no_test_call', closed_at = $1
        where id in (select id from control_calls where status = 'awaiting_test_call' and deadline < $1 and ($2::uuid is null or id = $2)
          order by deadline limit $3 for update skip locked) returning *`, [now, id, limit]);
      return rows.map(toControlCall);
    },
    /** Planned control calls whose occasion the dialer closed (no answer after its retries, skipped, an emergency instead). */
    async closeWithOccasions(now: Date): Promise<(ControlCall & { occasionStatus: string })[]> {
      const { rows } = await db.query<ControlRow & { occasion_status: string }>(`update control_calls c
        set status = case when o.status = 'failed' then 'not_done' else 'cancelled' end, closed_at = coalesce(o.closed_at, $1)
        from followup_occasions o where o.id = c.occasion_id and c.status = 'planned' and o.status <> 'open'
        returning c.*, o.status as occasion_status`, [now]);
      return rows.map((r) => ({ ...toControlCall(r), occasionStatus: r.occasion_status }));
    },
    /** Control items still dialling although their call ended before `before` and no flow outcome settled them. */
    async stuckControlAttempts(before: Date, emergencyBefore: Date): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>(`select a.id from agenda_items i join call_attempts a on a.id = i.call_attempt_id
        join control_calls c on c.occasion_id = i.occasion_id
        where i.kind = 'control' and i.status = 'dialling' and a.ended_at is not null
          and a.ended_at < case when c.flow_outcome = 'emergency' then $2::timestamptz else $1::timestamptz end`, [before, emergencyBefore]);
      return rows.map((r) => r.id);
    },
    /** What the control call did, kept on the outbound attempt itself. */
    async noteOnAttempt(callAttemptId: string, note: Record<string, unknown>): Promise<void> {
      await db.query(`update call_attempts set disposition = coalesce(disposition, '{}'::jsonb) || $2::jsonb where id = $1`,
        [callAttemptId, JSON.stringify({ control: note })]);
    },

    async openIncident(i: { usuariaId: string | null; callAttemptId: string | null; cause: TechnicalCause; at: Date }): Promise<string> {
      const { rows } = await db.query<{ id: string }>(`insert into incidents (usuaria_id, call_attempt_id, kind, technical_cause, opened_at)
        values ($1, $2, 'tecnica', $3, $4) returning id`, [i.usuariaId, i.callAttemptId, i.cause, i.at]);
      return rows[0]!.id;
    },
    async setControlIncident(id: string, incidentId: string): Promise<void> {
      await db.query('update control_calls set incident_id = $2 where id = $1', [id, incidentId]);
    },
    async insertTask(t: { terminalId: string; usuariaId: string | null; incidentId: string | null; controlCallId: string | null;
      kind: TaskKind; at: Date }): Promise<string | null> {
      const { rows } = await db.query<{ id: string }>(`insert into technical_tasks (terminal_id, usuaria_id, incident_id, control_call_id, kind, created_at)
        values ($1, $2, $3, $4, $5, $6) on conflict (control_call_id) where control_call_id is not null do nothing returning id`,
      [t.terminalId, t.usuariaId, t.incidentId, t.controlCallId, t.kind, t.at]);
      return rows[0]?.id ?? null;
    },
    async openTasks(limit: number): Promise<TechnicalTask[]> {
      const { rows } = await db.query(`select k.id, k.kind, k.terminal_id as "terminalId", k.usuaria_id as "usuariaId", e.code as "expedienteCode",
          k.incident_id as "incidentId", k.control_call_id as "controlCallId", k.created_at as "createdAt"
        from technical_tasks k left join expedientes e on e.usuaria_id = k.usuaria_id and e.status <> 'baja'
        where k.status = 'open' order by k.created_at limit $1`, [limit]);
      return rows;
    },
    async completeTask(id: string, userId: string, at: Date): Promise<{ id: string; usuariaId: string | null } | null> {
      const { rows } = await db.query(`update technical_tasks set status = 'done', done_by = $2, done_at = $3 where id = $1 and status = 'open'
        returning id, usuaria_id as "usuariaId"`, [id, userId, at]);
      return rows[0] ?? null;
    },
    async taskExists(id: string): Promise<boolean> {
      return (await db.query('select 1 from technical_tasks where id = $1', [id])).rowCount === 1;
    },

    /** Terminals in service whose self-test is more than one period late at `now` (a model with no period never is). */
    /**
     * Terminals in service whose self-test is more than one period late at `now` (a model with no
     * period never is) and whose current missed period has not been raised yet. `since` is cut to
     * the millisecond, as it is written back.
     */
    async lateSelftests(now: Date, defaultHours: number, limit: number): Promise<SelftestCandidate[]> {
      const { rows } = await db.query<SelftestCandidate>({ name: 'technical.late_selftests', text: `select * from (
          select t.id as "terminalId", t.usuaria_id as "usuariaId",
            date_trunc('milliseconds', greatest(t.last_selftest_at, ${IN_SERVICE_SINCE})) as since,
            case when m.model is null then $2::int else m.selftest_period_hours end as "periodHours"
          from terminals t left join terminal_models m on m.model = t.model where ${IN_SERVICE}) x
        where "periodHours" is not null and since + make_interval(hours => "periodHours") <= $1
          and not exists (select 1 from selftest_overdue o where o.terminal_id = x."terminalId" and o.since = x.since
            and o.period_index = floor(extract(epoch from ($1 - x.since)) / ("periodHours" * 3600))::int)
        order by "terminalId" limit $3`, values: [now, defaultHours, limit] });
      return rows;
    },
    /** Records the missed periods not raised yet; returns only those recorded here (one per terminal and period, ever). */
    async raiseOverdue(rows: { terminalId: string; since: Date; periodIndex: number }[], at: Date): Promise<{ terminalId: string; since: Date; periodIndex: number }[]> {
      if (!rows.length) return [];
      const { rows: raised } = await db.query(`insert into selftest_overdue (terminal_id, since, period_index, raised_at)
        select x.terminal_id, x.since, x.period_index, $4::timestamptz from unnest($1::uuid[], $2::timestamptz[], $3::int[]) as x(terminal_id, since, period_index)
        on conflict do nothing returning terminal_id as "terminalId", since, period_index as "periodIndex"`,
      [rows.map((r) => r.terminalId), rows.map((r) => r.since), rows.map((r) => r.periodIndex), at]);
      return raised;
    },
    async setOverdueIncident(r: { terminalId: string; since: Date; periodIndex: number }, incidentId: string): Promise<void> {
      await db.query(`update selftest_overdue set incident_id = $4 where terminal_id = $1 and since = $2 and period_index = $3`,
        [r.terminalId, r.since, r.periodIndex, incidentId]);
    },
    /** Terminals in service, of usuarias with an agenda, with no open control call, that owe one or whose period has run out at `now`. */
    async controlCandidates(now: Date, defaultMonths: number, retryDays: number, limit: number): Promise<ControlCandidate[]> {
      const { rows } = await db.query<ControlCandidate>({ name: 'technical.control_candidates', text: `select * from (
          select t.id as "terminalId", t.usuaria_id as "usuariaId", t.control_owed_for as "owedFor", t.last_control_at as "lastControlAt",
            ${IN_SERVICE_SINCE} as "inServiceSince", coalesce(m.control_period_months, $2::int) as "periodMonths",
            (select max(c.closed_at) from control_calls c where c.terminal_id = t.id and c.status in ('no_test_call', 'not_done', 'cancelled')
              and c.closed_at > coalesce(t.last_control_at, '-infinity') and c.closed_at > ${IN_SERVICE_SINCE}) as "lastUnsuccessfulAt"
          from terminals t left join terminal_models m on m.model = t.model
          where ${IN_SERVICE} and exists (select 1 from agenda_policies p where p.usuaria_id = t.usuaria_id)
            and not exists (select 1 from control_calls c where c.terminal_id = t.id and c.status in ('planned', 'awaiting_test_call'))) x
        where ("owedFor" is not null or coalesce("lastControlAt", "inServiceSince") + make_interval(months => "periodMonths") <= $1)
          and ("lastUnsuccessfulAt" is null or "lastUnsuccessfulAt" + make_interval(days => $3) <= $1)
        order by "terminalId" limit $4`, values: [now, defaultMonths, retryDays, limit] });
      return rows;
    },

    async insertDeliveryTest(t: { terminalId: string; kind: DeliveryKind; result: 'ok' | 'failed'; at: Date;
      source: 'operator' | 'automatic'; recordedBy: string | null; callAttemptId: string | null }): Promise<boolean> {
      const { rowCount } = await db.query(`insert into terminal_delivery_tests (terminal_id, kind, result, at, source, recorded_by, call_attempt_id)
        values ($1, $2, $3, $4, $5, $6, $7) on conflict (call_attempt_id) where call_attempt_id is not null do nothing`,
      [t.terminalId, t.kind, t.result, t.at, t.source, t.recordedBy, t.callAttemptId]);
      return rowCount === 1;
    },
    async emissionPassed(terminalId: string): Promise<boolean> {
      const { rowCount } = await db.query({ name: 'technical.emission_passed', text: `select 1 from terminal_delivery_tests
        where terminal_id = $1 and kind = 'emission' and result = 'ok' limit 1`, values: [terminalId] });
      return rowCount === 1;
    },
    async deliveryTestsOf(terminalId: string): Promise<DeliveryTest[]> {
      const { rows } = await db.query<DeliveryTest>(`select kind, result, at, source from terminal_delivery_tests
        where terminal_id = $1 order by at desc, created_at desc`, [terminalId]);
      return rows;
    },
  };
}

export type TechnicalRepo = ReturnType<typeof technicalRepo>;
