-- The outbound dialer: follow-up occasions and their attempts, the clock each usuaria's follow-ups
-- count from, and the tasks of the contact-loss procedure (Anexo IV).

-- §10.1 B: follow-ups count from the last communication with her (her own calls included)
alter table usuarias add column last_communication_at timestamptz;

-- one planned follow-up ("llamada de seguimiento prevista") and what became of it; its attempts
-- (the first call and the retries) are agenda_items sharing its id as occasion_id
create table followup_occasions (
  id           uuid primary key default gen_random_uuid(),
  usuaria_id   uuid not null references usuarias(id),
  kind         text not null check (kind in ('followup', 'reminder', 'post_emergency', 'control')),
  planned_on   date not null,
  status       text not null default 'open' check (status in ('open', 'contact', 'failed', 'cancelled')),
  incident_id  uuid references incidents(id),
  created_at   timestamptz not null default now(),
  closed_at    timestamptz,
  closed_by    text
);
create index occasions_usuaria on followup_occasions (usuaria_id, planned_on desc);
-- at most one open follow-up occasion per usuaria: planning twice never doubles her calls
create unique index occasions_one_open_followup on followup_occasions (usuaria_id) where status = 'open' and kind = 'followup';

alter table agenda_items
  add column call_attempt_id uuid references call_attempts(id),
  add column outcome text,
  add column claimed_at timestamptz,
  add column incident_id uuid references incidents(id);
alter table agenda_items drop constraint agenda_items_status_check;
alter table agenda_items add constraint agenda_items_status_check
  check (status in ('planned', 'claimed', 'dialling', 'done', 'failed', 'cancelled', 'skipped'));
alter table agenda_items add constraint agenda_items_occasion_fk foreign key (occasion_id) references followup_occasions(id);
create unique index agenda_items_one_live_per_occasion on agenda_items (occasion_id) where status in ('planned', 'claimed', 'dialling');

alter table call_attempts add column answered_by text;

-- Anexo IV step 1: call her contact persons by priority; each call is a task an operator closes
create table contact_loss_tasks (
  id                uuid primary key default gen_random_uuid(),
  case_id           uuid not null references contact_loss_cases(id),
  contact_person_id uuid references contact_persons(id) on delete set null,
  priority          smallint not null,
  status            text not null default 'open' check (status in ('open', 'reached', 'not_reached', 'cancelled')),
  done_by           uuid references users(id),
  done_at           timestamptz,
  notes             text
);
create index contact_loss_tasks_open on contact_loss_tasks (case_id) where status = 'open';

alter table contact_loss_cases
  add column proposed_at timestamptz,
  add column decided_by uuid references users(id),
  add column decided_at timestamptz;
