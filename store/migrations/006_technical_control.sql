-- Technical control (protocol §10.1 D): the terminals' own self-tests (autochequeo), the test calls
-- made at delivery, and the periodic control calls in which the centre asks her to emit a test
-- call from her terminal. DECISIONs (DOMAIN.md): the self-test period is configurable per terminal
-- model (default 24 h) and control calls are due every 3 months and after any repair.

-- What a terminal model is expected to do; a model with no row here gets the configured defaults.
create table terminal_models (
  model                 text primary key check (length(model) between 1 and 60),
  -- null: this model makes no automatic self-test calls, so none can be overdue
  selftest_period_hours integer check (selftest_period_hours between 1 and 24 * 31),
  control_period_months integer not null check (control_period_months between 1 and 24),
  updated_at            timestamptz not null default now()
);

alter table terminals
  -- the test call of her last successful control call
  add column last_control_at timestamptz,
  -- a control call is owed as soon as possible: the terminal came back from repair, or replaced another
  add column control_owed_for text check (control_owed_for in ('repair', 'replacement'));

-- technical incidents say what went wrong, so that they can be listed and counted apart
alter table incidents add column technical_cause text
  check (technical_cause in ('selftest_overdue', 'control_no_test_call'));
alter table incidents add constraint incidents_technical_cause_kind check (technical_cause is null or kind = 'tecnica');

-- at most one open control occasion per usuaria, as there is at most one open follow-up
create unique index occasions_one_open_control on followup_occasions (usuaria_id) where status = 'open' and kind = 'control';

-- One control call (its occasion, its attempts) and what became of the test call it asked for.
-- Postgres is the record: the BullMQ job that times the test call out can be lost and rebuilt.
create table control_calls (
  id                   uuid primary key default gen_random_uuid(),
  terminal_id          uuid not null references terminals(id),
  usuaria_id           uuid not null references usuarias(id),
  occasion_id          uuid not null unique references followup_occasions(id),
  reason               text not null check (reason in ('periodic', 'repair', 'replacement', 'selftest_overdue')),
  status               text not null default 'planned' check (status in
                         ('planned', 'awaiting_test_call', 'success', 'no_test_call', 'not_done', 'cancelled')),
  planned_at           timestamptz not null,
  control_attempt_id   uuid references call_attempts(id),
  -- the last outcome the IVR flow reported for this call (confirmed, not_confirmed, emergency...)
  flow_outcome         text,
  confirmed_at         timestamptz,
  deadline             timestamptz,
  test_call_attempt_id uuid references call_attempts(id),
  test_call_at         timestamptz,
  test_call_line       text,
  incident_id          uuid references incidents(id),
  closed_at            timestamptz,
  check ((status = 'awaiting_test_call') <= (deadline is not null)),
  check ((status in ('planned', 'awaiting_test_call')) = (closed_at is null))
);
create unique index control_calls_one_open on control_calls (terminal_id) where status in ('planned', 'awaiting_test_call');
create index control_calls_awaiting on control_calls (deadline) where status = 'awaiting_test_call';
create index control_calls_closed on control_calls (terminal_id, closed_at desc) where closed_at is not null;
create index control_calls_attempt on control_calls (control_attempt_id) where control_attempt_id is not null;

-- Overdue self-tests already raised: one row (and one incident) per terminal per missed period,
-- whichever instance or run of the supervisor gets there first.
create table selftest_overdue (
  terminal_id  uuid not null references terminals(id),
  -- the last self-test, or when the terminal came into service if it never made one
  since        timestamptz not null,
  -- 1 for the first period missed since `since`, 2 for the next one...
  period_index integer not null check (period_index >= 1),
  raised_at    timestamptz not null,
  incident_id  uuid references incidents(id),
  primary key (terminal_id, since, period_index)
);

-- What an operator must do about a terminal: check it with her, arrange a repair or a replacement.
create table technical_tasks (
  id           uuid primary key default gen_random_uuid(),
  terminal_id  uuid not null references terminals(id),
  usuaria_id   uuid references usuarias(id),
  incident_id  uuid references incidents(id),
  control_call_id uuid references control_calls(id),
  kind         text not null check (kind in ('selftest_overdue', 'control_no_test_call', 'control_not_done')),
  status       text not null default 'open' check (status in ('open', 'done')),
  created_at   timestamptz not null,
  done_by      uuid references users(id),
  done_at      timestamptz,
  check ((status = 'done') = (done_at is not null))
);
create index technical_tasks_open on technical_tasks (created_at) where status = 'open';
create unique index technical_tasks_one_per_control on technical_tasks (control_call_id) where control_call_id is not null;

-- §10.1 D: at delivery, at least one reception test (the centre calls the terminal) and one
-- emission test (the terminal calls the centre). Each try is kept; the alta is complete once
-- both kinds have succeeded on her active terminal.
create table terminal_delivery_tests (
  id              uuid primary key default gen_random_uuid(),
  terminal_id     uuid not null references terminals(id),
  kind            text not null check (kind in ('reception', 'emission')),
  result          text not null check (result in ('ok', 'failed')),
  at              timestamptz not null,
  source          text not null check (source in ('operator', 'automatic')),
  recorded_by     uuid references users(id),
  call_attempt_id uuid references call_attempts(id),
  created_at      timestamptz not null default now(),
  check ((source = 'operator') = (recorded_by is not null))
);
create index delivery_tests_terminal on terminal_delivery_tests (terminal_id, kind, at desc);
-- an automatic emission test is recorded once per call
create unique index delivery_tests_one_per_call on terminal_delivery_tests (call_attempt_id) where call_attempt_id is not null;
