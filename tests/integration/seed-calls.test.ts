import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldCipher } from '../../store/crypto.ts';
import { seedUsuarias } from '../../store/seed/index.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

// the seed's "now" is pinned, so the same seed yields the same year
const NOW = new Date('2026-11-23T10:00:00Z');
const USUARIAS = 1500;
const cipher = fieldCipher(randomBytes(32));
let a: TestDatabase;
let b: TestDatabase;
let seeded: { calls: number };

const rows = async <T>(db: TestDatabase, sql: string): Promise<T[]> => (await db.pool.query(sql)).rows as T[];
const one = async <T>(db: TestDatabase, sql: string): Promise<T> => (await rows<T>(db, sql))[0]!;

/** Everything the dashboard counts, without ids: equal fingerprints mean the same year. */
const FINGERPRINT = `
  select 'calls' as t, concat_ws('|', direction, line, kind, outcome, answered_by, disposition->>'outcome', disposition->>'emergencyKind',
      disposition->>'level') as k, count(*)::int as n, sum(extract(epoch from started_at))::bigint as s,
      sum(coalesce(extract(epoch from answered_at - started_at), -1))::bigint as w
    from call_attempts group by 2
  union all select 'occasions', concat_ws('|', kind, status), count(*)::int, sum(planned_on - date '2000-01-01')::bigint, 0 from followup_occasions group by 2
  union all select 'expedientes', concat_ws('|', status, baja_cause), count(*)::int, sum(coalesce(baja_on, alta_on) - date '2000-01-01')::bigint, 0
    from expedientes group by 2
  union all select 'loss', concat_ws('|', round, stage), count(*)::int, sum(extract(epoch from opened_at))::bigint, 0 from contact_loss_cases group by 2
  union all select 'incidents', concat_ws('|', kind, level, status), count(*)::int, sum(extract(epoch from opened_at))::bigint, 0 from incidents group by 2
  order by 1, 2`;

beforeAll(async () => {
  [a, b] = await Promise.all([freshDatabase(), freshDatabase()]);
  seeded = await seedUsuarias(a.pool, cipher, { usuarias: USUARIAS, seed: 7, now: NOW, callsYear: true, batchSize: 500 });
  await seedUsuarias(b.pool, cipher, { usuarias: USUARIAS, seed: 7, now: NOW, callsYear: true, batchSize: 300, writers: 1 });
}, 240_000);
afterAll(async () => { await Promise.all([a?.drop(), b?.drop()]); });

describe('a year of calls in the seed', () => {
  it('is the same year for the same seed, whatever the batch size', async () => {
    expect(await rows(a, FINGERPRINT)).toEqual(await rows(b, FINGERPRINT));
    const count = await one<{ n: number }>(a, 'select count(*)::int as n from call_attempts');
    expect(count.n).toBe(seeded.calls);
    // about 50 attempts per usuaria and year: 100k usuarias make the ~5 million of the benchmark
    expect(count.n / USUARIAS).toBeGreaterThan(35);
    expect(count.n / USUARIAS).toBeLessThan(70);
  });

  it('places every outbound call inside her window, in her zone, on a weekday she agreed to', async () => {
    const outside = await one<{ n: number; total: number }>(a, `
      select count(*) filter (where
          (c.started_at at time zone p.zone)::time < p.window_from or (c.started_at at time zone p.zone)::time >= p.window_to
          or c.started_at < i.not_before or c.started_at >= i.not_after
          or (i.kind <> 'post_emergency' and not extract(isodow from c.started_at at time zone p.zone)::smallint = any(p.weekdays)))::int as n,
        count(*)::int as total
      from call_attempts c join agenda_items i on i.id = c.agenda_item_id join agenda_policies p on p.usuaria_id = c.usuaria_id
      where c.direction = 'outbound'`);
    expect(outside.total).toBeGreaterThan(USUARIAS * 15);
    expect(outside.n).toBe(0);
  });

  it('lies within the year before now, and links calls, attempts and occasions both ways', async () => {
    const span = await one<{ first: Date; last: Date }>(a, 'select min(started_at) as first, max(started_at) as last from call_attempts');
    expect(span.first.getTime()).toBeGreaterThanOrEqual(NOW.getTime() - 365 * 86_400_000);
    expect(span.last.getTime()).toBeLessThan(NOW.getTime());
    const links = await one<Record<string, number>>(a, `select
        (select count(*) from agenda_items i left join call_attempts c on c.id = i.call_attempt_id where c.agenda_item_id is distinct from i.id)::int as items_unlinked,
        (select count(*) from call_attempts c where c.direction = 'outbound' and c.agenda_item_id is null)::int as calls_unlinked,
        (select count(*) from followup_occasions o where o.status <> (select case when bool_or(i.status = 'done') then 'contact' else 'failed' end
           from agenda_items i where i.occasion_id = o.id))::int as occasions_wrong,
        (select count(*) from call_attempts c where c.line in ('general', 'selftest', 'emergency') and c.terminal_id is null)::int as inbound_without_terminal,
        (select count(*) from incidents i join call_attempts c on c.id = i.call_attempt_id where c.kind <> 'C')::int as incidents_not_emergency`);
    expect(links).toEqual({ items_unlinked: 0, calls_unlinked: 0, occasions_wrong: 0, inbound_without_terminal: 0, incidents_not_emergency: 0 });
  });

  it('tells the story the dashboard shows: mostly answered follow-ups, fast answers, every kind of emergency', async () => {
    const f = await one<Record<string, number>>(a, `select
        avg((status = 'contact')::int)::float8 as contact_rate,
        (select avg((i.attempt > 1)::int)::float8 from agenda_items i where i.kind = 'followup') as retried_share,
        (select count(*) from agenda_items where outcome = 'machine')::int as machine,
        (select avg((answered_at - started_at <= interval '60 seconds')::int)::float8 from call_attempts
           where line in ('general', 'emergency') and answered_at is not null) as within_60,
        (select count(*) from call_attempts where line in ('general', 'emergency') and answered_at - started_at > interval '180 seconds')::int as over_180,
        (select count(distinct disposition->>'emergencyKind') from call_attempts where kind = 'C')::int as emergency_kinds,
        (select count(distinct disposition->>'level') from call_attempts where kind = 'C')::int as emergency_levels,
        (select count(*) from call_attempts where line = 'selftest' and kind = 'D')::int as selftests,
        (select count(*) from followup_occasions where kind = 'post_emergency')::int as post_emergency,
        (select count(*) from followup_occasions where kind = 'control')::int as control
      from followup_occasions where kind = 'followup'`);
    expect(f.contact_rate).toBeGreaterThan(0.85);
    expect(f.contact_rate).toBeLessThan(0.99);
    expect(f.retried_share).toBeGreaterThan(0.02);
    expect(f.machine).toBeGreaterThan(0);
    expect(f.within_60).toBeGreaterThan(0.95);
    expect(f.within_60).toBeLessThan(1);
    expect(f.over_180).toBeGreaterThan(0);
    expect([f.emergency_kinds, f.emergency_levels]).toEqual([4, 3]);
    expect(f.selftests).toBeGreaterThan(USUARIAS * 15);
    expect(f.post_emergency).toBeGreaterThan(0);
    expect(f.control).toBeGreaterThan(USUARIAS);
  });

  it('writes where and when each row counts as the report triggers would, and rollups equal to a recomputation', async () => {
    const wrong = await one<Record<string, number>>(a, `select
        (select count(*) from call_attempts c join usuarias u on u.id = c.usuaria_id
          left join lateral (select x.centre_id from expedientes x where x.usuaria_id = u.id order by (x.status <> 'baja') desc, x.created_at desc limit 1) e on true
          where c.rep_province is distinct from u.province_code or c.rep_municipality is distinct from u.municipality
            or c.rep_centre_id is distinct from e.centre_id or c.rep_zone is distinct from report_zone(u.province_code)
            or c.rep_day is distinct from (c.started_at at time zone report_zone(u.province_code))::date)::int as calls,
        (select count(*) from call_attempts c join agenda_policies p on p.usuaria_id = c.usuaria_id join agenda_items i on i.id = c.agenda_item_id
          where c.rep_outside_window is distinct from report_outside_window(c.started_at, p.zone, p.weekdays, p.window_from, p.window_to,
            i.kind = 'post_emergency'))::int as window,
        (select count(*) from incidents i join call_attempts c on c.id = i.call_attempt_id
          where i.rep_day is distinct from c.rep_day or i.rep_centre_id is distinct from c.rep_centre_id)::int as incidents,
        (select count(*) from followup_occasions o join usuarias u on u.id = o.usuaria_id
          where o.rep_province is distinct from u.province_code or o.rep_zone is distinct from report_zone(u.province_code))::int as occasions,
        (select count(*) from (select * from report_call_days except all select * from report_call_days_recomputed()) d)::int as call_days,
        (select count(*) from (select * from report_occasion_days except all select * from report_occasion_days_recomputed()) d)::int as occasion_days,
        (select coalesce(sum(outside_window), -1) from report_call_days where geo_level = 0)::int as outside,
        (select coalesce(sum(calls), 0) from report_call_days where geo_level = 0)::int as rolled`);
    expect(wrong).toEqual({ calls: 0, window: 0, incidents: 0, occasions: 0, call_days: 0, occasion_days: 0, outside: 0, rolled: seeded.calls });
  });

  it('has Anexo IV cases at several stages, bajas by cause and re-altas, and keeps one open expediente each', async () => {
    const stages = (await rows<{ stage: string }>(a, 'select distinct stage from contact_loss_cases')).map((r) => r.stage);
    expect(stages).toEqual(expect.arrayContaining(['closed_contact_recovered', 'closed_baja']));
    expect(stages.filter((s) => !s.startsWith('closed_')).length).toBeGreaterThan(0);
    const e = await one<Record<string, number>>(a, `select
        (select count(distinct baja_cause) from expedientes where status = 'baja')::int as causes,
        (select count(*) from expedientes where baja_cause = 'falta_contacto')::int as falta_contacto,
        (select count(*) from contact_loss_cases where stage = 'closed_baja')::int as closed_baja,
        (select count(*) from (select usuaria_id from expedientes group by 1 having count(*) > 1) r)::int as realtas,
        (select count(*) from (select usuaria_id from expedientes where status <> 'baja' group by 1 having count(*) > 1) r)::int as two_open,
        (select count(*) from expedientes e join terminals t on t.usuaria_id = e.usuaria_id
          where e.status = 'baja' and t.status = 'active' and not exists (select 1 from expedientes x where x.usuaria_id = e.usuaria_id and x.status = 'activa'))::int as kept_terminal,
        (select count(*) from usuarias where last_communication_at is not null)::int as with_contact,
        (select count(*) from contact_loss_tasks)::int as tasks,
        (select count(*) from contact_loss_tasks where contact_person_id is null)::int as tasks_without_person`);
    expect(e.causes).toBeGreaterThan(5);
    expect(e.falta_contacto).toBe(e.closed_baja);
    expect(e.realtas).toBeGreaterThan(0);
    expect(e.two_open).toBe(0);
    expect(e.kept_terminal).toBe(0);
    expect(e.with_contact).toBeGreaterThan(USUARIAS * 0.8);
    expect(e.tasks).toBeGreaterThan(0);
    expect(e.tasks_without_person).toBe(0);
    // nothing happens to her after her baja
    const late = await one<{ n: number }>(a, `select count(*)::int as n from call_attempts c
      join (select usuaria_id, max(baja_on) as baja_on from expedientes group by 1 having bool_and(status = 'baja')) e on e.usuaria_id = c.usuaria_id
      where c.started_at >= e.baja_on + 1`);
    expect(late.n).toBe(0);
  });
});
