import type { Queryable } from './db.ts';

/** Everything an operator's screen shows when her call rings, in one round trip. */
export interface PopRow {
  id: string; given_name: string; family_names: string; municipality: string; province_code: string; location_enc: Buffer;
  expediente_code: string | null; expediente_status: string | null;
  risk: { level: string; assessed_on: string } | null;
  household: { full_name: string; relationship: string; birth_year: number | null; minor_at_risk: boolean }[];
  health_enc: Buffer | null;
  contacts: { priority: number; full_name: string; relationship: string; phone1: string; phone2: string | null; municipality: string | null; holds_keys: boolean }[];
  resources: { category: string; priority: number; name: string; phone: string }[];
  aggressor_enc: Buffer | null;
  incidents: { id: string; kind: string; level: number | null; opened_at: string }[];
  last_calls: { started_at: string; direction: string; line: string; kind: string | null; outcome: string | null }[];
  next_call: { kind: string; not_before: string } | null;
  /** Her terminal's latest position, still sealed (location/ opens it). */
  position: { id: string; source: 'sip_invite' | 'scaip' | 'platform'; reported_at: string; enc: string } | null;
}

const columns = `u.id, u.given_name, u.family_names, u.municipality, u.province_code, u.location_enc,
  e.code as expediente_code, e.status as expediente_status,
  (select json_build_object('level', level, 'assessed_on', assessed_on) from risk_assessments r where r.usuaria_id = u.id
     order by assessed_on desc, created_at desc limit 1) as risk,
  (select coalesce(json_agg(json_build_object('full_name', full_name, 'relationship', relationship, 'birth_year', birth_year,
     'minor_at_risk', minor_at_risk) order by minor_at_risk desc, full_name), '[]') from household_members h where h.usuaria_id = u.id) as household,
  (select notes_enc from health_notes hn where hn.usuaria_id = u.id) as health_enc,
  (select coalesce(json_agg(json_build_object('priority', priority, 'full_name', full_name, 'relationship', relationship,
     'phone1', phone1, 'phone2', phone2, 'municipality', municipality, 'holds_keys', holds_keys) order by priority), '[]')
     from contact_persons c where c.usuaria_id = u.id) as contacts,
  (select coalesce(json_agg(json_build_object('category', category, 'priority', priority, 'name', name, 'phone', phone)
     order by category, priority), '[]') from emergency_resources er where er.usuaria_id = u.id) as resources,
  (select data_enc from aggressors a where a.usuaria_id = u.id) as aggressor_enc,
  (select coalesce(json_agg(json_build_object('id', id, 'kind', kind, 'level', level, 'opened_at', opened_at) order by opened_at desc), '[]')
     from incidents i where i.usuaria_id = u.id and i.status = 'open') as incidents,
  (select coalesce(json_agg(x), '[]') from (select started_at, direction, line, kind, outcome from call_attempts ca
     where ca.usuaria_id = u.id order by started_at desc limit 5) x) as last_calls,
  (select json_build_object('kind', kind, 'not_before', not_before) from agenda_items ai
     where ai.usuaria_id = u.id and ai.status = 'planned' order by not_before limit 1) as next_call,
  (select json_build_object('id', id, 'source', source, 'reported_at', reported_at, 'enc', encode(position_enc, 'base64'))
     from terminal_positions tp where tp.usuaria_id = u.id order by reported_at desc limit 1) as position`;

const sql = {
  byUsuaria: `select ${columns}
    from usuarias u left join expedientes e on e.usuaria_id = u.id and e.status <> 'baja'
    where u.id = $1`,
  // caller identification and the pop in one round trip, on the partial unique index
  // terminals_active_msisdn: a terminal not assigned to anybody identifies nobody
  byMsisdn: `select t.id as terminal_id, ${columns}
    from terminals t join usuarias u on u.id = t.usuaria_id
    left join expedientes e on e.usuaria_id = u.id and e.status <> 'baja'
    where t.msisdn = $1 and t.status = 'active'`,
  // an inbound call's identification and its CallAttempt in one statement (one round trip, one
  // commit): the attempt is written whoever calls ($6 is the caller, null when withheld); a repeated
  // provider call id writes nothing and names the first attempt. The pop's last calls are read from
  // the snapshot before this insert, as when the two were separate. `awaiting_test_call` says whether
  // a control call waits for a test call from this terminal (technical control only runs then).
  identifyAndRecord: `with t as (select id, usuaria_id from terminals where msisdn = $6::text and status = 'active'),
    ins as (insert into call_attempts (id, direction, line, kind, provider, provider_call_id, caller, usuaria_id, terminal_id, started_at)
      select $1::uuid, 'inbound', $2::text, $3::text, $4::text, $5::text, $6::text, t.usuaria_id, t.id, $7::timestamptz
      from (select 1) one left join t on true
      on conflict (provider, provider_call_id) do nothing
      returning id)
    select coalesce((select id from ins), (select id from call_attempts where provider = $4::text and provider_call_id = $5::text)) as attempt_id,
      exists (select 1 from control_calls c join t on c.terminal_id = t.id where c.status = 'awaiting_test_call') as awaiting_test_call, p.*
    from (select 1) one left join lateral (select t.id as terminal_id, ${columns}
      from t join usuarias u on u.id = t.usuaria_id
      left join expedientes e on e.usuaria_id = u.id and e.status <> 'baja') p on true`,
};

/** An inbound call to record while identifying its caller. */
export interface InboundAttempt {
  id: string; line: string; kind: 'A' | 'B' | 'C' | 'D' | null; provider: string; providerCallId: string; caller: string | null; startedAt: Date;
}

export function popRepo(db: Queryable) {
  return {
    async load(usuariaId: string): Promise<PopRow | null> {
      const { rows } = await db.query<PopRow>({ name: 'pop.load', text: sql.byUsuaria, values: [usuariaId] });
      return rows[0] ?? null;
    },
    /** The pop of whoever holds the active terminal with this MSISDN (E.164), with that terminal's id. */
    async loadByMsisdn(e164: string): Promise<(PopRow & { terminal_id: string }) | null> {
      const { rows } = await db.query<PopRow & { terminal_id: string }>({ name: 'pop.by_msisdn', text: sql.byMsisdn, values: [e164] });
      return rows[0] ?? null;
    },
    /**
     * Identifies the caller and writes the inbound CallAttempt, in one statement: her pop row (or
     * null for an unknown or withheld number), the attempt's id (the first one's, for a repeat) and
     * whether a control call of her terminal awaits a test call.
     */
    async identifyAndRecord(a: InboundAttempt): Promise<{ attemptId: string | null; row: (PopRow & { terminal_id: string }) | null;
      awaitingTestCall: boolean }> {
      const { rows } = await db.query<PopRow & { terminal_id: string; attempt_id: string | null; awaiting_test_call: boolean }>({
        name: 'pop.identify_and_record', text: sql.identifyAndRecord,
        values: [a.id, a.line, a.kind, a.provider, a.providerCallId, a.caller, a.startedAt] });
      const r = rows[0]!;
      return { attemptId: r.attempt_id, row: r.id ? r : null, awaitingTestCall: r.awaiting_test_call };
    },
  };
}
