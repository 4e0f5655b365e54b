-- Outcomes set by IVR flows (ivr/flows: `confirmed` / `not_confirmed` of a control call or a
-- reminder, `emergency` when the emergency key or a panic left the flow), against the call
-- attempt they belong to. One row per outcome of a session, in order: a repeated webhook or a
-- second instance writing the same outcome finds it already there.
create table ivr_outcomes (
  id              bigserial primary key,
  call_attempt_id uuid not null references call_attempts(id),
  session_id      uuid not null,
  flow_id         text not null,
  seq             smallint not null check (seq >= 0),
  outcome         text not null,
  at              timestamptz not null,
  unique (session_id, seq)
);
create index ivr_outcomes_attempt on ivr_outcomes (call_attempt_id, at, seq);
