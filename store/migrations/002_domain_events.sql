-- Facts other parts of the service react to (a communication that resets her follow-up clock,
-- an emergency that calls for daily follow-ups). Postgres is the record: a consumer marks what it
-- has handled, and nothing is lost with Redis.
create table domain_events (
  id          bigserial primary key,
  kind        text not null check (kind in ('communication', 'answered_not_her', 'emergency_closed_call')),
  usuaria_id  uuid not null references usuarias(id),
  call_attempt_id uuid references call_attempts(id),
  incident_id uuid references incidents(id),
  at          timestamptz not null,
  payload     jsonb not null default '{}',
  consumed_at timestamptz,
  unique (kind, call_attempt_id)
);
create index domain_events_pending on domain_events (id) where consumed_at is null;
