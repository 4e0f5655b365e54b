-- Managers' statistics (issue 7, benchmark `reports`): more grains and narrower reads, so that the
-- dashboard's default request (twelve months to date, by month) reads a row per month and not a
-- row per day, and the overdue self-tests a range of an index and not the terminals.
--
-- 1. The call, answer and occasion rollups (migration 005) get level 4: per province, municipality,
--    centre and month (day = the 1st), what level 3 is to level 1; and level 5: the whole service by
--    month, the same to level 0. A drill-down by municipality or centre, or the whole service, over a
--    year reads 12 rows per cell instead of 365. The fold, the rebuild and the
--    recomputation all come from one grouping written once in migration 005; that grouping gains
--    its fifth and sixth sets here, by rewriting the generated functions' text (each rewrite is checked to
--    have happened, so a function that no longer has the expected shape fails the migration
--    instead of being left behind).
--
-- 2. The census counters (migration 010) get the same three places per year (levels 6, 7, 8: whole
--    service, province, municipality and centre; day = 1 January). Active at a date is altas minus
--    bajas before it: the years before its own, then the months of its year, then the days of its
--    month. That is a few dozen rows per place, where the monthly rows since the first alta were
--    a few hundred.
--
--    Both counter tables (census, incidents) get an index that carries their counts, so that a read
--    never visits the table.
--
-- 3. The mirror of counted terminals (migration 010, report_terminals) keeps each terminal's
--    self-test clock (its last self-test, else its coming into service), moved by every self-test,
--    with an index by model and that clock that carries the place. The overdue terminals of a model
--    are one range of it, counted by place without visiting the terminals; before, they were
--    collected from the terminals' own index and each looked up in the mirror for its place (12 ms
--    for 3,800 overdue terminals of 90,000). The index on terminals that served that, and its
--    function, go: a self-test now updates one row of the mirror instead of one more index.
--
-- Each is filled from rows already there, under the locks their writers take, so nothing written
-- meanwhile is lost or counted twice: the rollups' levels 4 and 5 from the folded levels 2 and 0 (the
-- deltas not folded yet reach them with the next fold, as they reach every level), the census years from
-- the months, the clocks from the terminals.

-- ---- 1. rollups by month: per municipality and centre, and for the whole service -------------
select pg_advisory_xact_lock(hashtext('atenpro.report_fold'));

create table report_call_days_4 partition of report_call_days for values in (4) with (fillfactor = 70);
create table report_answer_days_4 partition of report_answer_days for values in (4) with (fillfactor = 60);
create table report_occasion_days_4 partition of report_occasion_days for values in (4) with (fillfactor = 70);
create table report_call_days_5 partition of report_call_days for values in (5) with (fillfactor = 70);
create table report_answer_days_5 partition of report_answer_days for values in (5) with (fillfactor = 60);
create table report_occasion_days_5 partition of report_occasion_days for values in (5) with (fillfactor = 70);

do $gen$
declare
  f text;
  def text;
  sets integer;
begin
  foreach f in array array['report_call_days_recomputed', 'report_answer_days_recomputed', 'report_occasion_days_recomputed',
      'report_fold'] loop
    def := pg_get_functiondef(f::regproc);
    -- the levels of the grouping sets that drop the day: with the municipality 4, without any place 5
    def := replace(def, 'when grouping(province_code) = 1 then 0', 'when grouping(province_code) = 1 then (case when grouping(day) = 1 then 5 else 0 end)');
    def := replace(def, 'when grouping(municipality) = 0 then 2', 'when grouping(municipality) = 0 then (case when grouping(day) = 1 then 4 else 2 end)');
    -- next to each (province_code, month, ...) set, the same with the municipality and the centre, and without any place
    def := regexp_replace(def, '\(province_code, month, ([a-z_, ]+)\)\)',
      '(province_code, month, \1), (province_code, municipality, centre_id, month, \1), (month, \1))', 'g');
    sets := (length(def) - length(replace(def, 'centre_id, month,', ''))) / length('centre_id, month,');
    if sets <> (case when f = 'report_fold' then 3 else 1 end) or position('then 4 else 2' in def) = 0
      or position('then 5 else 0' in def) = 0 then
      raise exception 'migration 012: % does not have the shape migration 005 generated', f;
    end if;
    execute def;
  end loop;
end $gen$;

-- the element-wise sum of histograms
create aggregate report_hist_total(integer[]) (sfunc = report_hist_plus, stype = integer[],
  initcond = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}');

insert into report_call_days
select case geo_level when 2 then 4 else 5 end, province_code, date_trunc('month', day)::date, municipality, centre_id, direction, line, kind,
  sum(calls), sum(answered), sum(outside_window), sum(o_atendida), sum(o_sin_voz), sum(o_colgada), sum(o_equivocada), sum(o_prueba),
  sum(o_no_es_ella), sum(o_contestador), sum(o_completada), sum(o_no_contesta), sum(o_ocupado), sum(o_fallida)
from report_call_days where geo_level in (0, 2) group by 1, 2, 3, 4, 5, 6, 7, 8;
insert into report_answer_days
select case geo_level when 2 then 4 else 5 end, province_code, date_trunc('month', day)::date, municipality, centre_id, line, kind,
  sum(offered), sum(answered), report_hist_total(ans_hist)
from report_answer_days where geo_level in (0, 2) group by 1, 2, 3, 4, 5, 6, 7;
insert into report_occasion_days
select case geo_level when 2 then 4 else 5 end, province_code, date_trunc('month', day)::date, municipality, centre_id, kind,
  sum(planned), sum(open), sum(contact), sum(failed), sum(cancelled), sum(on_time)
from report_occasion_days where geo_level in (0, 2) group by 1, 2, 3, 4, 5, 6;

-- ---- 2. census by year -------------------------------------------------------------------------
lock table report_census_days in share row exclusive mode;

-- Level -> (place, grain): 0, 1, 2 whole service, province, municipality and centre by day; 4, 3, 5
-- the same by month; 6, 7, 8 by year.
create function report_census_cells(p_province text, p_municipality text, p_centre uuid, p_day date)
  returns table (geo_level smallint, province_code text, day date, municipality text, centre_id uuid)
  language sql immutable parallel safe as $$
  select l.level::smallint, case when l.place = 0 then '' else p_province end,
    case l.grain when 'day' then p_day else date_trunc(l.grain, p_day::timestamp)::date end,
    case when l.place = 2 then p_municipality else '' end, case when l.place = 2 then p_centre else report_no_centre() end
  from (values (0, 0, 'day'), (1, 1, 'day'), (2, 2, 'day'), (3, 1, 'month'), (4, 0, 'month'), (5, 2, 'month'),
    (6, 0, 'year'), (7, 1, 'year'), (8, 2, 'year')) l(level, place, grain) $$;

create or replace function report_census_add(province text, municipality text, centre uuid, day date, cause text, n integer) returns void
  language sql as $$
  insert into report_census_days as t (geo_level, province_code, day, municipality, centre_id, cause, n)
  select c.geo_level, c.province_code, c.day, c.municipality, c.centre_id, cause, n
  from report_census_cells(province, municipality, centre, day) c
  on conflict (geo_level, province_code, day, municipality, centre_id, cause) do update set n = t.n + excluded.n $$;

create or replace function report_census_recomputed() returns setof report_census_days language sql stable as $$
  with e as (
    select u.province_code::text as province_code, u.municipality, e.centre_id, e.alta_on as day, '' as cause
    from expedientes e join usuarias u on u.id = e.usuaria_id
    where e.alta_on is not null and not coalesce(e.baja_on < e.alta_on, false)
    union all
    select u.province_code, u.municipality, e.centre_id, e.baja_on, coalesce(e.baja_cause, '-')
    from expedientes e join usuarias u on u.id = e.usuaria_id
    where e.alta_on is not null and e.baja_on >= e.alta_on)
  select c.geo_level, c.province_code, c.day, c.municipality, c.centre_id, e.cause, count(*)::int
  from e cross join lateral report_census_cells(e.province_code, e.municipality, e.centre_id, e.day) c
  group by 1, 2, 3, 4, 5, 6 $$;

-- Reads take a level's range of days (and of years and months for the opening): with n carried in
-- the index they never visit the table, whose rows for one level and month are spread across it
-- as altas and bajas came (3,986 rows of a year by province were 1,694 heap pages). Altas and
-- bajas are rare next to reads; each now also writes this index.
create index report_census_days_read on report_census_days (geo_level, province_code, day) include (municipality, centre_id, cause, n);
-- the same for the incident counters (migration 011), written as rarely
create index report_incident_days_read on report_incident_days (geo_level, province_code, day)
  include (municipality, centre_id, kind, level, n);

insert into report_census_days (geo_level, province_code, day, municipality, centre_id, cause, n)
select case geo_level when 4 then 6 when 3 then 7 else 8 end, province_code, date_trunc('year', day)::date, municipality, centre_id,
  cause, sum(n)
from report_census_days where geo_level in (3, 4, 5) group by 1, 2, 3, 4, 5, 6 having sum(n) <> 0;

-- ---- 3. self-test clocks in the mirror of counted terminals -----------------------------------------
lock table report_terminals in share row exclusive mode;

alter table report_terminals add column last_at timestamptz;
update report_terminals r set last_at = coalesce(t.last_selftest_at, t.status_changed_at) from terminals t where t.id = r.terminal_id;
alter table report_terminals alter column last_at set not null;
create index report_terminals_due on report_terminals (model, last_at) include (province_code, municipality, centre_id);

create or replace function report_terminals_counted(usuaria uuid) returns setof report_terminals language sql stable as $$
  select t.id, t.usuaria_id, t.model, u.province_code::text, u.municipality, e.centre_id, t.last_selftest_at is null,
    coalesce(t.last_selftest_at, t.status_changed_at)
  from terminals t join usuarias u on u.id = t.usuaria_id join expedientes e on e.usuaria_id = u.id and e.status = 'activa'
  where t.status = 'active' and (usuaria is null or t.usuaria_id = usuaria) $$;

-- a self-test (or a change of status) moves the terminal's clock in the mirror, if it is counted there
create function report_terminal_clock() returns trigger language plpgsql as $$
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  update report_terminals set last_at = coalesce(new.last_selftest_at, new.status_changed_at) where terminal_id = new.id;
  return null;
end $$;
create trigger terminals_report_clock after update on terminals
  for each row when (coalesce(old.last_selftest_at, old.status_changed_at) is distinct from coalesce(new.last_selftest_at, new.status_changed_at))
  execute function report_terminal_clock();

drop function report_terminals_overdue(timestamptz, integer);
drop index terminals_report_selftest_due;
