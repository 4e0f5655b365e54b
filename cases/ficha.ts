import { auditActor, type Actor } from '../access/actor.ts';
import { notFound } from '../common/errors.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Queryable } from '../store/db.ts';
import { usuariasRepo, type FichaRow } from '../store/usuarias.repo.ts';
import { deliveryTestsOf } from './delivery-tests.ts';
import { sealedFields } from './sealed.ts';

type Json = Record<string, unknown>;
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
/** Row JSON from Postgres (snake_case) to the API's camelCase, dropping the columns named. */
const api = (row: Json | null, drop: string[] = ['usuaria_id']): Json | null =>
  row && Object.fromEntries(Object.entries(row).filter(([k]) => !drop.includes(k)).map(([k, v]) => [camel(k), v]));
const time = (t: unknown) => (typeof t === 'string' ? t.slice(0, 5) : t);

/** The whole ficha, decrypted. Callers must have checked the role; this writes the audit row. */
export async function readFicha(db: Queryable, cipher: FieldCipher, actor: Actor, route: string, id: string) {
  const row = await usuariasRepo(db).ficha(id);
  if (!row) throw notFound('Usuaria no encontrada.');
  // audited before anything leaves: a failed audit write fails the read
  await auditRepo(db).write({ actor: auditActor(actor), action: 'ficha.read', usuariaId: id, route });
  // the alta is shown incomplete until both delivery test calls of her terminal have succeeded
  return { ...toFicha(row, cipher), deliveryTests: await deliveryTestsOf(db, id) };
}

function toFicha(r: FichaRow, cipher: FieldCipher) {
  const sealed = sealedFields(cipher);
  const policy = api(r.agenda_policy);
  return {
    id: r.id,
    expediente: api(r.expediente),
    identification: {
      givenName: r.given_name, familyNames: r.family_names, idDocument: r.id_document, birthDate: r.birth_date,
      nationality: r.nationality, disability: r.disability, personalPhone: r.personal_phone,
      otherResources: r.other_resources, specialisedProgrammes: r.specialised_programmes,
    },
    location: { municipality: r.municipality, provinceCode: r.province_code, ...sealed.openLocation(r.id, r.location_enc) },
    risk: r.risk.map((x) => api(x, ['usuaria_id', 'id'])),
    household: r.household.map((x) => api(x)),
    contacts: r.contacts.map((x) => api(x)),
    resources: r.resources.map((x) => api(x)),
    aggressor: r.aggressor_enc ? sealed.openAggressor(r.id, r.aggressor_enc) : null,
    health: r.health_enc ? { notes: sealed.openHealth(r.id, r.health_enc) } : null,
    agendaPolicy: policy && { ...policy, windowFrom: time(policy.windowFrom), windowTo: time(policy.windowTo) },
    absences: r.absences.map((x) => api(x)),
    terminals: r.terminals.map((x) => api(x)),
    expedientes: r.expedientes.map((x) => api(x)),
    bajasIncumplimiento: r.bajas_incumplimiento,
  };
}
