import { randomUUID } from 'node:crypto';
import { callsRepo } from '../../store/calls.repo.ts';
import type { Queryable } from '../../store/db.ts';
import { centresRepo } from '../../store/usuarias.repo.ts';

/** Rows written the way the live service writes them, for the report tests. */
let correlativo = 0;

export async function centre(db: Queryable, province: string, municipality: string, entidadLocal: string): Promise<string> {
  const c = await centresRepo(db).create({ code: `SS-${province}-${randomUUID().slice(0, 6)}`, name: `Centro de Servicios Sociales ${municipality}`,
    entidadLocal, provinceCode: province, municipality, email: null, phone: null });
  return c.id;
}

export interface UsuariaSpec {
  province: string; municipality: string; centreId: string; altaOn: string;
  baja?: { on: string; cause: string };
  window?: { weekdays: number[]; from: string; to: string };
}

export async function usuaria(db: Queryable, s: UsuariaSpec): Promise<{ usuariaId: string; expedienteId: string }> {
  const usuariaId = randomUUID();
  await db.query(`insert into usuarias (id, given_name, family_names, municipality, province_code, location_enc)
    values ($1, 'Sintética', 'De Prueba', $2, $3, '\\x00')`, [usuariaId, s.municipality, s.province]);
  const expedienteId = await expediente(db, usuariaId, s.province, s.centreId, s.altaOn, s.baja);
  const zone = ['35', '38'].includes(s.province) ? 'Atlantic/Canary' : 'Europe/Madrid';
  const w = s.window ?? { weekdays: [1, 2, 3, 4, 5], from: '09:00', to: '20:00' };
  await db.query(`insert into agenda_policies (usuaria_id, frequency, weekdays, window_from, window_to, zone)
    values ($1, 'quincenal', $2, $3, $4, $5)`, [usuariaId, w.weekdays, w.from, w.to, zone]);
  return { usuariaId, expedienteId };
}

export async function expediente(db: Queryable, usuariaId: string, province: string, centreId: string, altaOn: string,
  baja?: { on: string; cause: string }): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`insert into expedientes (usuaria_id, code, centre_id, alta_type, requested_on, alta_on,
      status, baja_cause, baja_on) values ($1, $2, $3, 'ordinaria', $4, $4, $5, $6, $7) returning id`,
  [usuariaId, `VG-${province}-${String(++correlativo).padStart(6, '0')}`, centreId, altaOn, baja ? 'baja' : 'activa',
    baja?.cause ?? null, baja?.on ?? null]);
  return rows[0]!.id;
}

export interface CallSpec {
  usuariaId: string | null;
  direction: 'inbound' | 'outbound';
  line: 'emergency' | 'general' | 'selftest' | 'info' | 'outbound';
  kind: 'A' | 'B' | 'C' | 'D';
  startedAt: string;
  /** Seconds from start to answer; absent: never answered. */
  answerAfterS?: number;
  /** The provider's end state. */
  end: 'completed' | 'no_answer' | 'busy' | 'failed' | 'canceled';
  /** The operator's filing, after the end. */
  filed?: { kind: 'A' | 'B' | 'C' | 'D'; outcome: string };
  agendaItemId?: string;
}

/** An attempt as the adapters and the console write it: inserted, answered, ended, then filed. */
export async function call(db: Queryable, c: CallSpec): Promise<string> {
  const id = randomUUID();
  const calls = callsRepo(db);
  const started = new Date(c.startedAt);
  await calls.insert({ id, direction: c.direction, line: c.line, kind: c.kind, provider: 'sip', providerCallId: `call-${id}`,
    caller: null, usuariaId: c.usuariaId, terminalId: null, agendaItemId: c.agendaItemId ?? null, startedAt: started });
  let at = started.getTime();
  if (c.answerAfterS !== undefined) {
    at += c.answerAfterS * 1000;
    await calls.applyEvent(id, { seq: 1, status: 'in_progress', at: new Date(at), final: false, answered: true });
  }
  await calls.applyEvent(id, { seq: 2, status: c.end, at: new Date(at + 60_000), final: true, answered: false });
  if (c.filed) await calls.setDisposition(id, c.filed.kind, { outcome: c.filed.outcome });
  return id;
}

export async function occasion(db: Queryable, usuariaId: string, kind: string, plannedOn: string,
  status: 'open' | 'contact' | 'failed' | 'cancelled', closedAt?: string, incidentId?: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`insert into followup_occasions (usuaria_id, kind, planned_on, incident_id)
    values ($1, $2, $3, $4) returning id`, [usuariaId, kind, plannedOn, incidentId ?? null]);
  if (status !== 'open') {
    await db.query('update followup_occasions set status = $2, closed_at = $3 where id = $1', [rows[0]!.id, status, closedAt ?? null]);
  }
  return rows[0]!.id;
}

export async function incident(db: Queryable, usuariaId: string, callId: string, kind: string, level: number, openedAt: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`insert into incidents (usuaria_id, call_attempt_id, kind, level, opened_at)
    values ($1, $2, $3, $4, $5) returning id`, [usuariaId, callId, kind, level, openedAt]);
  return rows[0]!.id;
}

export async function move(db: Queryable, usuariaId: string, province: string, municipality: string, centreId?: string): Promise<void> {
  await db.query('update usuarias set province_code = $2, municipality = $3 where id = $1', [usuariaId, province, municipality]);
  if (centreId) await db.query(`update expedientes set centre_id = $2 where usuaria_id = $1 and status <> 'baja'`, [usuariaId, centreId]);
}

export async function terminal(db: Queryable, usuariaId: string, lastSelftestAt: string | null, since: string): Promise<void> {
  await db.query(`insert into terminals (usuaria_id, msisdn, status, status_changed_at, last_selftest_at)
    values ($1, $2, 'active', $3, $4)`, [usuariaId, `+3466${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, since, lastSelftestAt]);
}
