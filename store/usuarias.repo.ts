import type { Queryable } from './db.ts';

/** Rows of the ficha as stored; the _enc fields are opened by the caller (cases/sealed.ts). */
export interface UsuariaRow {
  id: string; given_name: string; family_names: string; id_document: string | null; birth_date: string | null;
  nationality: string | null; disability: boolean; personal_phone: string | null; municipality: string;
  province_code: string; location_enc: Buffer; other_resources: string | null; specialised_programmes: string | null;
  bajas_incumplimiento: number; created_at: Date; updated_at: Date;
}

export interface ExpedienteRow {
  id: string; usuaria_id: string; code: string; centre_id: string; alta_type: 'ordinaria' | 'extraordinaria';
  alta_category: string; requested_on: string; alta_on: string | null; status: 'solicitada' | 'activa' | 'baja';
  authorisation_ref: string | null; authorised_on: string | null; telematic_control_order: boolean;
  baja_cause: string | null; baja_on: string | null; baja_notes: string | null;
}

export interface NewUsuaria {
  id: string; givenName: string; familyNames: string; idDocument: string | null; birthDate: string | null;
  nationality: string | null; disability: boolean; personalPhone: string | null; municipality: string;
  provinceCode: string; locationEnc: Buffer; otherResources: string | null; specialisedProgrammes: string | null;
}

export interface NewExpediente {
  usuariaId: string; provinceCode: string; centreId: string; altaType: string; altaCategory: string;
  requestedOn: string; altaOn: string | null; authorisationRef: string | null; authorisedOn: string | null;
  telematicControlOrder: boolean;
}

export interface ContactRow { priority: number; fullName: string; relationship: string; phone1: string; phone2: string | null;
  municipality: string | null; holdsKeys: boolean; consentOn: string; notes: string | null }
export interface ResourceRow { category: string; priority: number; name: string; phone: string; notes: string | null }
export interface HouseholdRow { fullName: string; relationship: string; birthYear: number | null; phone: string | null;
  minorAtRisk: boolean; notes: string | null }

const sql = {
  nextCorrelativo: `insert into expediente_counters (province_code, last_value) values ($1, 1)
    on conflict (province_code) do update set last_value = expediente_counters.last_value + 1 returning last_value`,
  insertUsuaria: `insert into usuarias (id, given_name, family_names, id_document, birth_date, nationality, disability,
    personal_phone, municipality, province_code, location_enc, other_resources, specialised_programmes)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
  insertExpediente: `insert into expedientes (usuaria_id, code, centre_id, alta_type, alta_category, requested_on, alta_on,
    status, authorisation_ref, authorised_on, telematic_control_order)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning *`,
  // one round trip for the whole ficha: every part as a JSON column
  ficha: `select u.*,
    (select row_to_json(e) from expedientes e where e.usuaria_id = u.id and e.status <> 'baja') as expediente,
    (select coalesce(json_agg(e order by e.created_at desc), '[]') from expedientes e where e.usuaria_id = u.id) as expedientes,
    (select coalesce(json_agg(c order by c.priority), '[]') from contact_persons c where c.usuaria_id = u.id) as contacts,
    (select coalesce(json_agg(r order by r.category, r.priority), '[]') from emergency_resources r where r.usuaria_id = u.id) as resources,
    (select coalesce(json_agg(h order by h.full_name), '[]') from household_members h where h.usuaria_id = u.id) as household,
    (select coalesce(json_agg(ra order by ra.assessed_on desc, ra.created_at desc), '[]') from risk_assessments ra where ra.usuaria_id = u.id) as risk,
    (select data_enc from aggressors a where a.usuaria_id = u.id) as aggressor_enc,
    (select notes_enc from health_notes hn where hn.usuaria_id = u.id) as health_enc,
    (select row_to_json(p) from agenda_policies p where p.usuaria_id = u.id) as agenda_policy,
    (select coalesce(json_agg(ab order by ab.starts_on), '[]') from agenda_absences ab where ab.usuaria_id = u.id) as absences,
    (select coalesce(json_agg(t order by t.created_at desc), '[]') from terminals t where t.usuaria_id = u.id) as terminals
    from usuarias u where u.id = $1`,
};

export interface FichaRow extends UsuariaRow {
  expediente: Record<string, unknown> | null; expedientes: Record<string, unknown>[]; contacts: Record<string, unknown>[];
  resources: Record<string, unknown>[]; household: Record<string, unknown>[]; risk: Record<string, unknown>[];
  aggressor_enc: Buffer | null; health_enc: Buffer | null; agenda_policy: Record<string, unknown> | null;
  absences: Record<string, unknown>[]; terminals: Record<string, unknown>[];
}

export function usuariasRepo(db: Queryable) {
  return {
    async insert(u: NewUsuaria): Promise<void> {
      await db.query({ name: 'usuarias.insert', text: sql.insertUsuaria, values: [u.id, u.givenName, u.familyNames,
        u.idDocument, u.birthDate, u.nationality, u.disability, u.personalPhone, u.municipality, u.provinceCode,
        u.locationEnc, u.otherResources, u.specialisedProgrammes] });
    },
    async byId(id: string, forUpdate = false): Promise<UsuariaRow | null> {
      const { rows } = await db.query<UsuariaRow>(`select * from usuarias where id = $1${forUpdate ? ' for update' : ''}`, [id]);
      return rows[0] ?? null;
    },
    async byIdDocument(idDocument: string): Promise<{ id: string } | null> {
      const { rows } = await db.query<{ id: string }>('select id from usuarias where upper(id_document) = upper($1)', [idDocument]);
      return rows[0] ?? null;
    },
    async ficha(id: string): Promise<FichaRow | null> {
      const { rows } = await db.query<FichaRow>({ name: 'usuarias.ficha', text: sql.ficha, values: [id] });
      return rows[0] ?? null;
    },
    async updateIdentification(id: string, u: Omit<NewUsuaria, 'id' | 'municipality' | 'provinceCode' | 'locationEnc'>): Promise<void> {
      await db.query(`update usuarias set given_name = $2, family_names = $3, id_document = $4, birth_date = $5,
        nationality = $6, disability = $7, personal_phone = $8, other_resources = $9, specialised_programmes = $10,
        updated_at = now() where id = $1`, [id, u.givenName, u.familyNames, u.idDocument, u.birthDate, u.nationality,
        u.disability, u.personalPhone, u.otherResources, u.specialisedProgrammes]);
    },
    async updateLocation(id: string, municipality: string, provinceCode: string, locationEnc: Buffer): Promise<void> {
      await db.query('update usuarias set municipality = $2, province_code = $3, location_enc = $4, updated_at = now() where id = $1',
        [id, municipality, provinceCode, locationEnc]);
    },
    async incrementBajasIncumplimiento(id: string): Promise<void> {
      await db.query('update usuarias set bajas_incumplimiento = bajas_incumplimiento + 1, updated_at = now() where id = $1', [id]);
    },
    async replaceContacts(usuariaId: string, contacts: ContactRow[]): Promise<void> {
      await db.query('delete from contact_persons where usuaria_id = $1', [usuariaId]);
      for (const c of contacts) {
        await db.query(`insert into contact_persons (usuaria_id, priority, full_name, relationship, phone1, phone2,
          municipality, holds_keys, consent_on, notes) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [usuariaId, c.priority, c.fullName, c.relationship, c.phone1, c.phone2, c.municipality, c.holdsKeys, c.consentOn, c.notes]);
      }
    },
    async replaceResources(usuariaId: string, resources: ResourceRow[]): Promise<void> {
      await db.query('delete from emergency_resources where usuaria_id = $1', [usuariaId]);
      for (const r of resources) {
        await db.query(`insert into emergency_resources (usuaria_id, category, priority, name, phone, notes)
          values ($1, $2, $3, $4, $5, $6)`, [usuariaId, r.category, r.priority, r.name, r.phone, r.notes]);
      }
    },
    async replaceHousehold(usuariaId: string, members: HouseholdRow[]): Promise<void> {
      await db.query('delete from household_members where usuaria_id = $1', [usuariaId]);
      for (const m of members) {
        await db.query(`insert into household_members (usuaria_id, full_name, relationship, birth_year, phone, minor_at_risk, notes)
          values ($1, $2, $3, $4, $5, $6, $7)`, [usuariaId, m.fullName, m.relationship, m.birthYear, m.phone, m.minorAtRisk, m.notes]);
      }
    },
    async addRiskAssessment(usuariaId: string, level: string, assessedOn: string, other: string | null): Promise<void> {
      await db.query('insert into risk_assessments (usuaria_id, level, assessed_on, other_assessments) values ($1, $2, $3, $4)',
        [usuariaId, level, assessedOn, other]);
    },
    async upsertAggressor(usuariaId: string, dataEnc: Buffer): Promise<void> {
      await db.query(`insert into aggressors (usuaria_id, data_enc) values ($1, $2)
        on conflict (usuaria_id) do update set data_enc = excluded.data_enc, updated_at = now()`, [usuariaId, dataEnc]);
    },
    async upsertHealth(usuariaId: string, notesEnc: Buffer): Promise<void> {
      await db.query(`insert into health_notes (usuaria_id, notes_enc) values ($1, $2)
        on conflict (usuaria_id) do update set notes_enc = excluded.notes_enc, updated_at = now()`, [usuariaId, notesEnc]);
    },
    async upsertAgendaPolicy(usuariaId: string, p: { frequency: string; weekdays: number[]; windowFrom: string; windowTo: string;
      zone: string; retries: number }): Promise<void> {
      await db.query(`insert into agenda_policies (usuaria_id, frequency, weekdays, window_from, window_to, zone, retries)
        values ($1, $2, $3, $4, $5, $6, $7)
        on conflict (usuaria_id) do update set frequency = excluded.frequency, weekdays = excluded.weekdays,
          window_from = excluded.window_from, window_to = excluded.window_to, zone = excluded.zone,
          retries = excluded.retries, updated_at = now()`,
        [usuariaId, p.frequency, p.weekdays, p.windowFrom, p.windowTo, p.zone, p.retries]);
    },
    async setPolicyZone(usuariaId: string, zone: string): Promise<void> {
      await db.query('update agenda_policies set zone = $2, updated_at = now() where usuaria_id = $1', [usuariaId, zone]);
    },
    async addAbsence(usuariaId: string, a: { startsOn: string; endsOn: string; reason: string }): Promise<string> {
      const { rows } = await db.query<{ id: string }>(
        'insert into agenda_absences (usuaria_id, starts_on, ends_on, reason) values ($1, $2, $3, $4) returning id',
        [usuariaId, a.startsOn, a.endsOn, a.reason]);
      return rows[0]!.id;
    },
    async deleteAbsence(usuariaId: string, absenceId: string): Promise<boolean> {
      const { rowCount } = await db.query('delete from agenda_absences where id = $1 and usuaria_id = $2', [absenceId, usuariaId]);
      return rowCount === 1;
    },
    /** Summaries for the search box: the open expediente's code and her name, nothing else. */
    async search(q: { expedienteCode?: string; name?: string; limit: number }): Promise<{ id: string; code: string | null;
      given_name: string; family_names: string; municipality: string; province_code: string; status: string | null }[]> {
      const { rows } = await db.query(`select u.id, e.code, u.given_name, u.family_names, u.municipality, u.province_code, e.status
        from usuarias u left join lateral (select code, status from expedientes x where x.usuaria_id = u.id
          order by (x.status <> 'baja') desc, x.created_at desc limit 1) e on true
        where ($1::text is null or e.code = upper($1))
          and ($2::text is null or (u.given_name || ' ' || u.family_names) ilike '%' || $2 || '%')
        order by u.family_names, u.given_name limit $3`, [q.expedienteCode ?? null, q.name ?? null, q.limit]);
      return rows;
    },
  };
}

export function expedientesRepo(db: Queryable) {
  return {
    /** `VG-<province>-<correlativo>`: the per-province counter row is locked until commit, so codes never repeat. */
    async insert(e: NewExpediente): Promise<ExpedienteRow> {
      const { rows: [counter] } = await db.query<{ last_value: number }>(sql.nextCorrelativo, [e.provinceCode]);
      const code = `VG-${e.provinceCode}-${String(counter!.last_value).padStart(6, '0')}`;
      const { rows } = await db.query<ExpedienteRow>(sql.insertExpediente, [e.usuariaId, code, e.centreId, e.altaType,
        e.altaCategory, e.requestedOn, e.altaOn, e.altaOn ? 'activa' : 'solicitada', e.authorisationRef, e.authorisedOn,
        e.telematicControlOrder]);
      return rows[0]!;
    },
    async openOf(usuariaId: string, forUpdate = false): Promise<ExpedienteRow | null> {
      const { rows } = await db.query<ExpedienteRow>(
        `select * from expedientes where usuaria_id = $1 and status <> 'baja'${forUpdate ? ' for update' : ''}`, [usuariaId]);
      return rows[0] ?? null;
    },
    async activate(id: string, altaOn: string): Promise<void> {
      await db.query(`update expedientes set status = 'activa', alta_on = $2, updated_at = now() where id = $1`, [id, altaOn]);
    },
    async baja(id: string, cause: string, bajaOn: string, notes: string | null): Promise<void> {
      await db.query(`update expedientes set status = 'baja', baja_cause = $2, baja_on = $3, baja_notes = $4, updated_at = now()
        where id = $1`, [id, cause, bajaOn, notes]);
    },
    async setCentre(id: string, centreId: string): Promise<void> {
      await db.query('update expedientes set centre_id = $2, updated_at = now() where id = $1', [id, centreId]);
    },
  };
}

export interface Centre { id: string; code: string; name: string; entidadLocal: string; provinceCode: string;
  municipality: string; email: string | null; phone: string | null }
interface CentreRow { id: string; code: string; name: string; entidad_local: string; province_code: string;
  municipality: string; email: string | null; phone: string | null }
const toCentre = (r: CentreRow): Centre => ({ id: r.id, code: r.code, name: r.name, entidadLocal: r.entidad_local,
  provinceCode: r.province_code, municipality: r.municipality, email: r.email, phone: r.phone });

export function centresRepo(db: Queryable) {
  return {
    async create(c: Omit<Centre, 'id'>): Promise<Centre> {
      const { rows } = await db.query<CentreRow>(`insert into social_services_centres (code, name, entidad_local, province_code,
        municipality, email, phone) values ($1, $2, $3, $4, $5, $6, $7) returning *`,
        [c.code, c.name, c.entidadLocal, c.provinceCode, c.municipality, c.email, c.phone]);
      return toCentre(rows[0]!);
    },
    async byId(id: string): Promise<Centre | null> {
      const { rows } = await db.query<CentreRow>('select * from social_services_centres where id = $1', [id]);
      return rows[0] ? toCentre(rows[0]) : null;
    },
    async byCode(code: string): Promise<Centre | null> {
      const { rows } = await db.query<CentreRow>('select * from social_services_centres where code = $1', [code]);
      return rows[0] ? toCentre(rows[0]) : null;
    },
    async list(provinceCode?: string): Promise<Centre[]> {
      const { rows } = await db.query<CentreRow>(
        'select * from social_services_centres where ($1::text is null or province_code = $1) order by province_code, name', [provinceCode ?? null]);
      return rows.map(toCentre);
    },
  };
}
