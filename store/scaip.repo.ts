import type { Queryable } from './db.ts';

export type AlarmCategory = 'emergency' | 'technical_control' | 'technical_incident' | 'information';

/** The terminal a SCAIP message comes from, with the number that identifies her when it rings. */
export interface ScaipDevice { terminalId: string; usuariaId: string; msisdn: string }

export interface NewAlarm {
  terminalId: string; usuariaId: string; controllerId: string; ref: string; messageType: string; deviceType: string;
  deviceId: string | null; statusCode: string | null; category: AlarmCategory; receivedAt: Date;
}

export interface StoredAlarm { id: string; fresh: boolean; category: AlarmCategory; callId: string | null }

const sql = {
  // the controller id is the terminal's IMEI, or its number without the plus; else the caller's number
  device: `select id, usuaria_id, msisdn from terminals
    where status = 'active' and usuaria_id is not null and (imei = $1 or msisdn = any($2::text[]))
    order by (imei is not distinct from $1) desc, array_position($2::text[], msisdn) limit 1`,
  insert: `insert into terminal_alarms (terminal_id, usuaria_id, controller_id, ref, message_type, device_type, device_id,
      status_code, category, received_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    on conflict (controller_id, ref) do nothing returning id, category, call_id`,
  existing: 'select id, category, call_id from terminal_alarms where controller_id = $1 and ref = $2',
  setCall: 'update terminal_alarms set call_id = $2 where id = $1',
  setIncident: 'update terminal_alarms set incident_id = $2 where id = $1',
  // one open technical incident per usuaria: a battery that stays low does not open one per message
  incident: `with found as (select id from incidents where usuaria_id = $1 and kind = 'tecnica' and status = 'open' limit 1),
      created as (insert into incidents (usuaria_id, kind, opened_at) select $1, 'tecnica', $2 where not exists (select 1 from found)
        returning id)
    select id from found union all select id from created`,
};

export function scaipRepo(db: Queryable) {
  return {
    async device(imei: string | null, msisdns: string[]): Promise<ScaipDevice | null> {
      const { rows } = await db.query<{ id: string; usuaria_id: string; msisdn: string }>({ name: 'scaip.device', text: sql.device,
        values: [imei, msisdns] });
      return rows[0] ? { terminalId: rows[0].id, usuariaId: rows[0].usuaria_id, msisdn: rows[0].msisdn } : null;
    },
    /** Records the message once; a message sent again (same controller and ref) returns the first record. */
    async insert(a: NewAlarm): Promise<StoredAlarm> {
      const { rows } = await db.query<{ id: string; category: AlarmCategory; call_id: string | null }>({ name: 'scaip.insert', text: sql.insert,
        values: [a.terminalId, a.usuariaId, a.controllerId, a.ref, a.messageType, a.deviceType, a.deviceId, a.statusCode, a.category, a.receivedAt] });
      if (rows[0]) return { id: rows[0].id, fresh: true, category: rows[0].category, callId: rows[0].call_id };
      const { rows: [old] } = await db.query<{ id: string; category: AlarmCategory; call_id: string | null }>({ name: 'scaip.existing',
        text: sql.existing, values: [a.controllerId, a.ref] });
      return { id: old!.id, fresh: false, category: old!.category, callId: old!.call_id };
    },
    async setCall(alarmId: string, callId: string): Promise<void> {
      await db.query({ name: 'scaip.set_call', text: sql.setCall, values: [alarmId, callId] });
    },
    /** Her open technical incident, opened now if there is none; the alarm is linked to it. */
    async technicalIncident(alarmId: string, usuariaId: string, at: Date): Promise<string> {
      const { rows: [row] } = await db.query<{ id: string }>({ name: 'scaip.incident', text: sql.incident, values: [usuariaId, at] });
      await db.query({ name: 'scaip.set_incident', text: sql.setIncident, values: [alarmId, row!.id] });
      return row!.id;
    },
  };
}
