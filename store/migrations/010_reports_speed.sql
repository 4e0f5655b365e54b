-- Managers' statistics, reads whose cost does not grow with the population (issue 7, benchmark
-- `reports`). Two figures were read from tables that grow with every usuaria: the census (altas,
-- bajas, active at a date) from expedientes, and the overdue self-tests from terminals. Both now
-- read maintained counters, kept by triggers as those rows are written:
--
--   report_census_days: altas and bajas (by cause) per day or month and place, at the levels the
--   call rollups use (0 whole service, 1 province, 2 province/municipality/centre) and the same
--   three per month (4, 3, 5). Active at a date is a running sum: altas minus bajas before it, read
--   from the monthly rows and the few daily rows of its own month. Counted where she lives now and
--   under the expediente's centre, as the census has always placed stocks (a move moves her history).
--   An expediente whose baja precedes its alta (allowed when the baja follows the request) cannot be
--   a running sum; those few are left out of the counters and read directly (partial index).
--
--   report_terminals: one row per terminal the self-test figure counts (active, of a usuaria with
--   an active expediente), with its place; report_terminal_cells: active and never-tested per place
--   and model. Overdue is "now minus the model's period", so it is read as an index range over the
--   active terminals of each model whose last self-test is older than that: it costs as many rows
--   as there are overdue terminals, not as there are terminals.
--
-- Writes of expedientes, usuarias and terminals are rare next to calls (an alta, a baja, a move, a
-- terminal swapped; a self-test only touches these triggers on a terminal's first one), so the
-- counters are upserted in the writing transaction. Bulk loads set atenpro.reports_deferred (or
-- run as replica) and call report_rebuild(), which now also rebuilds these.

-- ---- census ------------------------------------------------------------------------------------
create table report_census_days (
  geo_level     smallint not null,
  province_code text not null,
  -- the day, or the month's 1st at levels 3, 4, 5
  day           date not null,
  municipality  text not null,
  centre_id     uuid not null,
  -- '' for altas, else the baja's cause ('-' for a baja date without one)
  cause         text not null,
  n             integer not null default 0,
  primary key (geo_level, province_code, day, municipality, centre_id, cause)
) with (fillfactor = 80);

-- the expedientes the counters leave out: a baja dated before the alta
create index expedientes_report_irregular on expedientes (usuaria_id) where baja_on < alta_on;

-- n at one place and day, at the six levels
create function report_census_add(province text, municipality text, centre uuid, day date, cause text, n integer) returns void
  language sql as $$
  insert into report_census_days as t (geo_level, province_code, day, municipality, centre_id, cause, n)
  select l.level, case when l.level in (0, 4) then '' else province end, case when l.level >= 3 then date_trunc('month', day)::date else day end,
    case when l.level in (2, 5) then municipality else '' end, case when l.level in (2, 5) then centre else report_no_centre() end, cause, n
  from (values (0), (1), (2), (3), (4), (5)) l(level)
  on conflict (geo_level, province_code, day, municipality, centre_id, cause) do update set n = t.n + excluded.n $$;

-- What one expediente counts (sign s), placed where she lives: its alta, and its baja by cause.
create function report_census_expediente(usuaria uuid, centre uuid, alta date, baja date, cause text, s integer) returns void
  language plpgsql as $$
declare
  p record;
begin
  if alta is null or baja < alta then return; end if;
  select u.province_code::text as province, u.municipality into p from usuarias u where u.id = usuaria;
  if not found then return; end if;
  perform report_census_add(p.province, p.municipality, centre, alta, '', s);
  -- a baja date without a cause (not a baja yet) is counted as the census always did, under '-'
  if baja is not null then perform report_census_add(p.province, p.municipality, centre, baja, coalesce(cause, '-'), s); end if;
end $$;

create function report_census_track() returns trigger language plpgsql as $$
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  if tg_op <> 'INSERT' then
    perform report_census_expediente(old.usuaria_id, old.centre_id, old.alta_on, old.baja_on, old.baja_cause, -1);
  end if;
  if tg_op <> 'DELETE' then
    perform report_census_expediente(new.usuaria_id, new.centre_id, new.alta_on, new.baja_on, new.baja_cause, 1);
  end if;
  return null;
end $$;
create trigger expedientes_report_census after insert or delete on expedientes
  for each row execute function report_census_track();
create trigger expedientes_report_census_update after update on expedientes
  for each row when (old.alta_on is distinct from new.alta_on or old.baja_on is distinct from new.baja_on
    or old.baja_cause is distinct from new.baja_cause or old.centre_id is distinct from new.centre_id
    or old.usuaria_id is distinct from new.usuaria_id)
  execute function report_census_track();

-- the counters from scratch (level-2 rows grouped to the six levels)
create function report_census_recomputed() returns setof report_census_days language sql stable as $$
  with e as (
    select u.province_code::text as province_code, u.municipality, e.centre_id, e.alta_on as day, '' as cause
    from expedientes e join usuarias u on u.id = e.usuaria_id
    where e.alta_on is not null and not coalesce(e.baja_on < e.alta_on, false)
    union all
    select u.province_code, u.municipality, e.centre_id, e.baja_on, coalesce(e.baja_cause, '-')
    from expedientes e join usuarias u on u.id = e.usuaria_id
    where e.alta_on is not null and e.baja_on >= e.alta_on)
  select l.level::smallint, case when l.level in (0, 4) then '' else province_code end,
    case when l.level >= 3 then date_trunc('month', day)::date else day end,
    case when l.level in (2, 5) then municipality else '' end, case when l.level in (2, 5) then centre_id else report_no_centre() end,
    cause, count(*)::int
  from e cross join (values (0), (1), (2), (3), (4), (5)) l(level)
  group by 1, 2, 3, 4, 5, 6 $$;

-- ---- terminals and their self-tests --------------------------------------------------------------
create table report_terminals (
  terminal_id   uuid primary key,
  usuaria_id    uuid not null,
  model         text not null,
  province_code text not null,
  municipality  text not null,
  centre_id     uuid not null,
  never         boolean not null
);
create index report_terminals_usuaria on report_terminals (usuaria_id);

create table report_terminal_cells (
  province_code text not null,
  municipality  text not null,
  centre_id     uuid not null,
  model         text not null,
  active        integer not null default 0,
  never         integer not null default 0,
  primary key (province_code, municipality, centre_id, model)
);

-- the overdue ones of a model are a range of this index
create index terminals_report_selftest_due on terminals (model, (coalesce(last_selftest_at, status_changed_at))) where status = 'active';

-- The active terminals whose self-test is overdue at `at`: per model that makes self-tests (its own
-- period, else `default_hours`), one range of terminals_report_selftest_due; each planned with its
-- bound, so the range is read by index however many terminals there are.
create function report_terminals_overdue(at timestamptz, default_hours integer) returns table (terminal_id uuid)
  language plpgsql stable rows 100 as $$
declare
  m record;
begin
  for m in select c.model, coalesce(tm.selftest_period_hours, default_hours) as hours
      from (select distinct x.model from report_terminal_cells x) c left join terminal_models tm on tm.model = c.model
      where tm.model is null or tm.selftest_period_hours is not null loop
    return query select t.id from terminals t where t.status = 'active' and t.model = m.model
      and coalesce(t.last_selftest_at, t.status_changed_at) < at - make_interval(hours => m.hours);
  end loop;
end $$;

-- the terminals the figure counts (of one usuaria, or all): active, hers, she in service
create function report_terminals_counted(usuaria uuid) returns setof report_terminals language sql stable as $$
  select t.id, t.usuaria_id, t.model, u.province_code::text, u.municipality, e.centre_id, t.last_selftest_at is null
  from terminals t join usuarias u on u.id = t.usuaria_id join expedientes e on e.usuaria_id = u.id and e.status = 'activa'
  where t.status = 'active' and (usuaria is null or t.usuaria_id = usuaria) $$;

-- Her rows again, and the cells moved by the difference. One usuaria at a time (her advisory lock),
-- so that two transactions touching her never insert the same terminal twice.
create function report_terminals_refresh(usuaria uuid) returns void language plpgsql as $$
begin
  if usuaria is null then return; end if;
  perform pg_advisory_xact_lock(hashtext('atenpro.report_terminals'), hashtext(usuaria::text));
  with gone as (delete from report_terminals r where r.usuaria_id = usuaria returning r.*),
  fresh as (insert into report_terminals select * from report_terminals_counted(usuaria) returning *),
  d as (select province_code, municipality, centre_id, model, -1 as s, never from gone
    union all select province_code, municipality, centre_id, model, 1, never from fresh)
  insert into report_terminal_cells as t (province_code, municipality, centre_id, model, active, never)
  select province_code, municipality, centre_id, model, sum(s)::int, sum(s * never::int)::int from d group by 1, 2, 3, 4
  on conflict (province_code, municipality, centre_id, model)
    do update set active = t.active + excluded.active, never = t.never + excluded.never;
end $$;

create function report_terminals_track() returns trigger language plpgsql as $$
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  if tg_op <> 'INSERT' then perform report_terminals_refresh(old.usuaria_id); end if;
  if tg_op <> 'DELETE' and (tg_op = 'INSERT' or new.usuaria_id is distinct from old.usuaria_id) then
    perform report_terminals_refresh(new.usuaria_id);
  end if;
  return null;
end $$;
create trigger terminals_report_insert after insert or delete on terminals
  for each row execute function report_terminals_track();
-- a self-test only matters here on a terminal's first one
create trigger terminals_report_update after update on terminals
  for each row when (old.status is distinct from new.status or old.model is distinct from new.model
    or old.usuaria_id is distinct from new.usuaria_id or (old.last_selftest_at is null) <> (new.last_selftest_at is null))
  execute function report_terminals_track();
create trigger expedientes_report_terminals after insert or delete on expedientes
  for each row execute function report_terminals_track();
create trigger expedientes_report_terminals_update after update on expedientes
  for each row when (old.status is distinct from new.status or old.centre_id is distinct from new.centre_id
    or old.usuaria_id is distinct from new.usuaria_id)
  execute function report_terminals_track();

-- a move: her census history and her terminals follow her
create function report_usuaria_moved() returns trigger language plpgsql as $$
declare
  e record;
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  for e in select x.centre_id, x.alta_on, x.baja_on, x.baja_cause from expedientes x where x.usuaria_id = new.id loop
    if e.alta_on is null or e.baja_on < e.alta_on then continue; end if;
    perform report_census_add(old.province_code, old.municipality, e.centre_id, e.alta_on, '', -1);
    perform report_census_add(new.province_code, new.municipality, e.centre_id, e.alta_on, '', 1);
    if e.baja_on is not null then
      perform report_census_add(old.province_code, old.municipality, e.centre_id, e.baja_on, coalesce(e.baja_cause, '-'), -1);
      perform report_census_add(new.province_code, new.municipality, e.centre_id, e.baja_on, coalesce(e.baja_cause, '-'), 1);
    end if;
  end loop;
  perform report_terminals_refresh(new.id);
  return null;
end $$;
create trigger usuarias_report_moved after update on usuarias
  for each row when (old.province_code is distinct from new.province_code or old.municipality is distinct from new.municipality)
  execute function report_usuaria_moved();

create function report_terminal_cells_recomputed() returns setof report_terminal_cells language sql stable as $$
  select province_code, municipality, centre_id, model, count(*)::int, count(*) filter (where never)::int
  from report_terminals_counted(null) group by 1, 2, 3, 4 $$;

-- ---- rebuilds ------------------------------------------------------------------------------------
-- The census and terminal counters from scratch: after a bulk load of usuarias with the triggers off.
create function report_rebuild_stocks() returns void language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('atenpro.report_stocks'));
  truncate report_census_days, report_terminals, report_terminal_cells;
  insert into report_census_days select * from report_census_recomputed();
  insert into report_terminals select * from report_terminals_counted(null);
  insert into report_terminal_cells select * from report_terminal_cells_recomputed();
end $$;

-- migration 005's rebuild, and the counters above with it
create or replace function report_rebuild() returns void language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('atenpro.report_fold'));
  truncate report_call_days, report_answer_days, report_occasion_days, report_call_deltas, report_occasion_deltas;
  insert into report_call_days select * from report_call_days_recomputed();
  insert into report_answer_days select * from report_answer_days_recomputed();
  insert into report_occasion_days select * from report_occasion_days_recomputed();
  perform report_rebuild_stocks();
end $$;

select report_rebuild_stocks();
