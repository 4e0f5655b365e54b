-- The case store: everything the centre knows about each usuaria (protocol Anexo V.7-8),
-- her terminal, agenda, calls, incidents, the Anexo IV procedure, users and the audit log.
-- Columns ending in _enc hold AES-256-GCM ciphertext written by the app (store/crypto.ts).

create table social_services_centres (
  id            uuid primary key default gen_random_uuid(),
  code          text not null unique,
  name          text not null,
  entidad_local text not null,
  province_code char(2) not null check (province_code ~ '^[0-9]{2}$'),
  municipality  text not null,
  email         text,
  phone         text,
  created_at    timestamptz not null default now()
);

create table usuarias (
  id                   uuid primary key default gen_random_uuid(),
  given_name           text not null,
  family_names         text not null,
  id_document          text,
  birth_date           date,
  nationality          text,
  disability           boolean not null default false,
  personal_phone       text check (personal_phone ~ '^\+[1-9][0-9]{6,14}$'),
  -- municipality and province stay in clear for routing and statistics; the rest of her
  -- location (street address, landline, work address) is encrypted in location_enc
  municipality         text not null,
  province_code        char(2) not null check (province_code ~ '^[0-9]{2}$'),
  location_enc         bytea not null,
  other_resources      text,
  specialised_programmes text,
  bajas_incumplimiento smallint not null default 0 check (bajas_incumplimiento >= 0),
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now()
);
create unique index usuarias_id_document on usuarias (upper(id_document)) where id_document is not null;

create table expediente_counters (
  province_code char(2) primary key,
  last_value    integer not null
);

create table expedientes (
  id              uuid primary key default gen_random_uuid(),
  usuaria_id      uuid not null references usuarias(id),
  code            text not null unique check (code ~ '^VG-[0-9]{2}-[0-9]+$'),
  centre_id       uuid not null references social_services_centres(id),
  alta_type       text not null check (alta_type in ('ordinaria', 'extraordinaria')),
  alta_category   text not null default 'victima' check (alta_category in
                    ('victima', 'victima_menor', 'hija_hijo', 'persona_dependiente', 'excepcional')),
  requested_on    date not null,
  alta_on         date,
  status          text not null check (status in ('solicitada', 'activa', 'baja')),
  authorisation_ref text,
  authorised_on   date,
  telematic_control_order boolean not null default false,
  baja_cause      text check (baja_cause in (
                    'caducidad_medidas', 'convivencia_agresor', 'incumplimientos_reiterados',
                    'traslado_entidad_no_adherida', 'voluntaria', 'agresor_sin_riesgo',
                    'desaparecida_no_localizable', 'disconforme', 'fallecida', 'vive_fuera_espana',
                    'no_percibe_riesgo', 'falta_contacto', 'no_renovacion', 'plazo_maximo')),
  baja_on         date,
  baja_notes      text,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  -- §4.2: incompatible with telematic devices that control the restraining order
  check (not telematic_control_order),
  -- alta extraordinaria needs the Comisión de Seguimiento's prior authorisation (§3.2)
  check (alta_type = 'ordinaria' or (authorisation_ref is not null and authorised_on is not null)),
  check ((status = 'baja') = (baja_cause is not null and baja_on is not null)),
  check ((status = 'solicitada') = (alta_on is null))
);
-- DECISION (DOMAIN.md): one open expediente per usuaria
create unique index expedientes_one_open on expedientes (usuaria_id) where status <> 'baja';
create index expedientes_usuaria on expedientes (usuaria_id);
create index expedientes_centre on expedientes (centre_id) where status <> 'baja';

create table terminals (
  id                uuid primary key default gen_random_uuid(),
  usuaria_id        uuid references usuarias(id),
  msisdn            text not null check (msisdn ~ '^\+[1-9][0-9]{6,14}$'),
  imei              text check (imei ~ '^[0-9]{15}$'),
  model             text not null default 'generico',
  status            text not null check (status in ('active', 'lost', 'stolen', 'in_repair', 'returned')),
  delivered_on      date,
  status_changed_at timestamptz not null default now(),
  denuncia_ref      text,
  replaces_id       uuid references terminals(id),
  last_selftest_at  timestamptz,
  created_at        timestamptz not null default now()
);
-- caller identification: one active terminal per MSISDN, looked up by index only
create unique index terminals_active_msisdn on terminals (msisdn) include (usuaria_id, id) where status = 'active';
create index terminals_usuaria on terminals (usuaria_id);

create table contact_persons (
  id           uuid primary key default gen_random_uuid(),
  usuaria_id   uuid not null references usuarias(id) on delete cascade,
  priority     smallint not null check (priority between 1 and 4),
  full_name    text not null,
  relationship text not null,
  phone1       text not null check (phone1 ~ '^\+[1-9][0-9]{6,14}$'),
  phone2       text check (phone2 ~ '^\+[1-9][0-9]{6,14}$'),
  municipality text,
  holds_keys   boolean not null default false,
  -- Anexo V.9: only people who consented and who know of the abuse
  consent_on   date not null,
  notes        text,
  unique (usuaria_id, priority) deferrable initially immediate
);

create table emergency_resources (
  id          uuid primary key default gen_random_uuid(),
  usuaria_id  uuid not null references usuarias(id) on delete cascade,
  category    text not null check (category in ('fuerzas_seguridad', 'sanitario', 'social', 'otro')),
  priority    smallint not null check (priority between 1 and 3),
  name        text not null,
  phone       text not null check (phone ~ '^[0-9]{9}$'),
  notes       text,
  unique (usuaria_id, category, priority) deferrable initially immediate
);

create table household_members (
  id           uuid primary key default gen_random_uuid(),
  usuaria_id   uuid not null references usuarias(id) on delete cascade,
  full_name    text not null,
  relationship text not null,
  birth_year   smallint check (birth_year between 1900 and 2100),
  phone        text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  minor_at_risk boolean not null default false,
  notes        text
);
create index household_usuaria on household_members (usuaria_id);

create table risk_assessments (
  id                uuid primary key default gen_random_uuid(),
  usuaria_id        uuid not null references usuarias(id) on delete cascade,
  level             text not null check (level in ('no_apreciable', 'bajo', 'medio', 'alto', 'extremo')),
  assessed_on       date not null,
  other_assessments text,
  created_at        timestamptz not null default now()
);
create index risk_latest on risk_assessments (usuaria_id, assessed_on desc, created_at desc);

-- aggressor identification, risk indicators and judicial measures: one encrypted document
create table aggressors (
  usuaria_id  uuid primary key references usuarias(id) on delete cascade,
  data_enc    bytea not null,
  updated_at  timestamptz not null default now()
);

create table health_notes (
  usuaria_id  uuid primary key references usuarias(id) on delete cascade,
  notes_enc   bytea not null,
  updated_at  timestamptz not null default now()
);

create table agenda_policies (
  usuaria_id   uuid primary key references usuarias(id) on delete cascade,
  frequency    text not null check (frequency in ('quincenal', 'mensual')),
  weekdays     smallint[] not null check (cardinality(weekdays) between 1 and 7 and weekdays <@ array[1,2,3,4,5,6,7]::smallint[]),
  window_from  time not null,
  window_to    time not null,
  zone         text not null check (zone in ('Europe/Madrid', 'Atlantic/Canary')),
  retries      smallint not null default 1 check (retries between 0 and 3),
  updated_at   timestamptz not null default now(),
  check (window_from < window_to)
);

create table agenda_absences (
  id          uuid primary key default gen_random_uuid(),
  usuaria_id  uuid not null references usuarias(id) on delete cascade,
  starts_on   date not null,
  ends_on     date not null,
  reason      text not null,
  created_at  timestamptz not null default now(),
  check (starts_on <= ends_on)
);
create index absences_usuaria on agenda_absences (usuaria_id, ends_on);

create table users (
  id              uuid primary key default gen_random_uuid(),
  username        text not null unique check (username ~ '^[a-z0-9._-]{3,40}$'),
  display_name    text not null,
  role            text not null check (role in ('operator', 'coordinator', 'admin')),
  password_hash   text not null,
  totp_secret_enc bytea,
  totp_enabled    boolean not null default false,
  totp_last_step  bigint,
  device_uri      text,
  disabled_at     timestamptz,
  last_login_at   timestamptz,
  created_at      timestamptz not null default now()
);

create table sessions (
  id          uuid primary key default gen_random_uuid(),
  token_hash  bytea not null unique,
  user_id     uuid not null references users(id),
  purpose     text not null check (purpose in ('session', 'totp_enrollment')),
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  revoked_at  timestamptz
);
create index sessions_user on sessions (user_id);

create table service_tokens (
  id          uuid primary key default gen_random_uuid(),
  name        text not null unique,
  token_hash  bytea not null unique,
  scopes      text[] not null,
  created_by  uuid references users(id),
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz
);

create table agenda_items (
  id           uuid primary key default gen_random_uuid(),
  usuaria_id   uuid not null references usuarias(id),
  kind         text not null check (kind in ('followup', 'reminder', 'post_emergency', 'control')),
  occasion_id  uuid not null,
  attempt      smallint not null default 1 check (attempt between 1 and 4),
  planned_on   date not null,
  not_before   timestamptz not null,
  not_after    timestamptz not null,
  status       text not null default 'planned' check (status in ('planned', 'claimed', 'done', 'failed', 'cancelled')),
  note         text,
  created_by   text not null,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  check (not_before < not_after)
);
create index agenda_items_due on agenda_items (not_before) where status = 'planned';
create index agenda_items_usuaria on agenda_items (usuaria_id, not_before);

create table call_attempts (
  id               uuid primary key default gen_random_uuid(),
  direction        text not null check (direction in ('inbound', 'outbound')),
  line             text not null,
  kind             char(1) check (kind in ('A', 'B', 'C', 'D')),
  provider         text not null check (provider in ('twilio', 'sip')),
  provider_call_id text not null,
  caller           text,
  usuaria_id       uuid references usuarias(id),
  terminal_id      uuid references terminals(id),
  agenda_item_id   uuid references agenda_items(id),
  operator_id      uuid references users(id),
  started_at       timestamptz not null,
  answered_at      timestamptz,
  ended_at         timestamptz,
  outcome          text,
  disposition      jsonb,
  created_at       timestamptz not null default now(),
  unique (provider, provider_call_id)
);
create index call_attempts_usuaria on call_attempts (usuaria_id, started_at desc);

create table call_events (
  id               bigserial primary key,
  call_attempt_id  uuid not null references call_attempts(id),
  seq              integer not null,
  status           text not null,
  at               timestamptz not null,
  detail           jsonb,
  unique (call_attempt_id, seq, status)
);

create table incidents (
  id              uuid primary key default gen_random_uuid(),
  usuaria_id      uuid references usuarias(id),
  call_attempt_id uuid references call_attempts(id),
  kind            text not null check (kind in ('psicosocial', 'prealarma', 'alarma_agresion', 'otra', 'tecnica')),
  level           smallint check (level between 1 and 3),
  status          text not null default 'open' check (status in ('open', 'closed')),
  notes_enc       bytea,
  opened_at       timestamptz not null default now(),
  closed_at       timestamptz
);
create index incidents_open on incidents (usuaria_id) where status = 'open';

create table contact_loss_cases (
  id                 uuid primary key default gen_random_uuid(),
  usuaria_id         uuid not null references usuarias(id),
  round              smallint not null check (round between 1 and 3),
  stage              text not null check (stage in ('contacting_persons', 'social_services_notified',
                       'baja_proposed', 'closed_contact_recovered', 'closed_baja')),
  opened_at          timestamptz not null,
  reply_deadline     timestamptz,
  ss_intervention_at timestamptz,
  closed_at          timestamptz
);
create unique index contact_loss_one_open on contact_loss_cases (usuaria_id) where closed_at is null;

create table contact_loss_transitions (
  id         bigserial primary key,
  case_id    uuid not null references contact_loss_cases(id),
  from_stage text,
  to_stage   text not null,
  cause      text not null,
  actor      text not null,
  at         timestamptz not null
);

-- notifications owed to social services centres, sent by a worker, never lost with Redis
create table outbox (
  id          uuid primary key default gen_random_uuid(),
  kind        text not null,
  centre_id   uuid references social_services_centres(id),
  usuaria_id  uuid references usuarias(id),
  payload     jsonb not null,
  due_at      timestamptz not null,
  created_at  timestamptz not null default now(),
  sent_at     timestamptz,
  attempts    integer not null default 0,
  last_error  text
);
create index outbox_pending on outbox (due_at) where sent_at is null;

create table audit_log (
  id          bigserial primary key,
  at          timestamptz not null default now(),
  actor_type  text not null check (actor_type in ('user', 'service', 'system')),
  actor_id    uuid,
  action      text not null,
  usuaria_id  uuid,
  route       text,
  detail      jsonb
);
create index audit_usuaria on audit_log (usuaria_id, at desc);
create index audit_at on audit_log (at desc);

-- the audit log is append-only: nothing in the app may rewrite history
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();
