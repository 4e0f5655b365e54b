-- Managers' statistics (issue 7): the answer-time histogram of every rollup row also kept as the
-- text of its array, written when the row is, so that a read sends it as it is.
--
-- A read of answer times by month gets one rollup row per cell and sends its 85 buckets (migration
-- 005, ans_hist) for the app to compute the percentiles and the shares within 60 s and 180 s.
-- Writing those 85 integers out (array_out, or array_send and the hex of its bytes) cost PostgreSQL
-- about 5 microseconds a row: 7 ms of the 10 a year by province took (1,350 rows). Kept as text,
-- the same rows are sent for a copy of each. The column is generated from ans_hist, in the same
-- statement that writes it, so the fold is unchanged; the recomputation returns it too, and the
-- rebuild, which cannot give a generated column a value, inserts the answers by name.

-- The text of an integer array does not depend on any setting; array_out is declared stable only
-- because some element types do.
create function report_hist_text(h integer[]) returns text language sql immutable parallel safe as $$
  select h::text
$$;

alter table report_answer_days add column ans_hist_text text not null generated always as (report_hist_text(ans_hist)) stored;

-- The recomputation (migration 005, rewritten by 012) returns the table's rows: now with their
-- text. Its body is kept and read under the names of the columns it always had.
do $$
declare
  body text;
begin
  select prosrc into body from pg_proc where proname = 'report_answer_days_recomputed' and pronargs = 0;
  if body is null then raise exception 'migration 013: report_answer_days_recomputed() not found'; end if;
  drop function report_answer_days_recomputed();
  execute format('create function report_answer_days_recomputed() returns setof report_answer_days language sql stable as %L',
    format('select r.*, report_hist_text(r.ans_hist) from (%s) as r(geo_level, province_code, day, municipality, centre_id, line, kind,
      offered, answered, ans_hist)', regexp_replace(body, ';\s*$', '')));
end $$;

-- migration 010's rebuild: a generated column takes no value, so the answers are inserted by name
create or replace function report_rebuild() returns void language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('atenpro.report_fold'));
  truncate report_call_days, report_answer_days, report_occasion_days, report_call_deltas, report_occasion_deltas;
  insert into report_call_days select * from report_call_days_recomputed();
  insert into report_answer_days (geo_level, province_code, day, municipality, centre_id, line, kind, offered, answered, ans_hist)
    select geo_level, province_code, day, municipality, centre_id, line, kind, offered, answered, ans_hist
    from report_answer_days_recomputed();
  insert into report_occasion_days select * from report_occasion_days_recomputed();
  perform report_rebuild_stocks();
end $$;
