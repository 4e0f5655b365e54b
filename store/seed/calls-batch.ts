/**
 * A batch of synthetic years of calls laid out by column and written in a few set-based statements
 * (unnest of array literals, as the usuarias seed does): about 55 calls per usuaria, so 100k
 * usuarias are some 5 million call attempts. Times travel as epoch milliseconds.
 */
import type { Queryable } from '../db.ts';
import { arrayLiteral } from './bulk.ts';
import type { SeedCall, SeedCallYear, SeedIncident, SeedItem, SeedLossCase, SeedOccasion } from './call-types.ts';
import { isoOfDay } from './dates.ts';
import { localDay, type SeedZone } from './zones.ts';

/** A column's parameter type; `ms` is epoch milliseconds sent as bigint and stored as timestamptz, `json` text cast to jsonb. */
type Kind = 'uuid' | 'text' | 'smallint' | 'boolean' | 'date' | 'ms' | 'json';
const PARAM: Record<Kind, string> = { uuid: 'uuid', text: 'text', smallint: 'smallint', boolean: 'boolean', date: 'date', ms: 'bigint', json: 'text' };
const expr = (kind: Kind, alias: string) => kind === 'ms' ? `case when ${alias} is null then null else timestamptz 'epoch' + ${alias} * interval '1 millisecond' end`
  : kind === 'json' ? `${alias}::jsonb` : alias;

/** A column: its name, its kind, and how to read it from a row. */
type Col<R> = readonly [name: string, kind: Kind, get: (r: R) => unknown];

/** One statement per table and batch: `insert ... select ... from unnest($1::t[], ...)`, named so each connection parses it once. */
async function insert<R>(db: Queryable, table: string, cols: readonly Col<R>[], rows: readonly R[]): Promise<void> {
  if (rows.length === 0) return;
  const aliases = cols.map((_, i) => `c${i}`);
  const text = `insert into ${table} (${cols.map(([n]) => n).join(', ')})
    select ${cols.map(([, k], i) => expr(k, aliases[i]!)).join(', ')}
    from unnest(${cols.map(([, k], i) => `$${i + 1}::${PARAM[k]}[]`).join(', ')}) as t(${aliases.join(', ')})`;
  const values = cols.map(([, k, get]) => arrayLiteral(PARAM[k], rows.map(get)));
  await db.query({ name: `seed.calls.${table}`, text, values });
}

/**
 * Where and when a row counts in the managers' figures (migration 005's rep_* snapshot): written
 * here, from what the seed knows, so no per-row trigger has to look it up for millions of rows.
 */
export interface SeedPlace { province: string; municipality: string; centreId: string; zone: SeedZone }
const dayOf = (place: SeedPlace, at: number) => isoOfDay(localDay(place.zone, at));
const snapshot = <T extends { p: SeedPlace }>(): readonly Col<T>[] => [
  ['rep_province', 'text', (x) => x.p.province], ['rep_municipality', 'text', (x) => x.p.municipality],
  ['rep_centre_id', 'uuid', (x) => x.p.centreId],
];
type Owned<T> = { u: string; r: T; p: SeedPlace };

const CALLS: readonly Col<Owned<SeedCall> & { terminal: string | null; caller: string | null }>[] = [
  ...snapshot(), ['rep_zone', 'text', (x) => x.p.zone], ['rep_day', 'date', (x) => dayOf(x.p, x.r.startedAt)],
  ['rep_outside_window', 'boolean', (x) => x.r.outsideWindow],
  ['id', 'uuid', (x) => x.r.id], ['direction', 'text', (x) => x.r.direction], ['line', 'text', (x) => x.r.line],
  ['kind', 'text', (x) => x.r.kind], ['provider', 'text', () => 'sip'], ['provider_call_id', 'text', (x) => x.r.id],
  ['caller', 'text', (x) => x.caller], ['usuaria_id', 'uuid', (x) => x.u], ['terminal_id', 'uuid', (x) => x.terminal],
  ['agenda_item_id', 'uuid', (x) => x.r.agendaItemId], ['started_at', 'ms', (x) => x.r.startedAt], ['answered_at', 'ms', (x) => x.r.answeredAt],
  ['ended_at', 'ms', (x) => x.r.endedAt], ['outcome', 'text', (x) => x.r.outcome], ['disposition', 'json', (x) => x.r.disposition],
  ['answered_by', 'text', (x) => x.r.answeredBy], ['created_at', 'ms', (x) => x.r.startedAt],
];
const INCIDENTS: readonly Col<Owned<SeedIncident> & { day: string }>[] = [
  ...snapshot(), ['rep_day', 'date', (x) => x.day],
  ['id', 'uuid', (x) => x.r.id], ['usuaria_id', 'uuid', (x) => x.u], ['call_attempt_id', 'uuid', (x) => x.r.callId],
  ['kind', 'text', (x) => x.r.kind], ['level', 'smallint', (x) => x.r.level], ['status', 'text', (x) => (x.r.closedAt === null ? 'open' : 'closed')],
  ['opened_at', 'ms', (x) => x.r.openedAt], ['closed_at', 'ms', (x) => x.r.closedAt],
];
const OCCASIONS: readonly Col<Owned<SeedOccasion>>[] = [
  ...snapshot(), ['rep_zone', 'text', (x) => x.p.zone],
  ['id', 'uuid', (x) => x.r.id], ['usuaria_id', 'uuid', (x) => x.u], ['kind', 'text', (x) => x.r.kind], ['planned_on', 'date', (x) => x.r.plannedOn],
  ['status', 'text', (x) => x.r.status], ['incident_id', 'uuid', (x) => x.r.incidentId], ['created_at', 'ms', (x) => x.r.createdAt],
  ['closed_at', 'ms', (x) => x.r.closedAt], ['closed_by', 'text', () => 'system:dialer'],
];
const itemColumns = (linked: boolean): readonly Col<Owned<SeedItem>>[] => [
  ['id', 'uuid', (x) => x.r.id], ['usuaria_id', 'uuid', (x) => x.u], ['kind', 'text', (x) => x.r.kind], ['occasion_id', 'uuid', (x) => x.r.occasionId],
  ['attempt', 'smallint', (x) => x.r.attempt], ['planned_on', 'date', (x) => x.r.plannedOn], ['not_before', 'ms', (x) => x.r.notBefore],
  ['not_after', 'ms', (x) => x.r.notAfter], ['status', 'text', (x) => x.r.status], ['created_by', 'text', () => 'system:dialer'],
  ['created_at', 'ms', (x) => x.r.createdAt], ['updated_at', 'ms', (x) => x.r.claimedAt],
  ['call_attempt_id', 'uuid', (x) => (linked ? x.r.callId : null)], ['outcome', 'text', (x) => x.r.outcome],
  ['claimed_at', 'ms', (x) => x.r.claimedAt], ['incident_id', 'uuid', (x) => x.r.incidentId],
];
const CASES: readonly Col<Owned<SeedLossCase>>[] = [
  ['id', 'uuid', (x) => x.r.id], ['usuaria_id', 'uuid', (x) => x.u], ['round', 'smallint', (x) => x.r.round], ['stage', 'text', (x) => x.r.stage],
  ['opened_at', 'ms', (x) => x.r.openedAt], ['reply_deadline', 'ms', (x) => x.r.replyDeadline],
  ['ss_intervention_at', 'ms', (x) => x.r.interventionAt], ['closed_at', 'ms', (x) => x.r.closedAt],
  ['proposed_at', 'ms', (x) => x.r.proposedAt], ['decided_at', 'ms', (x) => x.r.decidedAt],
];
type Transition = SeedLossCase['transitions'][number] & { caseId: string };
const TRANSITIONS: readonly Col<Transition>[] = [
  ['case_id', 'uuid', (x) => x.caseId], ['from_stage', 'text', (x) => x.from], ['to_stage', 'text', (x) => x.to],
  ['cause', 'text', (x) => x.cause], ['actor', 'text', (x) => x.actor], ['at', 'ms', (x) => x.at],
];

/** One usuaria's year, as the batch holds it until its rows are written. */
interface Person { usuariaId: string; year: SeedCallYear; priorities: number[]; place: SeedPlace }

/** The years of a batch of usuarias, generated while the previous batch is being written. */
export class CallBatchBuilder {
  readonly people: Person[] = [];
  calls = 0;

  add(usuariaId: string, year: SeedCallYear, contactPriorities: number[], place: SeedPlace): void {
    this.people.push({ usuariaId, year, priorities: contactPriorities, place });
    this.calls += year.calls.length;
  }
}

/** Her terminal's id and number, which the calls carry, once the usuarias of the batch are written. */
async function terminalsOf(db: Queryable, ids: string[]): Promise<Map<string, { id: string; msisdn: string }>> {
  const { rows } = await db.query<{ usuaria_id: string; id: string; msisdn: string }>({ name: 'seed.calls.terminals',
    text: 'select usuaria_id, id, msisdn from terminals where usuaria_id = any($1::uuid[])', values: [ids] });
  return new Map(rows.map((r) => [r.usuaria_id, { id: r.id, msisdn: r.msisdn }]));
}

/**
 * The I/O half, inside the batch's transaction and after its usuarias. Without the foreign-key
 * shortcut, agenda items and their calls point at each other: the items go in first and get their
 * call afterwards.
 */
export async function writeCallBatch(db: Queryable, b: CallBatchBuilder, skipForeignKeyChecks: boolean): Promise<void> {
  // as for the usuarias: a seed lost to a crash is run again, and the rows are consistent by construction
  await db.query('set local synchronous_commit = off');
  if (skipForeignKeyChecks) await db.query('set local session_replication_role = replica');
  // the rollups are rebuilt once at the end of the seed (report_rebuild), not row by row
  await db.query(`set local atenpro.reports_deferred = 'on'`);
  const terminals = await terminalsOf(db, b.people.map((p) => p.usuariaId));
  const linked = skipForeignKeyChecks;
  const calls = b.people.flatMap(({ usuariaId: u, year, place: p }) => {
    const term = terminals.get(u);
    return year.calls.map((r) => ({ u, p, r: linked || r.agendaItemId === null ? r : { ...r, agendaItemId: null },
      caller: term?.msisdn ?? null, terminal: r.direction === 'inbound' ? term?.id ?? null : null }));
  });
  const owned = <T>(pick: (y: SeedCallYear) => T[]) => b.people.flatMap(({ usuariaId: u, year, place: p }) => pick(year).map((r) => ({ u, r, p })));
  const items = owned((y) => y.items);
  const started = new Map(calls.map((c) => [c.r.id, c.r.startedAt]));
  await insert(db, 'call_attempts', CALLS, calls);
  await insert(db, 'incidents', INCIDENTS, owned((y) => y.incidents).map((x) => ({ ...x, day: dayOf(x.p, started.get(x.r.callId)!) })));
  await insert(db, 'followup_occasions', OCCASIONS, owned((y) => y.occasions));
  await insert(db, 'agenda_items', itemColumns(linked), items);
  if (!linked && items.length) {
    await db.query({ name: 'seed.calls.link', text: `with l as (select * from unnest($1::uuid[], $2::uuid[]) as l(item, call)),
        i as (update agenda_items a set call_attempt_id = l.call from l where a.id = l.item)
        update call_attempts c set agenda_item_id = l.item from l where c.id = l.call`,
      values: [items.map((x) => x.r.id), items.map((x) => x.r.callId)] });
  }
  const cases = owned((y) => y.lossCases);
  await insert(db, 'contact_loss_cases', CASES, cases);
  await insert(db, 'contact_loss_transitions', TRANSITIONS, cases.flatMap(({ r }) => r.transitions.map((t) => ({ ...t, caseId: r.id }))));
  const tasks = b.people.flatMap(({ usuariaId, year, priorities }) => year.lossCases.flatMap((c) =>
    c.tasks.map((task, n) => ({ caseId: c.id, usuariaId, priority: priorities[n] ?? n + 1, status: task.status, doneAt: task.doneAt }))));
  if (tasks.length) {
    await db.query({ name: 'seed.calls.tasks', text: `insert into contact_loss_tasks (case_id, contact_person_id, priority, status, done_at)
        select l.case_id, p.id, l.priority, l.status, case when l.done is null then null else timestamptz 'epoch' + l.done * interval '1 millisecond' end
        from unnest($1::uuid[], $2::uuid[], $3::smallint[], $4::text[], $5::bigint[]) as l(case_id, usuaria_id, priority, status, done)
        left join contact_persons p on p.usuaria_id = l.usuaria_id and p.priority = l.priority`,
      values: [tasks.map((x) => x.caseId), tasks.map((x) => x.usuariaId), tasks.map((x) => x.priority), tasks.map((x) => x.status),
        tasks.map((x) => x.doneAt)] });
  }
  await writeHistory(db, b.people);
}

/**
 * Bajas of the year, her last communication, her terminal, and the earlier expedientes of the
 * re-altas last: their correlativos lock the province counters, which other batches wait on.
 */
async function writeHistory(db: Queryable, people: Person[]): Promise<void> {
  const bajas = people.filter((p) => p.year.baja);
  if (bajas.length) {
    await db.query({ name: 'seed.calls.bajas', text: `update expedientes e set status = 'baja', baja_cause = b.cause, baja_on = b.on_day, updated_at = b.on_day
        from unnest($1::uuid[], $2::text[], $3::date[]) as b(usuaria_id, cause, on_day) where e.usuaria_id = b.usuaria_id and e.status = 'activa'`,
      values: [bajas.map((p) => p.usuariaId), bajas.map((p) => p.year.baja!.cause), bajas.map((p) => p.year.baja!.on)] });
    await db.query({ name: 'seed.calls.returned', text: `update terminals t set status = 'returned', status_changed_at = b.on_day
        from unnest($1::uuid[], $2::date[]) as b(usuaria_id, on_day) where t.usuaria_id = b.usuaria_id`,
      values: [bajas.map((p) => p.usuariaId), bajas.map((p) => p.year.baja!.on)] });
  }
  const spoke = people.filter((p) => p.year.lastCommunicationAt !== null);
  await db.query({ name: 'seed.calls.last_communication', text: `update usuarias u set last_communication_at = timestamptz 'epoch' + l.at * interval '1 millisecond'
      from unnest($1::uuid[], $2::bigint[]) as l(id, at) where u.id = l.id`,
    values: [spoke.map((p) => p.usuariaId), spoke.map((p) => p.year.lastCommunicationAt)] });
  const tested = people.filter((p) => p.year.baja && p.year.lastSelftestAt !== null);
  if (tested.length) {
    await db.query({ name: 'seed.calls.selftest', text: `update terminals t set last_selftest_at = timestamptz 'epoch' + l.at * interval '1 millisecond'
        from unnest($1::uuid[], $2::bigint[]) as l(id, at) where t.usuaria_id = l.id`,
      values: [tested.map((p) => p.usuariaId), tested.map((p) => p.year.lastSelftestAt)] });
  }
  const earlier = people.filter((p) => p.year.earlier);
  if (earlier.length) {
    // a correlativo of her province for each earlier expediente, reserved as the app does
    await db.query({ name: 'seed.calls.earlier', text: `with mine as (
          select e.usuaria_id, e.centre_id, substr(e.code, 4, 2) as province_code, l.requested_on, l.alta_on, l.baja_on, l.cause
          from unnest($1::uuid[], $2::date[], $3::date[], $4::date[], $5::text[]) as l(usuaria_id, requested_on, alta_on, baja_on, cause)
          join expedientes e on e.usuaria_id = l.usuaria_id),
        numbered as (select mine.*, row_number() over (partition by province_code order by usuaria_id) as n from mine),
        reserved as (insert into expediente_counters (province_code, last_value)
          select province_code, count(*) from mine group by province_code order by province_code
          on conflict (province_code) do update set last_value = expediente_counters.last_value + excluded.last_value
          returning province_code, last_value)
        insert into expedientes (usuaria_id, code, centre_id, alta_type, requested_on, alta_on, status, baja_cause, baja_on)
        select n.usuaria_id, 'VG-' || n.province_code || '-' || lpad((r.last_value - (select count(*) from mine m where m.province_code = n.province_code) + n.n)::text, 6, '0'),
          n.centre_id, 'ordinaria', n.requested_on, n.alta_on, 'baja', n.cause, n.baja_on
        from numbered n join reserved r using (province_code)`,
      values: [earlier.map((p) => p.usuariaId), ...(['requestedOn', 'altaOn', 'bajaOn', 'cause'] as const).map((k) => earlier.map((p) => p.year.earlier![k]))] });
  }
}
