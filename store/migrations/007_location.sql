-- Where her terminal says she is (protocol §2: "tecnologías de la localización") and the alarms
-- IP terminals send over SCAIP (SS 91100 / CLC/TS 50134-9).

-- One reported position. Coordinates and accuracy are personal data: AES-256-GCM in position_enc,
-- bound to the row id (store/crypto.ts). The time and the source stay in clear so the latest
-- report can be found and expired ones deleted without opening anything.
create table terminal_positions (
  id           uuid primary key,
  usuaria_id   uuid not null references usuarias(id) on delete cascade,
  terminal_id  uuid not null references terminals(id) on delete cascade,
  source       text not null check (source in ('sip_invite', 'scaip', 'platform')),
  reported_at  timestamptz not null,
  received_at  timestamptz not null,
  position_enc bytea not null
);
-- the pop reads her latest position with one probe of this index
create index terminal_positions_latest on terminal_positions (usuaria_id, reported_at desc);
-- the retention job deletes by age
create index terminal_positions_age on terminal_positions (reported_at);

-- One SCAIP message from a terminal, kept as the record of what it said and what was done with it.
-- (controller_id, ref) is the device's own message id: a message sent again is recognised.
create table terminal_alarms (
  id             uuid primary key default gen_random_uuid(),
  terminal_id    uuid not null references terminals(id),
  usuaria_id     uuid not null references usuarias(id),
  protocol       text not null default 'scaip' check (protocol in ('scaip')),
  controller_id  text not null,
  ref            text not null,
  message_type   text not null check (message_type in ('ME', 'RE', 'IN', 'PI')),
  device_type    text not null,
  device_id      text,
  status_code    text,
  category       text not null check (category in ('emergency', 'technical_control', 'technical_incident', 'information')),
  -- the CallAttempt through which an emergency reached an operator (written by the inbound flow)
  call_id        uuid,
  incident_id    uuid references incidents(id),
  received_at    timestamptz not null,
  unique (controller_id, ref)
);
create index terminal_alarms_terminal on terminal_alarms (terminal_id, received_at desc);

-- an IP terminal names itself by its IMEI as SCAIP controller id
create index terminals_active_imei on terminals (imei) where status = 'active' and imei is not null;
