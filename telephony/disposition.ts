import type { Actor } from '../access/actor.ts';
import { auditActor } from '../access/actor.ts';
import type { Clock } from '../common/clock.ts';
import { conflict, forbidden, notFound } from '../common/errors.ts';
import { auditRepo } from '../store/audit.repo.ts';
import { callsRepo } from '../store/calls.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import { withTransaction, type Pool, type Queryable } from '../store/db.ts';
import { outboxRepo } from '../store/outbox.repo.ts';

export type CallKind = 'A' | 'B' | 'C' | 'D';
export type EmergencyKind = 'psicosocial' | 'prealarma' | 'alarma_agresion' | 'otra';
/** What happened on the call, as the operator files it. `atendida`: she spoke with the centre; `no_es_ella`: someone else answered. */
export const INBOUND_OUTCOMES = ['atendida', 'sin_voz', 'colgada', 'equivocada', 'prueba', 'no_es_ella'] as const;
export type InboundOutcome = (typeof INBOUND_OUTCOMES)[number];

export interface Disposition { kind: CallKind; emergencyKind?: EmergencyKind; level?: 1 | 2 | 3; outcome: InboundOutcome; notes?: string }

const DAY_MS = 24 * 3600_000;

/**
 * Closes a call with the operator's disposition. An emergency opens an incident, owes her social
 * services centre a notice within 24 h (§10.1 C) and asks the dialer for post-emergency
 * follow-ups; a call in which she spoke resets her follow-up clock (§10.1 B).
 */
export async function fileDisposition(pool: Pool, cipher: FieldCipher, clock: Clock, actor: Actor, route: string,
  callId: string, d: Disposition): Promise<{ incidentId: string | null }> {
  return withTransaction(pool, async (tx) => {
    const call = await callsRepo(tx).byId(callId);
    if (!call) throw notFound('Llamada no encontrada.');
    if (actor.type === 'user' && actor.role === 'operator' && call.operatorId !== actor.id) {
      throw forbidden('Solo la operadora que atendió la llamada puede cerrarla.');
    }
    const now = clock.now();
    if (!(await callsRepo(tx).setDisposition(callId, d.kind, { ...d, notes: undefined, filedBy: actor.id, filedAt: now.toISOString() }))) {
      throw conflict('La llamada ya tiene tipificación.');
    }
    let incidentId: string | null = null;
    if (d.kind === 'C') incidentId = await openIncident(tx, cipher, call.usuariaId, callId, d, now);
    if (call.usuariaId && (d.outcome === 'atendida' || d.kind === 'C')) {
      await event(tx, 'communication', call.usuariaId, callId, incidentId, call.answeredAt ?? call.startedAt, { kind: d.kind });
    } else if (call.usuariaId && call.agendaItemId) {
      // an outbound follow-up that did not reach her: the dialer retries it
      await event(tx, 'answered_not_her', call.usuariaId, callId, null, call.startedAt, { outcome: d.outcome });
    }
    if (call.usuariaId && incidentId) {
      await event(tx, 'emergency_closed_call', call.usuariaId, callId, incidentId, now, { emergencyKind: d.emergencyKind, level: d.level });
      const { rows: [exp] } = await tx.query<{ centre_id: string; code: string }>(
        `select centre_id, code from expedientes where usuaria_id = $1 and status <> 'baja'`, [call.usuariaId]);
      if (exp) {
        // the notice says the situation and the treatment given; the operator's notes stay in the incident
        await outboxRepo(tx).add({ kind: 'emergency_notice', centreId: exp.centre_id, usuariaId: call.usuariaId, dueAt: now,
          payload: { expedienteCode: exp.code, incidentId, emergencyKind: d.emergencyKind, level: d.level,
            occurredAt: call.startedAt.toISOString(), deadline: new Date(now.getTime() + DAY_MS).toISOString() } });
      }
    }
    await auditRepo(tx).write({ actor: auditActor(actor), action: 'call.disposition', usuariaId: call.usuariaId, route,
      detail: { callId, kind: d.kind, outcome: d.outcome, incidentId } });
    return { incidentId };
  });
}

async function openIncident(tx: Queryable, cipher: FieldCipher, usuariaId: string | null, callId: string, d: Disposition, now: Date) {
  const { rows: [row] } = await tx.query<{ id: string }>(
    `insert into incidents (usuaria_id, call_attempt_id, kind, level, opened_at) values ($1, $2, $3, $4, $5) returning id`,
    [usuariaId, callId, d.emergencyKind ?? 'otra', d.level ?? 1, now]);
  if (d.notes) {
    await tx.query('update incidents set notes_enc = $2 where id = $1', [row!.id, cipher.seal({ notes: d.notes }, `incidents.notes:${row!.id}`)]);
  }
  return row!.id;
}

async function event(tx: Queryable, kind: string, usuariaId: string, callId: string, incidentId: string | null, at: Date,
  payload: Record<string, unknown>) {
  await tx.query(`insert into domain_events (kind, usuaria_id, call_attempt_id, incident_id, at, payload)
    values ($1, $2, $3, $4, $5, $6) on conflict (kind, call_attempt_id) do nothing`, [kind, usuariaId, callId, incidentId, at, payload]);
}
