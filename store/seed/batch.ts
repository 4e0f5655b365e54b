import type { FieldCipher } from '../crypto.ts';
import type { Queryable } from '../db.ts';
import { Batch, insertBatch, intArrayLiteral } from './bulk.ts';
import { centreCode } from './geography.ts';
import type { SeedUsuaria } from './types.ts';

/** Every row of a batch of usuarias, sealed and laid out by column, ready to insert. */
export interface PreparedBatch {
  usuarias: Batch;
  terminals: Batch;
  /** Rows that hang from her id alone, in insert order. */
  fichas: Batch[];
  /** Expedientes wait for their correlativos, reserved at write time. */
  people: SeedUsuaria[];
}

const cols = {
  usuarias: [['id', 'uuid'], ['given_name', 'text'], ['family_names', 'text'], ['id_document', 'text'],
    ['birth_date', 'date'], ['nationality', 'text'], ['disability', 'boolean'], ['personal_phone', 'text'],
    ['municipality', 'text'], ['province_code', 'text'], ['location_enc', 'bytea'], ['other_resources', 'text'],
    ['specialised_programmes', 'text']],
  terminals: [['usuaria_id', 'uuid'], ['msisdn', 'text'], ['imei', 'text'], ['model', 'text'], ['status', 'text'],
    ['delivered_on', 'date'], ['last_selftest_at', 'timestamptz']],
  contact_persons: [['usuaria_id', 'uuid'], ['priority', 'smallint'], ['full_name', 'text'], ['relationship', 'text'],
    ['phone1', 'text'], ['phone2', 'text'], ['municipality', 'text'], ['holds_keys', 'boolean'], ['consent_on', 'date'],
    ['notes', 'text']],
  emergency_resources: [['usuaria_id', 'uuid'], ['category', 'text'], ['priority', 'smallint'], ['name', 'text'],
    ['phone', 'text'], ['notes', 'text']],
  household_members: [['usuaria_id', 'uuid'], ['full_name', 'text'], ['relationship', 'text'], ['birth_year', 'smallint'],
    ['phone', 'text'], ['minor_at_risk', 'boolean'], ['notes', 'text']],
  risk_assessments: [['usuaria_id', 'uuid'], ['level', 'text'], ['assessed_on', 'date'], ['other_assessments', 'text'],
    ['created_at', 'timestamptz']],
  aggressors: [['usuaria_id', 'uuid'], ['data_enc', 'bytea']],
  health_notes: [['usuaria_id', 'uuid'], ['notes_enc', 'bytea']],
  agenda_policies: [['usuaria_id', 'uuid'], ['frequency', 'text'], ['weekdays', 'smallint[]'], ['window_from', 'time'],
    ['window_to', 'time'], ['zone', 'text'], ['retries', 'smallint']],
  expedientes: [['usuaria_id', 'uuid'], ['code', 'text'], ['centre_id', 'uuid'], ['alta_type', 'text'],
    ['alta_category', 'text'], ['requested_on', 'date'], ['alta_on', 'date'], ['status', 'text'],
    ['authorisation_ref', 'text'], ['authorised_on', 'date']],
} as const;

type Tables = Record<keyof typeof cols, Batch>;

/** The CPU half of a batch (sealing, layout), kept apart so it can overlap the previous write. */
export class BatchBuilder {
  private readonly t: Tables = Object.fromEntries(
    Object.entries(cols).map(([name, c]) => [name, new Batch(name, c)])) as Tables;
  private readonly people: SeedUsuaria[] = [];

  constructor(private readonly cipher: FieldCipher) {}

  add(u: SeedUsuaria): void {
    const { t, cipher } = this;
    this.people.push(u);
    t.usuarias.add(u.id, u.givenName, u.familyNames, u.idDocument, u.birthDate, u.nationality, u.disability,
      u.personalPhone, u.municipality, u.provinceCode, cipher.seal(u.location, `usuarias.location:${u.id}`),
      u.otherResources, u.specialisedProgrammes);
    const term = u.terminal;
    t.terminals.add(u.id, term.msisdn, term.imei, term.model, 'active', term.deliveredOn, term.lastSelftestAt);
    for (const c of u.contacts) {
      t.contact_persons.add(u.id, c.priority, c.fullName, c.relationship, c.phone1, c.phone2, c.municipality,
        c.holdsKeys, c.consentOn, c.notes);
    }
    for (const r of u.resources) t.emergency_resources.add(u.id, r.category, r.priority, r.name, r.phone, r.notes);
    for (const h of u.household) {
      t.household_members.add(u.id, h.fullName, h.relationship, h.birthYear, h.phone, h.minorAtRisk, h.notes);
    }
    // created_at follows assessed_on so "latest" never depends on insertion order within a day
    for (const r of u.risks) t.risk_assessments.add(u.id, r.level, r.assessedOn, r.otherAssessments, `${r.assessedOn}T09:00:00Z`);
    if (u.aggressor) t.aggressors.add(u.id, cipher.seal(u.aggressor, `aggressors.data:${u.id}`));
    if (u.health) t.health_notes.add(u.id, cipher.seal(u.health, `health_notes.notes:${u.id}`));
    const a = u.agenda;
    t.agenda_policies.add(u.id, a.frequency, intArrayLiteral(a.weekdays), a.windowFrom, a.windowTo, a.zone, a.retries);
  }

  build(): PreparedBatch {
    const { t } = this;
    const fichas = [t.contact_persons, t.emergency_resources, t.household_members,
      t.risk_assessments, t.aggressors, t.health_notes, t.agenda_policies];
    return { usuarias: t.usuarias, terminals: t.terminals, fichas, people: this.people };
  }
}

/** Replaces values that already exist in the database; `spare` yields a fresh candidate. */
export async function replaceTaken(
  values: unknown[], existing: (candidates: string[]) => Promise<string[]>, spare: () => string,
): Promise<number> {
  let replaced = 0;
  for (let round = 0; round < 10; round++) {
    const taken = new Set(await existing(values as string[]));
    if (taken.size === 0) return replaced;
    for (let i = 0; i < values.length; i++) {
      if (taken.has(values[i] as string)) { values[i] = spare(); replaced++; }
    }
  }
  throw new Error('seed: could not find free identifiers after 10 rounds');
}

export const existingDnis = (db: Queryable) => async (candidates: string[]): Promise<string[]> => {
  const { rows } = await db.query<{ d: string }>({ name: 'seed.taken_dni',
    text: 'select upper(id_document) as d from usuarias where upper(id_document) = any($1::text[])', values: [candidates] });
  return rows.map((r) => r.d);
};

export const existingMsisdns = (db: Queryable) => async (candidates: string[]): Promise<string[]> => {
  const { rows } = await db.query<{ m: string }>({ name: 'seed.taken_msisdn',
    text: `select msisdn as m from terminals where status = 'active' and msisdn = any($1::text[])`, values: [candidates] });
  return rows.map((r) => r.m);
};

/**
 * Reserves one block of correlativos per province in expediente_counters and inserts the
 * expedientes with them. It runs last in the batch so the counter rows stay locked only briefly.
 */
export async function insertExpedientes(db: Queryable, people: SeedUsuaria[], centreIds: Map<string, string>): Promise<void> {
  const perProvince = new Map<string, number>();
  for (const u of people) perProvince.set(u.provinceCode, (perProvince.get(u.provinceCode) ?? 0) + 1);
  // counter rows are locked in one order by every batch, so concurrent batches cannot deadlock
  const provinces = [...perProvince.keys()].sort();
  const { rows } = await db.query<{ province_code: string; last_value: number }>({
    name: 'seed.reserve_correlativos',
    text: `insert into expediente_counters (province_code, last_value)
           select * from unnest($1::text[], $2::int[])
           on conflict (province_code) do update set last_value = expediente_counters.last_value + excluded.last_value
           returning province_code, last_value`,
    values: [provinces, provinces.map((p) => perProvince.get(p)!)],
  });
  const next = new Map(rows.map((r) => [r.province_code, r.last_value - perProvince.get(r.province_code)! + 1]));
  const b = new Batch('expedientes', cols.expedientes);
  for (const u of people) {
    const n = next.get(u.provinceCode)!;
    next.set(u.provinceCode, n + 1);
    const centreId = centreIds.get(centreCode(u.provinceCode, u.municipalityIndex));
    if (!centreId) throw new Error(`seed: no social services centre for ${u.provinceCode}/${u.municipalityIndex}`);
    const e = u.expediente;
    b.add(u.id, `VG-${u.provinceCode}-${String(n).padStart(6, '0')}`, centreId, e.altaType, e.altaCategory,
      e.requestedOn, e.altaOn, 'activa', e.authorisationRef, e.authorisedOn);
  }
  await insertBatch(db, b);
}

export interface WriteOptions {
  centreIds: Map<string, string>;
  spare: { dni: () => string; msisdn: () => string };
  /**
   * Skip foreign-key triggers for this transaction (needs a superuser). The rows reference only
   * usuarias of the same batch and centres just read, so they are consistent by construction,
   * and the per-row checks were ~40% of the write time; pg_restore skips them the same way.
   */
  skipForeignKeyChecks: boolean;
}

/** The I/O half: one transaction per batch, on a client inside a transaction the caller holds. */
export async function writeBatch(db: Queryable, batch: PreparedBatch, opts: WriteOptions): Promise<void> {
  const { centreIds, spare } = opts;
  // a seed lost to a crash is simply run again; not waiting for each commit's flush is safe here
  await db.query('set local synchronous_commit = off');
  if (opts.skipForeignKeyChecks) await db.query('set local session_replication_role = replica');
  // the census and terminal counters are rebuilt once at the end of the seed (report_rebuild_stocks)
  await db.query(`set local atenpro.reports_deferred = 'on'`);
  await replaceTaken(batch.usuarias.column('id_document'), existingDnis(db), spare.dni);
  await replaceTaken(batch.terminals.column('msisdn'), existingMsisdns(db), spare.msisdn);
  await insertBatch(db, batch.usuarias);
  await insertBatch(db, batch.terminals);
  for (const ficha of batch.fichas) await insertBatch(db, ficha);
  await insertExpedientes(db, batch.people, centreIds);
}
