import { auditActor, type Actor } from '../access/actor.ts';
import type { Clock } from '../common/clock.ts';
import { conflict, notFound } from '../common/errors.ts';
import { FieldErrors } from '../common/field-errors.ts';
import { zoneOfProvince } from '../common/provinces.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import { withTransaction, type Pool, type Queryable } from '../store/db.ts';
import { outboxRepo } from '../store/outbox.repo.ts';
import { centresRepo, expedientesRepo, usuariasRepo } from '../store/usuarias.repo.ts';
import * as norm from './normalise.ts';
import { sealedFields } from './sealed.ts';
import { INCUMPLIMIENTO_CAUSES, type AbsenceInput, type BajaCause, type AggressorInput, type AgendaPolicyInput, type BajaInput,
  type ContactPersonInput, type EmergencyResourceInput, type HouseholdMemberInput, type IdentificationInput,
  type LocationInput, type RiskAssessmentInput } from './schemas.ts';

/** Each change to a part of the ficha: validated, written in one transaction, audited by part. */
export function fichaUpdates(pool: Pool, cipher: FieldCipher, clock: Clock) {
  const sealed = sealedFields(cipher);

  async function change<T>(actor: Actor, route: string, id: string, part: string,
    fn: (tx: Queryable, usuaria: { provinceCode: string }) => Promise<T>): Promise<T> {
    return withTransaction(pool, async (tx) => {
      const u = await usuariasRepo(tx).byId(id, true);
      if (!u) throw notFound('Usuaria no encontrada.');
      const result = await fn(tx, { provinceCode: u.province_code });
      await auditRepo(tx).write({ actor: auditActor(actor), action: 'ficha.update', usuariaId: id, route, detail: { part } });
      return result;
    });
  }

  const checked = <T>(build: (errors: FieldErrors) => T): T => {
    const errors = new FieldErrors();
    const value = build(errors);
    errors.throwIfAny();
    return value;
  };

  return {
    identification: (a: Actor, route: string, id: string, input: IdentificationInput) => {
      const row = checked((e) => norm.identification(e, '', input));
      return change(a, route, id, 'identification', async (tx) => {
        const dup = row.idDocument && (await usuariasRepo(tx).byIdDocument(row.idDocument));
        if (dup && dup.id !== id) throw conflict('Otra usuaria tiene ese documento.', { field: 'body.idDocument' });
        await usuariasRepo(tx).updateIdentification(id, row);
      });
    },
    /** A move of province changes her zone, and with it the hours her calls keep. */
    location: (a: Actor, route: string, id: string, input: LocationInput) => {
      const loc = checked((e) => norm.location(e, '', input));
      return change(a, route, id, 'location', async (tx) => {
        await usuariasRepo(tx).updateLocation(id, loc.municipality, loc.provinceCode, sealed.sealLocation(id, loc.sealed));
        await usuariasRepo(tx).setPolicyZone(id, zoneOfProvince(loc.provinceCode));
      });
    },
    contacts: (a: Actor, route: string, id: string, list: ContactPersonInput[]) => {
      const rows = checked((e) => norm.contacts(e, '', list));
      return change(a, route, id, 'contacts', (tx) => usuariasRepo(tx).replaceContacts(id, rows));
    },
    resources: (a: Actor, route: string, id: string, list: EmergencyResourceInput[]) => {
      const rows = checked((e) => norm.resources(e, '', list));
      return change(a, route, id, 'resources', (tx) => usuariasRepo(tx).replaceResources(id, rows));
    },
    household: (a: Actor, route: string, id: string, list: HouseholdMemberInput[]) => {
      const rows = checked((e) => norm.household(e, '', list));
      return change(a, route, id, 'household', (tx) => usuariasRepo(tx).replaceHousehold(id, rows));
    },
    risk: (a: Actor, route: string, id: string, r: RiskAssessmentInput) =>
      change(a, route, id, 'risk', (tx) => usuariasRepo(tx).addRiskAssessment(id, r.level, r.assessedOn, r.otherAssessments ?? null)),
    aggressor: (a: Actor, route: string, id: string, input: AggressorInput) =>
      change(a, route, id, 'aggressor', (tx) => usuariasRepo(tx).upsertAggressor(id, sealed.sealAggressor(id, input))),
    health: (a: Actor, route: string, id: string, notes: string) =>
      change(a, route, id, 'health', (tx) => usuariasRepo(tx).upsertHealth(id, sealed.sealHealth(id, notes))),
    agendaPolicy: (a: Actor, route: string, id: string, input: AgendaPolicyInput) =>
      change(a, route, id, 'agendaPolicy', async (tx, u) => {
        const policy = checked((e) => norm.agendaPolicy(e, '', input, u.provinceCode));
        await usuariasRepo(tx).upsertAgendaPolicy(id, policy);
      }),
    addAbsence: (a: Actor, route: string, id: string, input: AbsenceInput) => {
      checked((e) => { if (input.startsOn > input.endsOn) e.add('endsOn', 'La ausencia debe terminar después de empezar.'); });
      return change(a, route, id, 'absences', (tx) => usuariasRepo(tx).addAbsence(id, input));
    },
    removeAbsence: (a: Actor, route: string, id: string, absenceId: string) =>
      change(a, route, id, 'absences', async (tx) => {
        if (!(await usuariasRepo(tx).deleteAbsence(id, absenceId))) throw notFound('Ausencia no encontrada.');
      }),

    /** Starts the service on an expediente still waiting (solicitada). */
    activate: (a: Actor, route: string, id: string, altaOn: string) =>
      change(a, route, id, 'expediente', async (tx) => {
        const exp = await expedientesRepo(tx).openOf(id, true);
        if (!exp || exp.status !== 'solicitada') throw conflict('No hay un expediente pendiente de alta.');
        if (altaOn < exp.requested_on) throw conflict('El alta no puede ser anterior a la solicitud.', { field: 'body.altaOn' });
        await expedientesRepo(tx).activate(exp.id, altaOn);
      }),

    baja: (a: Actor, route: string, id: string, b: BajaInput) =>
      change(a, route, id, 'baja', (tx) => applyBaja(tx, clock.now(), id, b)),

    /** Anexo V.5 traslado: her expediente moves to the centre of her new municipality. */
    transfer: (a: Actor, route: string, id: string, centreId: string) =>
      change(a, route, id, 'traslado', async (tx) => {
        if (!(await centresRepo(tx).byId(centreId))) throw notFound('Centro de servicios sociales desconocido.');
        const exp = await expedientesRepo(tx).openOf(id, true);
        if (!exp) throw conflict('La usuaria no tiene un expediente abierto.');
        await expedientesRepo(tx).setCentre(exp.id, centreId);
      }),
  };
}

/**
 * §7: the baja of her open expediente, inside the caller's transaction; every baja is communicated
 * to her social services centre (outbox). The API and Anexo IV's confirmed proposal share it.
 */
export async function applyBaja(tx: Queryable, now: Date, usuariaId: string,
  b: { cause: BajaCause; bajaOn: string; notes?: string | null }): Promise<{ expedienteId: string; expedienteCode: string }> {
  const exp = await expedientesRepo(tx).openOf(usuariaId, true);
  if (!exp) throw conflict('La usuaria no tiene un expediente abierto.');
  if (b.bajaOn < exp.requested_on) throw conflict('La baja no puede ser anterior a la solicitud de alta.', { field: 'body.bajaOn' });
  await expedientesRepo(tx).baja(exp.id, b.cause, b.bajaOn, b.notes ?? null);
  if (INCUMPLIMIENTO_CAUSES.includes(b.cause)) await usuariasRepo(tx).incrementBajasIncumplimiento(usuariaId);
  await tx.query(`update agenda_items set status = 'cancelled', updated_at = now() where usuaria_id = $1 and status = 'planned'`, [usuariaId]);
  await outboxRepo(tx).add({ kind: 'baja_notice', centreId: exp.centre_id, usuariaId, dueAt: now,
    payload: { expedienteCode: exp.code, cause: b.cause, bajaOn: b.bajaOn } });
  return { expedienteId: exp.id, expedienteCode: exp.code };
}
