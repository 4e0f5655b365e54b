import { randomUUID } from 'node:crypto';
import { auditActor, type Actor } from '../access/actor.ts';
import { conflict, notFound } from '../common/errors.ts';
import { FieldErrors } from '../common/field-errors.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Queryable } from '../store/db.ts';
import { terminalLifecycleRepo } from '../store/terminal-lifecycle.repo.ts';
import { centresRepo, expedientesRepo, usuariasRepo, type ExpedienteRow } from '../store/usuarias.repo.ts';
import * as norm from './normalise.ts';
import { sealedFields } from './sealed.ts';
import type { AltaInput, ExpedienteInput, TerminalInput } from './schemas.ts';

export interface AltaResult { usuariaId: string; expedienteId: string; expedienteCode: string; status: ExpedienteRow['status']; terminalId: string | null }

/** Anexo IV: two bajas for incumplimiento and no new alta may be requested. */
const MAX_BAJAS_INCUMPLIMIENTO = 2;

/**
 * Validates everything first and only then writes, inside the caller's transaction, so that a
 * refused alta leaves nothing behind. Used by the API, the CSV import and nothing else.
 */
export async function registerAlta(db: Queryable, cipher: FieldCipher, actor: Actor, route: string, input: AltaInput,
  errors = new FieldErrors()): Promise<AltaResult> {
  const identification = norm.identification(errors, 'identification', input.identification);
  const location = norm.location(errors, 'location', input.location);
  const expediente = norm.expediente(errors, 'expediente', input.expediente);
  const contacts = norm.contacts(errors, 'contacts', input.contacts ?? []);
  const resources = norm.resources(errors, 'resources', input.resources ?? []);
  const household = norm.household(errors, 'household', input.household ?? []);
  const policy = input.agendaPolicy && norm.agendaPolicy(errors, 'agendaPolicy', input.agendaPolicy, location.provinceCode);
  const msisdn = input.terminal && norm.phone(errors, 'terminal.msisdn', input.terminal.msisdn);
  if (!(await centresRepo(db).byId(expediente.centreId))) errors.add('expediente.centreId', 'Centro de servicios sociales desconocido.');
  errors.throwIfAny();

  if (identification.idDocument) {
    const existing = await usuariasRepo(db).byIdDocument(identification.idDocument);
    if (existing) {
      throw conflict('Ya existe una usuaria con ese documento: solicite la nueva alta sobre su ficha.',
        { field: 'body.identification.idDocument', usuariaId: existing.id });
    }
  }
  if (msisdn && (await terminalLifecycleRepo(db).activeByMsisdn(msisdn))) {
    throw conflict('Ya hay un terminal activo con ese número.', { field: 'body.terminal.msisdn' });
  }

  const id = randomUUID();
  const sealed = sealedFields(cipher);
  const usuarias = usuariasRepo(db);
  await usuarias.insert({ id, ...identification, municipality: location.municipality, provinceCode: location.provinceCode,
    locationEnc: sealed.sealLocation(id, location.sealed) });
  const exp = await expedientesRepo(db).insert({ usuariaId: id, provinceCode: location.provinceCode, ...expediente });
  if (contacts.length) await usuarias.replaceContacts(id, contacts);
  if (resources.length) await usuarias.replaceResources(id, resources);
  if (household.length) await usuarias.replaceHousehold(id, household);
  if (input.risk) await usuarias.addRiskAssessment(id, input.risk.level, input.risk.assessedOn, input.risk.otherAssessments ?? null);
  if (input.aggressor) await usuarias.upsertAggressor(id, sealed.sealAggressor(id, input.aggressor));
  if (input.health) await usuarias.upsertHealth(id, sealed.sealHealth(id, input.health.notes));
  if (policy) await usuarias.upsertAgendaPolicy(id, policy);
  const terminal = input.terminal && msisdn ? await terminalLifecycleRepo(db).insertActive(terminalRow(id, msisdn, input.terminal)) : null;
  await auditRepo(db).write({ actor: auditActor(actor), action: 'usuaria.alta', usuariaId: id, route,
    detail: { expedienteId: exp.id, altaType: exp.alta_type } });
  return { usuariaId: id, expedienteId: exp.id, expedienteCode: exp.code, status: exp.status, terminalId: terminal?.id ?? null };
}

const terminalRow = (usuariaId: string, msisdn: string, t: TerminalInput) =>
  ({ usuariaId, msisdn, imei: t.imei ?? null, model: t.model ?? 'generico', deliveredOn: t.deliveredOn ?? null });

/** A new alta (new expediente) for a woman already on file, after a baja. */
export async function registerRealta(db: Queryable, actor: Actor, route: string, usuariaId: string,
  input: ExpedienteInput): Promise<AltaResult> {
  const errors = new FieldErrors();
  const expediente = norm.expediente(errors, '', input);
  if (!(await centresRepo(db).byId(expediente.centreId))) errors.add('centreId', 'Centro de servicios sociales desconocido.');
  errors.throwIfAny();
  const usuaria = await usuariasRepo(db).byId(usuariaId, true);
  if (!usuaria) throw notFound('Usuaria no encontrada.');
  if (usuaria.bajas_incumplimiento >= MAX_BAJAS_INCUMPLIMIENTO) {
    throw conflict('No procede una nueva alta: la usuaria ha causado baja por incumplimiento en dos ocasiones (Anexo IV).',
      { reason: 'two_bajas_incumplimiento' });
  }
  if (await expedientesRepo(db).openOf(usuariaId)) throw conflict('La usuaria ya tiene un expediente abierto.');
  const exp = await expedientesRepo(db).insert({ usuariaId, provinceCode: usuaria.province_code, ...expediente });
  await auditRepo(db).write({ actor: auditActor(actor), action: 'usuaria.realta', usuariaId, route, detail: { expedienteId: exp.id } });
  return { usuariaId, expedienteId: exp.id, expedienteCode: exp.code, status: exp.status,
    terminalId: (await terminalLifecycleRepo(db).activeOf(usuariaId))?.id ?? null };
}
