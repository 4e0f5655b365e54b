-- Managers' statistics (issue 7): the `manager` role, the facts each record is counted under
-- (her province, municipality, centre and day as they were when it happened), and rollup tables
-- per day and place, so a dashboard request never scans call_attempts.
--
-- Why triggers: calls are written by several paths (inbound, fail-open replay, dialer, operator
-- disposition, bulk seed); a trigger sees every one of them exactly once, commits or rolls back
-- with it, and needs no code in those paths. A materialized view would lag and would recompute a
-- year of calls on every refresh.
--
-- A call's transaction only appends. An emergency call's record must never wait on statistics,
-- and a rollup row such as "the whole service, today" is touched by every call: updating it in
-- the call's transaction made concurrent calls queue on its row lock. So the AFTER triggers only
-- INSERT signed delta rows (report_call_deltas, report_occasion_deltas: -1 for what a record
-- counted before the write, +1 for what it counts after; a write that moves nothing writes
-- nothing) into ordinary logged, index-free tables: no update of a shared row, no lock taken
-- beyond the insert's own, nothing lost in a crash. report_fold() moves them into the rollups in
-- one transaction (delete ... returning, aggregate at the four levels, upsert); a BullMQ job
-- scheduler (reports/fold.ts) runs it every few seconds in every instance, and
-- pg_try_advisory_xact_lock lets one fold at a time while the others skip.
--
-- Reads stay current without writing: a figure is the rollup plus the not-yet-folded deltas of
-- the requested cells, summed per cell (store/reports.repo.ts, rollupSource), in one statement
-- and so one snapshot: a fold commits its delete and its upserts together, so a delta is counted
-- in one place or the other, never both, never neither. The alternative, folding synchronously
-- at the start of a request, was rejected: it makes a read write, serialises a dashboard's
-- parallel requests on the fold's lock and makes them wait for a fold in progress, whereas the
-- deltas between two folds are a few rows per call of those five seconds.
--
-- Measured on a loaded 2-core machine (EXPLAIN ANALYZE trigger times over 400 finished calls,
-- each inserted, ended and filed; and the reports bench on 2,000 usuarias / 100k attempts):
--   report triggers per finished call, in its transactions: 1.2-1.6 ms before (eight upserts per
--   write, 1.0-1.3 ms of them in the AFTER UPDATE trigger), 0.45-0.55 ms now (0.26-0.32 ms
--   AFTER UPDATE: three appended rows; 0.15-0.18 ms the BEFORE INSERT snapshot, one lookup);
--   the bench's on/off difference fell from 1.53 ms to within its noise (0.00-0.02 ms; 0.71 ms
--   in a run under a load of 5).
--   fold: 0.12-0.19 ms per call (3,000 deltas of 1,000 calls in one fold), outside any call.
--   reads with 3,000 deltas pending (a thousand calls, far more than five seconds bring):
--   answer-times for the year 19 ms instead of 14 ms; with the usual few dozen, no difference.
--
-- A bulk loader may `set local atenpro.reports_deferred = 'on'` (the triggers then do nothing),
-- supply the rep_* columns itself (the BEFORE INSERT snapshot then reads nothing) and call
-- `select report_rebuild()` once at the end; the rebuild truncates the rollups and the deltas,
-- so it is for bulk loads, not for a service taking calls.

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

-- The snapshot costs one indexed lookup, and none when the writer supplies it (the seed does):
-- her place and her centre (the open expediente's, by its unique index, else the latest one's),
-- and for an outbound attempt her agreed window, in the same statement.
create function report_call_snapshot() returns trigger language plpgsql as $$
declare
  w record;
begin
  if new.usuaria_id is null then
    null;
  -- an inbound attempt (or one whose window is judged already): her place, unless supplied
  elsif new.direction <> 'outbound' or new.rep_outside_window is not null then
    if new.rep_province is null then
      select u.province_code, u.municipality, coalesce((select x.centre_id from expedientes x where x.usuaria_id = u.id and x.status <> 'baja'),
          (select x.centre_id from expedientes x where x.usuaria_id = u.id order by x.created_at desc limit 1))
        into new.rep_province, new.rep_municipality, new.rep_centre_id
      from usuarias u where u.id = new.usuaria_id;
    end if;
  else
    -- an outbound attempt: her place and, in the same statement, whether it was placed outside the
    -- window she had agreed when it started (none agreed: not counted as outside)
    select u.province_code, u.municipality, coalesce((select x.centre_id from expedientes x where x.usuaria_id = u.id and x.status <> 'baja'),
        (select x.centre_id from expedientes x where x.usuaria_id = u.id order by x.created_at desc limit 1)) as centre_id,
      report_outside_window(new.started_at, p.zone, p.weekdays, p.window_from, p.window_to,
        coalesce((select i.kind = 'post_emergency' from agenda_items i where i.id = new.agenda_item_id), false)) as outside
      into w
    from usuarias u left join agenda_policies p on p.usuaria_id = u.id
    where u.id = new.usuaria_id;
    if new.rep_province is null then
      new.rep_province := w.province_code; new.rep_municipality := w.municipality; new.rep_centre_id := w.centre_id;
    end if;
    new.rep_outside_window := w.outside;
  end if;
  new.rep_zone := case when new.rep_province in ('35', '38') then 'Atlantic/Canary' else 'Europe/Madrid' end; -- report_zone, inline
  new.rep_day := (new.started_at at time zone new.rep_zone)::date;
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
-- room on each page so that the fold's updates are HOT (no index write).
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

-- ---- deltas: what the call's transaction writes ------------------------------------------------
-- One row per side of a write: sign -1 for the cell and classes a record counted under before,
-- +1 for after. Keys are those of level 2, already with their '' and nil-uuid defaults; the
-- levels above are grouped by the fold. No index and no key: inserts only append to the heap,
-- and the table is emptied every few seconds (vacuumed as often as that needs).
create table report_call_deltas (
  sign          smallint not null,
  province_code text not null,
  day           date not null,
  municipality  text not null,
  centre_id     uuid not null,
  direction     text not null,
  line          text not null,
  kind          text not null,
  -- report_outcome_class
  outcome       text not null,
  -- counted as placed outside her window
  outside       boolean not null,
  -- answer-time bucket (report_answer_bucket) when answered, else null
  bucket        smallint
) with (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
  autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 2000);

-- What one side adds to its report_call_days cell: calls, answered, outside_window, then one per outcome class.
create function report_call_vector_of(outcome text, outside boolean, answered boolean, s integer) returns integer[]
  language sql immutable parallel safe as $$
  select array[s, s * answered::int, s * outside::int,
    s * (outcome = 'atendida')::int, s * (outcome = 'sin_voz')::int, s * (outcome = 'colgada')::int, s * (outcome = 'equivocada')::int,
    s * (outcome = 'prueba')::int, s * (outcome = 'no_es_ella')::int, s * (outcome = 'contestador')::int, s * (outcome = 'completada')::int,
    s * (outcome = 'no_contesta')::int, s * (outcome = 'ocupado')::int, s * (outcome = 'fallida')::int] $$;

-- Inbound calls on the lines an operator answers: the ones with an answer time.
create function report_call_answerable(direction text, line text) returns boolean language sql immutable parallel safe as $$
  select direction = 'inbound' and line in ('emergency', 'general', 'info') $$;

-- An attempt counts once it has ended (outcome set). A later change (the operator's filing, a
-- late answer, a move) takes back what it counted and counts it again; when nothing it is counted
-- under changes, nothing is written.
create function report_calls_track() returns trigger language plpgsql as $$
declare
  o_cls text; o_out boolean; o_b smallint;
  n_cls text; n_out boolean; n_b smallint;
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  if tg_op <> 'INSERT' and old.outcome is not null then
    o_cls := report_outcome_class(old.outcome, old.disposition, old.answered_by);
    o_out := coalesce(old.rep_outside_window, false) and old.outcome <> 'not_placed';
    o_b := case when old.answered_at is not null then report_answer_bucket(old.started_at, old.answered_at) end;
  end if;
  if tg_op <> 'DELETE' and new.outcome is not null then
    n_cls := report_outcome_class(new.outcome, new.disposition, new.answered_by);
    n_out := coalesce(new.rep_outside_window, false) and new.outcome <> 'not_placed';
    n_b := case when new.answered_at is not null then report_answer_bucket(new.started_at, new.answered_at) end;
  end if;
  if o_cls is not null and n_cls is not null and o_cls = n_cls and o_out = n_out and o_b is not distinct from n_b
    and old.rep_day = new.rep_day and old.direction = new.direction and old.line = new.line
    and old.kind is not distinct from new.kind and old.rep_province is not distinct from new.rep_province
    and old.rep_municipality is not distinct from new.rep_municipality and old.rep_centre_id is not distinct from new.rep_centre_id then
    return null;
  end if;
  if o_cls is not null then
    insert into report_call_deltas values (-1, coalesce(old.rep_province, ''), old.rep_day, coalesce(old.rep_municipality, ''),
      coalesce(old.rep_centre_id, report_no_centre()), old.direction, old.line, coalesce(old.kind, '-'), o_cls, o_out, o_b);
  end if;
  if n_cls is not null then
    insert into report_call_deltas values (1, coalesce(new.rep_province, ''), new.rep_day, coalesce(new.rep_municipality, ''),
      coalesce(new.rep_centre_id, report_no_centre()), new.direction, new.line, coalesce(new.kind, '-'), n_cls, n_out, n_b);
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

create table report_occasion_deltas (
  sign          smallint not null,
  province_code text not null,
  day           date not null,
  municipality  text not null,
  centre_id     uuid not null,
  kind          text not null,
  status        text not null,
  on_time       boolean not null
) with (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
  autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 2000);

-- What one side adds to its report_occasion_days cell: planned, open, contact, failed, cancelled, on_time.
create function report_occasion_vector_of(status text, on_time boolean, s integer) returns integer[]
  language sql immutable parallel safe as $$
  select array[s, s * (status = 'open')::int, s * (status = 'contact')::int, s * (status = 'failed')::int,
    s * (status = 'cancelled')::int, s * on_time::int] $$;

-- reached on or before its planned day, in her zone
create function report_occasion_on_time(status text, closed_at timestamptz, zone text, planned_on date) returns boolean
  language sql immutable parallel safe as $$
  select status = 'contact' and closed_at is not null and (closed_at at time zone coalesce(zone, 'Europe/Madrid'))::date <= planned_on $$;

create function report_occasions_track() returns trigger language plpgsql as $$
declare
  o_t boolean; n_t boolean;
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  if tg_op <> 'INSERT' then o_t := report_occasion_on_time(old.status, old.closed_at, old.rep_zone, old.planned_on); end if;
  if tg_op <> 'DELETE' then n_t := report_occasion_on_time(new.status, new.closed_at, new.rep_zone, new.planned_on); end if;
  if tg_op = 'UPDATE' and old.status = new.status and o_t = n_t and old.planned_on = new.planned_on and old.kind = new.kind
    and old.rep_province is not distinct from new.rep_province and old.rep_municipality is not distinct from new.rep_municipality
    and old.rep_centre_id is not distinct from new.rep_centre_id then
    return null;
  end if;
  if tg_op <> 'INSERT' then
    insert into report_occasion_deltas values (-1, coalesce(old.rep_province, ''), old.planned_on, coalesce(old.rep_municipality, ''),
      coalesce(old.rep_centre_id, report_no_centre()), old.kind, old.status, o_t);
  end if;
  if tg_op <> 'DELETE' then
    insert into report_occasion_deltas values (1, coalesce(new.rep_province, ''), new.planned_on, coalesce(new.rep_municipality, ''),
      coalesce(new.rep_centre_id, report_no_centre()), new.kind, new.status, n_t);
  end if;
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

-- ---- folding and recomputing: one grouping for both ---------------------------------------------
-- A histogram that adds n at bucket b (null: nothing), and the element-wise sum of two.
create function report_hist_add(s integer[], b integer, n integer) returns integer[] language plpgsql immutable as $$
begin
  if b is not null then s[b] := s[b] + n; end if;
  return s;
end $$;
create aggregate report_hist(integer, integer) (sfunc = report_hist_add, stype = integer[], initcond = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}');
create function report_hist_plus(a integer[], b integer[]) returns integer[] language sql immutable parallel safe as $$
  select array_agg(x + y order by i) from unnest(a, b) with ordinality as u(x, y, i) $$;
-- one side's histogram (reads add the pending deltas to the rollup's): n at bucket b
create function report_hist_one(b integer, n integer) returns integer[] language sql immutable parallel safe as $$
  select case when b is null then array_fill(0, array[85])
    else array_fill(0, array[b - 1]) || n || array_fill(0, array[85 - b]) end $$;

-- the attempts that count, with their key at level 2 (the shape the fold reads its deltas in)
create function report_calls_counted() returns table (province_code text, day date, month date, municipality text, centre_id uuid,
  direction text, line text, kind text, v integer[], bucket integer, answerable boolean, sign integer) language sql stable as $$
  select coalesce(c.rep_province, ''), c.rep_day, date_trunc('month', c.rep_day)::date, coalesce(c.rep_municipality, ''),
    coalesce(c.rep_centre_id, report_no_centre()), c.direction, c.line, coalesce(c.kind, '-'),
    report_call_vector_of(report_outcome_class(c.outcome, c.disposition, c.answered_by),
      coalesce(c.rep_outside_window, false) and c.outcome <> 'not_placed', c.answered_at is not null, 1),
    case when c.answered_at is not null then report_answer_bucket(c.started_at, c.answered_at) end,
    report_call_answerable(c.direction, c.line), 1
  from call_attempts c where c.outcome is not null $$;

create function report_occasions_counted() returns table (province_code text, day date, month date, municipality text, centre_id uuid,
  kind text, v integer[]) language sql stable as $$
  select coalesce(rep_province, ''), planned_on, date_trunc('month', planned_on)::date, coalesce(rep_municipality, ''),
    coalesce(rep_centre_id, report_no_centre()), kind,
    report_occasion_vector_of(status, report_occasion_on_time(status, closed_at, rep_zone, planned_on), 1)
  from followup_occasions $$;

-- The same grouping (level-2 rows to the four levels) serves the recomputation from the raw
-- tables (the rebuild, and the yardstick of the property test) and the fold of the deltas; it is
-- written once here and the functions are generated from it.
do $gen$
declare
  lvl text := $$(case when grouping(province_code) = 1 then 0 when grouping(municipality) = 0 then 2 when grouping(day) = 1 then 3 else 1 end)::smallint,
    coalesce(case when grouping(province_code) = 0 then province_code end, ''), coalesce(case when grouping(day) = 0 then day end, month),
    coalesce(case when grouping(municipality) = 0 then municipality end, ''),
    coalesce(case when grouping(centre_id) = 0 then centre_id end, report_no_centre())$$;
  calls text := format($$select %s, direction, line, kind, sum(v[1])::int, sum(v[2])::int, sum(v[3])::int, sum(v[4])::int, sum(v[5])::int,
    sum(v[6])::int, sum(v[7])::int, sum(v[8])::int, sum(v[9])::int, sum(v[10])::int, sum(v[11])::int, sum(v[12])::int, sum(v[13])::int,
    sum(v[14])::int
  from %%s
  group by grouping sets ((day, direction, line, kind), (province_code, day, direction, line, kind),
    (province_code, municipality, centre_id, day, direction, line, kind), (province_code, month, direction, line, kind))$$, lvl);
  answers text := format($$select %s, line, kind, sum(sign)::int, coalesce(sum(sign) filter (where bucket is not null), 0)::int, report_hist(bucket, sign)
  from %%s where answerable
  group by grouping sets ((day, line, kind), (province_code, day, line, kind), (province_code, municipality, centre_id, day, line, kind),
    (province_code, month, line, kind))$$, lvl);
  occasions text := format($$select %s, kind, sum(v[1])::int, sum(v[2])::int, sum(v[3])::int, sum(v[4])::int, sum(v[5])::int, sum(v[6])::int
  from %%s
  group by grouping sets ((day, kind), (province_code, day, kind), (province_code, municipality, centre_id, day, kind),
    (province_code, month, kind))$$, lvl);
  call_keys text := 'geo_level, province_code, day, municipality, centre_id, direction, line, kind';
  call_sets text := 'calls = t.calls + excluded.calls, answered = t.answered + excluded.answered,
    outside_window = t.outside_window + excluded.outside_window, o_atendida = t.o_atendida + excluded.o_atendida,
    o_sin_voz = t.o_sin_voz + excluded.o_sin_voz, o_colgada = t.o_colgada + excluded.o_colgada,
    o_equivocada = t.o_equivocada + excluded.o_equivocada, o_prueba = t.o_prueba + excluded.o_prueba,
    o_no_es_ella = t.o_no_es_ella + excluded.o_no_es_ella, o_contestador = t.o_contestador + excluded.o_contestador,
    o_completada = t.o_completada + excluded.o_completada, o_no_contesta = t.o_no_contesta + excluded.o_no_contesta,
    o_ocupado = t.o_ocupado + excluded.o_ocupado, o_fallida = t.o_fallida + excluded.o_fallida';
  answer_sets text := 'offered = t.offered + excluded.offered, answered = t.answered + excluded.answered,
    ans_hist = report_hist_plus(t.ans_hist, excluded.ans_hist)';
  occasion_sets text := 'planned = t.planned + excluded.planned, open = t.open + excluded.open, contact = t.contact + excluded.contact,
    failed = t.failed + excluded.failed, cancelled = t.cancelled + excluded.cancelled, on_time = t.on_time + excluded.on_time';
begin
  execute format('create function report_call_days_recomputed() returns setof report_call_days language sql stable as %L',
    format(calls, 'report_calls_counted()'));
  execute format('create function report_answer_days_recomputed() returns setof report_answer_days language sql stable as %L',
    format(answers, 'report_calls_counted()'));
  execute format('create function report_occasion_days_recomputed() returns setof report_occasion_days language sql stable as %L',
    format(occasions, 'report_occasions_counted()'));
  -- The fold: the deltas visible now are deleted, grouped and added to the rollups in one
  -- statement per table family, in one transaction; deltas committed meanwhile wait for the next.
  -- Returns how many delta rows it folded, or -1 when another session is folding.
  execute format('create function report_fold() returns integer language plpgsql as %L', format($f$
declare
  n integer; m integer;
begin
  if not pg_try_advisory_xact_lock(hashtext('atenpro.report_fold')) then return -1; end if;
  with d as (delete from report_call_deltas returning *),
  s as (select province_code, day, date_trunc('month', day)::date as month, municipality, centre_id, direction, line, kind,
      report_call_vector_of(outcome, outside, bucket is not null, sign) as v, bucket::int as bucket, sign::int as sign,
      report_call_answerable(direction, line) as answerable from d),
  c as (insert into report_call_days as t %1$s
    on conflict (%2$s) do update set %3$s),
  a as (insert into report_answer_days as t %4$s
    on conflict (geo_level, province_code, day, municipality, centre_id, line, kind) do update set %5$s)
  select count(*) into n from d;
  with d as (delete from report_occasion_deltas returning *),
  s as (select province_code, day, date_trunc('month', day)::date as month, municipality, centre_id, kind,
      report_occasion_vector_of(status, on_time, sign) as v from d),
  o as (insert into report_occasion_days as t %6$s
    on conflict (geo_level, province_code, day, municipality, centre_id, kind) do update set %7$s)
  select count(*) into m from d;
  return n + m;
end $f$, format(calls, 's'), call_keys, call_sets, format(answers, 's'), answer_sets, format(occasions, 's'), occasion_sets));
end $gen$;

-- After a bulk load with the triggers deferred: the rollups from scratch, and no delta left over
-- (what they held is in the raw tables the rebuild reads). Waits for a fold in progress.
create function report_rebuild() returns void language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('atenpro.report_fold'));
  truncate report_call_days, report_answer_days, report_occasion_days, report_call_deltas, report_occasion_deltas;
  insert into report_call_days select * from report_call_days_recomputed();
  insert into report_answer_days select * from report_answer_days_recomputed();
  insert into report_occasion_days select * from report_occasion_days_recomputed();
end $$;

-- what was there before this migration, counted once
select report_rebuild();
