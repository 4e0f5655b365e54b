-- Managers' statistics: emergencies by kind and level read from counters kept as incidents are
-- written (issue 7, benchmark `reports`), no longer from the incidents of the whole range, which
-- grow with the population. An incident is written once per emergency disposition and seldom
-- changed, so the counters are upserted in the writing transaction, counted where and when its
-- call happened (the rep_* snapshot of migration 005), at the six levels of the census counters
-- (migration 010): 0 whole service, 1 province, 2 municipality and centre, by day; 4, 3, 5 the same
-- by month. Bulk loads defer them (atenpro.reports_deferred) and report_rebuild_stocks() redoes them.
create table report_incident_days (
  geo_level     smallint not null,
  province_code text not null,
  day           date not null,
  municipality  text not null,
  centre_id     uuid not null,
  kind          text not null,
  -- 0 for an incident without a level
  level         smallint not null,
  n             integer not null default 0,
  primary key (geo_level, province_code, day, municipality, centre_id, kind, level)
) with (fillfactor = 80);

-- n incidents of one kind and level at one place and day, at the six levels
create function report_incident_add(p_province text, p_municipality text, p_centre uuid, p_day date, p_kind text, p_level smallint,
  p_n integer) returns void language sql as $$
  insert into report_incident_days as t (geo_level, province_code, day, municipality, centre_id, kind, level, n)
  select l.g, case when l.g in (0, 4) then '' else coalesce(p_province, '') end,
    case when l.g >= 3 then date_trunc('month', p_day)::date else p_day end,
    case when l.g in (2, 5) then coalesce(p_municipality, '') else '' end,
    case when l.g in (2, 5) then coalesce(p_centre, report_no_centre()) else report_no_centre() end, p_kind, coalesce(p_level, 0), p_n
  from (values (0), (1), (2), (3), (4), (5)) l(g)
  on conflict (geo_level, province_code, day, municipality, centre_id, kind, level) do update set n = t.n + excluded.n $$;

create function report_incident_track() returns trigger language plpgsql as $$
begin
  if current_setting('atenpro.reports_deferred', true) = 'on' then return null; end if;
  if tg_op <> 'INSERT' and old.rep_day is not null then
    perform report_incident_add(old.rep_province::text, old.rep_municipality, old.rep_centre_id, old.rep_day, old.kind, old.level, -1);
  end if;
  if tg_op <> 'DELETE' and new.rep_day is not null then
    perform report_incident_add(new.rep_province::text, new.rep_municipality, new.rep_centre_id, new.rep_day, new.kind, new.level, 1);
  end if;
  return null;
end $$;
create trigger incidents_report_counters after insert or delete on incidents
  for each row execute function report_incident_track();
create trigger incidents_report_counters_update after update on incidents
  for each row when (old.kind is distinct from new.kind or old.level is distinct from new.level or old.rep_day is distinct from new.rep_day
    or old.rep_province is distinct from new.rep_province or old.rep_municipality is distinct from new.rep_municipality
    or old.rep_centre_id is distinct from new.rep_centre_id)
  execute function report_incident_track();

-- the counters from scratch
create function report_incident_days_recomputed() returns setof report_incident_days language sql stable as $$
  select l.g::smallint, case when l.g in (0, 4) then '' else coalesce(i.rep_province::text, '') end,
    case when l.g >= 3 then date_trunc('month', i.rep_day)::date else i.rep_day end,
    case when l.g in (2, 5) then coalesce(i.rep_municipality, '') else '' end,
    case when l.g in (2, 5) then coalesce(i.rep_centre_id, report_no_centre()) else report_no_centre() end,
    i.kind, coalesce(i.level, 0)::smallint, count(*)::int
  from incidents i cross join (values (0), (1), (2), (3), (4), (5)) l(g)
  where i.rep_day is not null
  group by 1, 2, 3, 4, 5, 6, 7 $$;

-- migration 010's stocks, and these counters with them (report_rebuild() calls this too)
create or replace function report_rebuild_stocks() returns void language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('atenpro.report_stocks'));
  truncate report_census_days, report_terminals, report_terminal_cells, report_incident_days;
  insert into report_census_days select * from report_census_recomputed();
  insert into report_terminals select * from report_terminals_counted(null);
  insert into report_terminal_cells select * from report_terminal_cells_recomputed();
  insert into report_incident_days select * from report_incident_days_recomputed();
end $$;

insert into report_incident_days select * from report_incident_days_recomputed();
