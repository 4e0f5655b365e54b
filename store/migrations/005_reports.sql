-- Managers' statistics (issue 7): the `manager` role, the facts each record is counted under
-- (her province, municipality, centre and day as they were when it happened), and rollup tables
-- kept current by triggers in the same transaction as the write, so a dashboard request never
-- scans call_attempts.
--
-- Why triggers: calls are written by several paths (inbound, fail-open replay, dialer, operator
-- disposition, bulk seed); a trigger sees every one of them exactly once, commits or rolls back
-- with it, and needs no code in those paths. A materialized view would lag and would recompute a
-- year of calls on every refresh.
--
-- A bulk loader may `set local atenpro.reports_deferred = 'on'` (the triggers then do nothing)
-- and call `select report_rebuild()` once at the end.

alter table users drop constraint users_role_check;
alter table users add constraint users_role_check check (role in ('operator', 'coordinator', 'manager', 'admin'));

-- ---- where and when a record counts ------------------------------------------------------------

-- DOMAIN.md: her zone follows her province (Las Palmas, Santa Cruz de Tenerife: Canary time)
create function report_zone(province char(2)) returns text language sql immutable parallel safe as $$
  select case when province in ('35', '38') then 'Atlantic/Canary' else 'Europe/Madrid' end $$;

-- Her agreed window, as dialer/window.ts reads it: [from, to) on an agreed weekday, local time.
create function report_outside_window(at timestamptz, zone text, weekdays smallint[], w_from time, w_to time,
  any_weekday boolean) returns boolean language sql immutable parallel safe as $$
  select not ((any_weekday or extract(isodow from (at at time zone zone))::smallint = any (weekdays))
    and (at at time zone zone)::time >= w_from and (at at time zone zone)::time < w_to) $$;

-- The outcome a manager reads: the operator's filing when there is one, else the provider's end.
create function report_outcome_class(outcome text, disposition jsonb, answered_by text) returns text
  language sql immutable parallel safe as $$
  select case
    when disposition ->> 'outcome' in ('atendida', 'sin_voz', 'colgada', 'equivocada', 'prueba', 'no_es_ella') then disposition ->> 'outcome'
    when answered_by = 'machine' then 'contestador'
    when outcome = 'completed' then 'completada'
    when outcome in ('no_answer', 'canceled') then 'no_contesta'
    when outcome = 'busy' then 'ocupado'
    else 'fallida' end $$;

-- Answer-time histogram buckets (1-based): 1..60 one second each, (i-1, i] s; 61..84 five seconds
-- each up to 180 s; 85 anything longer. reports/histogram.ts holds the same bounds.
-- (plpgsql, as the other helpers the triggers call on every write: cheaper per call than a SQL function that cannot be inlined)
create function report_answer_bucket(started timestamptz, answered timestamptz) returns int
  language plpgsql immutable parallel safe as $$
declare
  s integer := ceil(extract(epoch from (answered - started)))::int;
begin
  return case when s <= 60 then greatest(s, 1) when s <= 180 then 60 + ((s - 60 + 4) / 5) else 85 end;
end $$;

-- call_attempts: the snapshot taken when the attempt is written (she may move later)
alter table call_attempts
  add column rep_province char(2),
  add column rep_municipality text,
  add column rep_centre_id uuid,
  add column rep_zone text,
  add column rep_day date,
  add column rep_outside_window boolean;

create function report_call_snapshot() returns trigger language plpgsql as $$
declare
  w record;
begin
  if new.usuaria_id is not null and new.rep_province is null then
    select u.province_code, u.municipality, e.centre_id into new.rep_province, new.rep_municipality, new.rep_centre_id
    from usuarias u left join lateral (select x.centre_id from expedientes x where x.usuaria_id = u.id
      order by (x.status <> 'baja') desc, x.created_at desc limit 1) e on true
    where u.id = new.usuaria_id;
  end if;
  new.rep_zone := report_zone(new.rep_province);
  new.rep_day := (new.started_at at time zone new.rep_zone)::date;
  -- placed outside her window: judged against the window she had agreed when the call started
  if new.direction = 'outbound' and new.usuaria_id is not null and new.rep_outside_window is null then
    select p.weekdays, p.window_from, p.window_to, p.zone, i.kind into w
    from agenda_policies p left join agenda_items i on i.id = new.agenda_item_id where p.usuaria_id = new.usuaria_id;
    if found then
      new.rep_outside_window := report_outside_window(new.started_at, w.zone, w.weekdays, w.window_from, w.window_to,
        coalesce(w.kind = 'post_emergency', false));
    end if;
  end if;
  return new;
end $$;
create trigger call_attempts_report_snapshot before insert on call_attempts
  for each row execute function report_call_snapshot();

-- attempts written before this migration: placed where she lives now (the best there is); whether
-- they were inside her window then cannot be known, so they are not counted as outside it
update call_attempts c set rep_province = u.province_code, rep_municipality = u.municipality,
  rep_centre_id = (select x.centre_id from expedientes x where x.usuaria_id = u.id order by (x.status <> 'baja') desc, x.created_at desc limit 1)
from usuarias u where u.id = c.usuaria_id;
update call_attempts set rep_zone = report_zone(rep_province), rep_day = (started_at at time zone report_zone(rep_province))::date;

-- ---- calls: one row per day, place, direction, line and kind, at three levels -----------------
-- geo_level 0: the whole service; 1: per province; 2: per province, municipality and centre;
-- 3: per province and month (day = the 1st), for the national table by province over months.
-- A query reads the one level its filters need; each level is its own partition, so reading one
-- never touches the pages of another. Unidentified callers have province ''. Every key column is
-- not null (plain equality, plain btree): "no centre" is the nil uuid. The fill factor leaves
-- room on each page so that the constant +1/-1 updates are HOT (no index write).
create function report_no_centre() returns uuid language sql immutable parallel safe as $$
  select '00000000-0000-0000-0000-000000000000'::uuid $$;

create table report_call_days (
  geo_level      smallint not null,
  province_code  text not null,
  day            date not null,
  municipality   text not null,
  centre_id      uuid not null,
  direction      text not null,
  line           text not null,
  kind           text not null,
  calls          integer not null default 0,
  answered       integer not null default 0,
  outside_window integer not null default 0,
  o_atendida     integer not null default 0,
  o_sin_voz      integer not null default 0,
  o_colgada      integer not null default 0,
  o_equivocada   integer not null default 0,
  o_prueba       integer not null default 0,
  o_no_es_ella   integer not null default 0,
  o_contestador  integer not null default 0,
  o_completada   integer not null default 0,
  o_no_contesta  integer not null default 0,
  o_ocupado      integer not null default 0,
  o_fallida      integer not null default 0,
  primary key (geo_level, province_code, day, municipality, centre_id, direction, line, kind)
) partition by list (geo_level);
create table report_call_days_0 partition of report_call_days for values in (0) with (fillfactor = 70);
create table report_call_days_1 partition of report_call_days for values in (1) with (fillfactor = 70);
create table report_call_days_2 partition of report_call_days for values in (2) with (fillfactor = 70);
create table report_call_days_3 partition of report_call_days for values in (3) with (fillfactor = 70);

-- Inbound calls on the lines an operator answers, with their answer-time histogram: apart from
-- the counts above so that reading those never drags the histograms along.
create table report_answer_days (
  geo_level      smallint not null,
  province_code  text not null,
  day            date not null,
  municipality   text not null,
  centre_id      uuid not null,
  line           text not null,
  kind           text not null,
  offered        integer not null default 0,
  answered       integer not null default 0,
  -- answered calls per answer-time bucket (report_answer_bucket)
  ans_hist       integer[] not null default array_fill(0, array[85]),
  primary key (geo_level, province_code, day, municipality, centre_id, line, kind)
) partition by list (geo_level);
create table report_answer_days_0 partition of report_answer_days for values in (0) with (fillfactor = 60);
create table report_answer_days_1 partition of report_answer_days for values in (1) with (fillfactor = 60);
create table report_answer_days_2 partition of report_answer_days for values in (2) with (fillfactor = 60);
create table report_answer_days_3 partition of report_answer_days for values in (3) with (fillfactor = 60);

-- What one ended attempt adds to its cell: calls, answered, outside_window, then one per outcome class.
create function report_call_vector(r call_attempts) returns integer[] language plpgsql immutable as $$
declare
  c text := report_outcome_class(r.outcome, r.disposition, r.answered_by);
begin
  return array[1, (r.answered_at is not null)::int, (coalesce(r.rep_outside_window, false) and r.outcome <> 'not_placed')::int,
    (c = 'atendida')::int, (c = 'sin_voz')::int, (c = 'colgada')::int, (c = 'equivocada')::int, (c = 'prueba')::int,
    (c = 'no_es_ella')::int, (c = 'contestador')::int, (c = 'completada')::int, (c = 'no_contesta')::int,
    (c = 'ocupado')::int, (c = 'fallida')::int];
end $$;

-- Its answer-time bucket, when it is an answered call on a line an operator answers.
create function report_call_bucket(r call_attempts) returns integer language sql immutable as $$
  select case when r.answered_at is not null then report_answer_bucket(r.started_at, r.answered_at) end $$;

create function report_call_answerable(r call_attempts) returns boolean language sql immutable as $$
  select r.direction = 'inbound' and r.line in ('emergency', 'general', 'info') $$;

-- Adds v to the attempt's cell at every level: per level, an update of the row that is almost
-- always there, straight in its partition, and an insert the first time a cell is seen (racing
-- inserts meet in the key). The four near-identical blocks are written out by this generator.
do $gen$
declare
  sets text := 'calls = t.calls + v[1], answered = t.answered + v[2], outside_window = t.outside_window + v[3],
    o_atendida = t.o_atendida + v[4], o_sin_voz = t.o_sin_voz + v[5], o_colgada = t.o_colgada + v[6], o_equivocada = t.o_equivocada + v[7],
    o_prueba = t.o_prueba + v[8], o_no_es_ella = t.o_no_es_ella + v[9], o_contestador = t.o_contestador + v[10],
    o_completada = t.o_completada + v[11], o_no_contesta = t.o_no_contesta + v[12], o_ocupado = t.o_ocupado + v[13], o_fallida = t.o_fallida + v[14]';
  hist text := 'offered = t.offered + d, answered = t.answered + a, ans_hist[b] = t.ans_hist[b] + h[b]';
  occ text := 'planned = t.planned + v[1], open = t.open + v[2], contact = t.contact + v[3], failed = t.failed + v[4],
    cancelled = t.cancelled + v[5], on_time = t.on_time + v[6]';
  calls_body text := '';
  answers_body text := '';
  occasions_body text := '';
  p text; d text; m text; c text; od text;
begin
  for lvl in 0..3 loop
    p := case when lvl = 0 then $$''$$ else $$coalesce(r.rep_province, '')$$ end;
    d := case when lvl = 3 then $$date_trunc('month', r.rep_day)::date$$ else 'r.rep_day' end;
    od := case when lvl = 3 then $$date_trunc('month', r.planned_on)::date$$ else 'r.planned_on' end;
    m := case when lvl = 2 then $$coalesce(r.rep_municipality, '')$$ else $$''$$ end;
    c := case when lvl = 2 then 'coalesce(r.rep_centre_id, report_no_centre())' else 'report_no_centre()' end;
    calls_body := calls_body || format($b$
  update report_call_days_%1$s t set %2$s where t.province_code = %3$s and t.day = %4$s and t.municipality = %5$s
    and t.centre_id = %6$s and t.direction = r.direction and t.line = r.line and t.kind = coalesce(r.kind, '-');
  if not found then
    insert into report_call_days_%1$s as t values (%1$s, %3$s, %4$s, %5$s, %6$s, r.direction, r.line, coalesce(r.kind, '-'),
      v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14])
    on conflict (geo_level, province_code, day, municipality, centre_id, direction, line, kind) do update set %2$s;
  end if;$b$, lvl, sets, p, d, m, c);
    answers_body := answers_body || format($b$
  update report_answer_days_%1$s t set %2$s where t.province_code = %3$s and t.day = %4$s and t.municipality = %5$s
    and t.centre_id = %6$s and t.line = r.line and t.kind = coalesce(r.kind, '-');
  if not found then
    insert into report_answer_days_%1$s as t values (%1$s, %3$s, %4$s, %5$s, %6$s, r.line, coalesce(r.kind, '-'), d, a, h)
    on conflict (geo_level, province_code, day, municipality, centre_id, line, kind) do update set %2$s;
  end if;$b$, lvl, hist, p, d, m, c);
    occasions_body := occasions_body || format($b$
  update report_occasion_days_%1$s t set %2$s where t.province_code = %3$s and t.day = %4$s and t.municipality = %5$s
    and t.centre_id = %6$s and t.kind = r.kind;
  if not found then
    insert into report_occasion_days_%1$s as t values (%1$s, %3$s, %4$s, %5$s, %6$s, r.kind, v[1], v[2], v[3], v[4], v[5], v[6])
    on conflict (geo_level, province_code, day, municipality, centre_id, kind) do update set %2$s;
  end if;$b$, lvl, occ, p, od, m, c);
  end loop;
  execute format('create function report_call_cells(r call_attempts, v integer[]) returns void language plpgsql as %L',
    'begin' || calls_body || E'\nend');
  execute format('create function report_answer_cells(r call_attempts, d integer) returns void language plpgsql as %L',
    E'declare\n  b integer := report_call_bucket(r);\n  a integer := (b is not null)::int * d;\n  h integer[] := array_fill(0, array[85]);\n'
    || E'begin\n  if not report_call_answerable(r) then return; end if;\n  if b is not null then h[b] := d; end if;\n  b := coalesce(b, 1);'
    || answers_body || E'\nend');
  execute format('create function report_occasion_cells(r followup_occasions, v integer[]) returns void language plpgsql as %L',
    'begin' || occasions_body || E'\nend');
end $gen$;

-- An attempt counts once it has ended (outcome set). A later change (the operator's filing, a
-- late answer) moves it: when its cell stays the same, only the difference is written.
create function report_calls_track() returns trigger language plpgsql as $$
declare
  vo integer[]; vn integer[]; delta integer[] := array_fill(0, array[14]);
  same boolean;
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  if tg_op <> 'INSERT' and old.outcome is not null then vo := report_call_vector(old); end if;
  if tg_op <> 'DELETE' and new.outcome is not null then vn := report_call_vector(new); end if;
  if vo is null and vn is null then return null; end if;
  same := vo is not null and vn is not null and old.rep_day = new.rep_day and old.direction = new.direction and old.line = new.line
    and old.kind is not distinct from new.kind and old.rep_province is not distinct from new.rep_province
    and old.rep_municipality is not distinct from new.rep_municipality and old.rep_centre_id is not distinct from new.rep_centre_id;
  if same then
    if vn <> vo then
      for i in 1..14 loop delta[i] := vn[i] - vo[i]; end loop;
      perform report_call_cells(new, delta);
    end if;
    if report_call_bucket(old) is distinct from report_call_bucket(new) then
      perform report_answer_cells(old, -1);
      perform report_answer_cells(new, 1);
    end if;
    return null;
  end if;
  if vo is not null then
    for i in 1..14 loop delta[i] := -vo[i]; end loop;
    perform report_call_cells(old, delta);
    perform report_answer_cells(old, -1);
  end if;
  if vn is not null then
    perform report_call_cells(new, vn);
    perform report_answer_cells(new, 1);
  end if;
  return null;
end $$;
create trigger call_attempts_report_insert after insert or delete on call_attempts
  for each row execute function report_calls_track();
create trigger call_attempts_report_update after update on call_attempts
  for each row when (old.outcome is distinct from new.outcome or old.kind is distinct from new.kind
    or old.disposition is distinct from new.disposition or old.answered_at is distinct from new.answered_at
    or old.answered_by is distinct from new.answered_by or old.started_at is distinct from new.started_at
    or old.rep_day is distinct from new.rep_day or old.rep_province is distinct from new.rep_province
    or old.rep_municipality is distinct from new.rep_municipality or old.rep_centre_id is distinct from new.rep_centre_id
    or old.rep_outside_window is distinct from new.rep_outside_window or old.direction is distinct from new.direction
    or old.line is distinct from new.line)
  execute function report_calls_track();

-- ---- follow-up occasions: planned, reached, failed, and post-emergency ones on time ------------
alter table followup_occasions
  add column rep_province char(2),
  add column rep_municipality text,
  add column rep_centre_id uuid,
  add column rep_zone text;

create function report_occasion_snapshot() returns trigger language plpgsql as $$
begin
  if new.rep_province is null then
    select u.province_code, u.municipality, e.centre_id into new.rep_province, new.rep_municipality, new.rep_centre_id
    from usuarias u left join lateral (select x.centre_id from expedientes x where x.usuaria_id = u.id
      order by (x.status <> 'baja') desc, x.created_at desc limit 1) e on true
    where u.id = new.usuaria_id;
  end if;
  new.rep_zone := report_zone(new.rep_province);
  return new;
end $$;
create trigger followup_occasions_report_snapshot before insert on followup_occasions
  for each row execute function report_occasion_snapshot();
update followup_occasions o set rep_province = u.province_code, rep_municipality = u.municipality, rep_zone = report_zone(u.province_code),
  rep_centre_id = (select x.centre_id from expedientes x where x.usuaria_id = u.id order by (x.status <> 'baja') desc, x.created_at desc limit 1)
from usuarias u where u.id = o.usuaria_id;

create table report_occasion_days (
  geo_level      smallint not null,
  province_code  text not null,
  day            date not null,
  municipality   text not null,
  centre_id      uuid not null,
  kind           text not null,
  planned        integer not null default 0,
  open           integer not null default 0,
  contact        integer not null default 0,
  failed         integer not null default 0,
  cancelled      integer not null default 0,
  -- reached on or before its planned day, in her zone
  on_time        integer not null default 0,
  primary key (geo_level, province_code, day, municipality, centre_id, kind)
) partition by list (geo_level);
create table report_occasion_days_0 partition of report_occasion_days for values in (0) with (fillfactor = 70);
create table report_occasion_days_1 partition of report_occasion_days for values in (1) with (fillfactor = 70);
create table report_occasion_days_2 partition of report_occasion_days for values in (2) with (fillfactor = 70);
create table report_occasion_days_3 partition of report_occasion_days for values in (3) with (fillfactor = 70);

create function report_occasion_vector(r followup_occasions) returns integer[] language sql immutable as $$
  select array[1, (r.status = 'open')::int, (r.status = 'contact')::int, (r.status = 'failed')::int, (r.status = 'cancelled')::int,
    (r.status = 'contact' and r.closed_at is not null
      and (r.closed_at at time zone coalesce(r.rep_zone, 'Europe/Madrid'))::date <= r.planned_on)::int] $$;

create function report_occasions_track() returns trigger language plpgsql as $$
declare
  vo integer[]; vn integer[]; delta integer[] := array_fill(0, array[6]);
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  if tg_op <> 'INSERT' then vo := report_occasion_vector(old); end if;
  if tg_op <> 'DELETE' then vn := report_occasion_vector(new); end if;
  if vo is not null and vn is not null and old.planned_on = new.planned_on and old.kind = new.kind
    and old.rep_province is not distinct from new.rep_province and old.rep_municipality is not distinct from new.rep_municipality
    and old.rep_centre_id is not distinct from new.rep_centre_id then
    if vn <> vo then
      for i in 1..6 loop delta[i] := vn[i] - vo[i]; end loop;
      perform report_occasion_cells(new, delta);
    end if;
    return null;
  end if;
  if vo is not null then
    for i in 1..6 loop delta[i] := -vo[i]; end loop;
    perform report_occasion_cells(old, delta);
  end if;
  if vn is not null then perform report_occasion_cells(new, vn); end if;
  return null;
end $$;
create trigger followup_occasions_report_insert after insert or delete on followup_occasions
  for each row execute function report_occasions_track();
create trigger followup_occasions_report_update after update on followup_occasions
  for each row when (old.status is distinct from new.status or old.closed_at is distinct from new.closed_at
    or old.planned_on is distinct from new.planned_on or old.kind is distinct from new.kind
    or old.rep_province is distinct from new.rep_province or old.rep_municipality is distinct from new.rep_municipality
    or old.rep_centre_id is distinct from new.rep_centre_id or old.rep_zone is distinct from new.rep_zone)
  execute function report_occasions_track();

-- ---- incidents: few enough to read directly, counted where and when their call happened --------
alter table incidents
  add column rep_province char(2),
  add column rep_municipality text,
  add column rep_centre_id uuid,
  add column rep_day date;

create function report_incident_snapshot() returns trigger language plpgsql as $$
begin
  if new.rep_day is null and new.call_attempt_id is not null then
    select c.rep_province, c.rep_municipality, c.rep_centre_id, c.rep_day
      into new.rep_province, new.rep_municipality, new.rep_centre_id, new.rep_day
    from call_attempts c where c.id = new.call_attempt_id;
  end if;
  if new.rep_day is null then
    if new.usuaria_id is not null then
      select u.province_code, u.municipality, e.centre_id into new.rep_province, new.rep_municipality, new.rep_centre_id
      from usuarias u left join lateral (select x.centre_id from expedientes x where x.usuaria_id = u.id
        order by (x.status <> 'baja') desc, x.created_at desc limit 1) e on true
      where u.id = new.usuaria_id;
    end if;
    new.rep_day := (new.opened_at at time zone report_zone(new.rep_province))::date;
  end if;
  return new;
end $$;
create trigger incidents_report_snapshot before insert on incidents
  for each row execute function report_incident_snapshot();
update incidents i set rep_province = c.rep_province, rep_municipality = c.rep_municipality, rep_centre_id = c.rep_centre_id,
  rep_day = c.rep_day from call_attempts c where c.id = i.call_attempt_id;
update incidents i set rep_province = u.province_code, rep_municipality = u.municipality
  from usuarias u where u.id = i.usuaria_id and i.rep_day is null;
update incidents set rep_day = (opened_at at time zone report_zone(rep_province))::date where rep_day is null;
create index incidents_report_day on incidents (rep_day, rep_province);

-- the self-test figure looks only at active terminals, oldest self-test first
create index terminals_report_selftest on terminals (last_selftest_at) where status = 'active';

-- ---- recomputation from the raw tables: the rebuild, and the yardstick of the property test -----
create function report_hist_add(s integer[], b integer) returns integer[] language plpgsql immutable as $$
begin
  if b is not null then s[b] := s[b] + 1; end if;
  return s;
end $$;
create aggregate report_hist(integer) (sfunc = report_hist_add, stype = integer[], initcond = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}');

-- the attempts that count, with their key at level 2; the levels above group them by less
create function report_calls_counted() returns table (province_code text, day date, month date, municipality text, centre_id uuid,
  direction text, line text, kind text, v integer[], bucket integer, answerable boolean) language sql stable as $$
  select coalesce(c.rep_province, ''), c.rep_day, date_trunc('month', c.rep_day)::date, coalesce(c.rep_municipality, ''),
    coalesce(c.rep_centre_id, report_no_centre()),
    c.direction, c.line, coalesce(c.kind, '-'), report_call_vector(c), report_call_bucket(c), report_call_answerable(c)
  from call_attempts c where c.outcome is not null $$;

create function report_call_days_recomputed() returns setof report_call_days language sql stable as $$
  select (case when grouping(province_code) = 1 then 0 when grouping(municipality) = 0 then 2 when grouping(day) = 1 then 3 else 1 end)::smallint,
    coalesce(case when grouping(province_code) = 0 then province_code end, ''), coalesce(case when grouping(day) = 0 then day end, month),
    coalesce(case when grouping(municipality) = 0 then municipality end, ''),
    coalesce(case when grouping(centre_id) = 0 then centre_id end, report_no_centre()),
    direction, line, kind, sum(v[1])::int, sum(v[2])::int, sum(v[3])::int, sum(v[4])::int, sum(v[5])::int, sum(v[6])::int,
    sum(v[7])::int, sum(v[8])::int, sum(v[9])::int, sum(v[10])::int, sum(v[11])::int, sum(v[12])::int, sum(v[13])::int, sum(v[14])::int
  from report_calls_counted()
  group by grouping sets ((day, direction, line, kind), (province_code, day, direction, line, kind),
    (province_code, municipality, centre_id, day, direction, line, kind), (province_code, month, direction, line, kind)) $$;

create function report_answer_days_recomputed() returns setof report_answer_days language sql stable as $$
  select (case when grouping(province_code) = 1 then 0 when grouping(municipality) = 0 then 2 when grouping(day) = 1 then 3 else 1 end)::smallint,
    coalesce(case when grouping(province_code) = 0 then province_code end, ''), coalesce(case when grouping(day) = 0 then day end, month),
    coalesce(case when grouping(municipality) = 0 then municipality end, ''),
    coalesce(case when grouping(centre_id) = 0 then centre_id end, report_no_centre()),
    line, kind, count(*)::int, count(bucket)::int, report_hist(bucket)
  from report_calls_counted() where answerable
  group by grouping sets ((day, line, kind), (province_code, day, line, kind), (province_code, municipality, centre_id, day, line, kind),
    (province_code, month, line, kind)) $$;

create function report_occasion_days_recomputed() returns setof report_occasion_days language sql stable as $$
  with o as (
    select coalesce(rep_province, '') as province_code, planned_on as day, coalesce(rep_municipality, '') as municipality,
      coalesce(rep_centre_id, report_no_centre()) as centre_id, date_trunc('month', planned_on)::date as month, kind,
      report_occasion_vector(f) as v
    from followup_occasions f)
  select (case when grouping(province_code) = 1 then 0 when grouping(municipality) = 0 then 2 when grouping(day) = 1 then 3 else 1 end)::smallint,
    coalesce(case when grouping(province_code) = 0 then province_code end, ''), coalesce(case when grouping(day) = 0 then day end, month),
    coalesce(case when grouping(municipality) = 0 then municipality end, ''),
    coalesce(case when grouping(centre_id) = 0 then centre_id end, report_no_centre()),
    kind, sum(v[1])::int, sum(v[2])::int, sum(v[3])::int, sum(v[4])::int, sum(v[5])::int, sum(v[6])::int
  from o
  group by grouping sets ((day, kind), (province_code, day, kind), (province_code, municipality, centre_id, day, kind),
    (province_code, month, kind)) $$;

-- After a bulk load with the triggers deferred: the rollups from scratch.
create function report_rebuild() returns void language plpgsql as $$
begin
  truncate report_call_days, report_answer_days, report_occasion_days;
  insert into report_call_days select * from report_call_days_recomputed();
  insert into report_answer_days select * from report_answer_days_recomputed();
  insert into report_occasion_days select * from report_occasion_days_recomputed();
end $$;

-- what was there before this migration, counted once
select report_rebuild();
