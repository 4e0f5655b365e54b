import { parse } from 'csv-parse/sync';
import { Compile } from 'typebox/compile';
import type { Actor } from '../access/actor.ts';
import { DomainError } from '../common/errors.ts';
import { FieldErrors } from '../common/field-errors.ts';
import type { FieldCipher } from '../store/crypto.ts';
import { withTransaction, type Pool } from '../store/db.ts';
import { centresRepo } from '../store/usuarias.repo.ts';
import { registerAlta } from './alta.ts';
import { AltaInput } from './schemas.ts';

/**
 * CSV import of usuarias with terminal, contacts and agenda policy. Each row is one alta in its
 * own transaction: a bad row is reported by line and column and writes nothing; good rows land.
 * The report never echoes a cell's value.
 */
const SIMPLE: Record<string, string> = {
  given_name: 'identification.givenName', family_names: 'identification.familyNames', id_document: 'identification.idDocument',
  birth_date: 'identification.birthDate', nationality: 'identification.nationality', personal_phone: 'identification.personalPhone',
  address: 'location.address', postal_code: 'location.postalCode', landline: 'location.landline',
  municipality: 'location.municipality', province_code: 'location.provinceCode',
  alta_type: 'expediente.altaType', alta_category: 'expediente.altaCategory', requested_on: 'expediente.requestedOn',
  alta_on: 'expediente.altaOn', authorisation_ref: 'expediente.authorisationRef', authorised_on: 'expediente.authorisedOn',
  risk_level: 'risk.level', risk_assessed_on: 'risk.assessedOn',
  terminal_msisdn: 'terminal.msisdn', terminal_imei: 'terminal.imei', terminal_model: 'terminal.model',
  terminal_delivered_on: 'terminal.deliveredOn',
  agenda_frequency: 'agendaPolicy.frequency', agenda_window_from: 'agendaPolicy.windowFrom', agenda_window_to: 'agendaPolicy.windowTo',
};
const CONTACT: Record<string, string> = { name: 'fullName', relationship: 'relationship', phone: 'phone1', phone2: 'phone2',
  municipality: 'municipality', holds_keys: 'holdsKeys', consent_on: 'consentOn' };
export const IMPORT_COLUMNS = [...Object.keys(SIMPLE), 'centre_code', 'agenda_weekdays',
  ...[1, 2, 3, 4].flatMap((n) => Object.keys(CONTACT).map((k) => `contact${n}_${k}`))];
const REQUIRED = ['given_name', 'family_names', 'address', 'municipality', 'province_code', 'centre_code', 'alta_type', 'requested_on'];

export interface RowReport { line: number; status: 'imported' | 'rejected'; expedienteCode?: string; usuariaId?: string;
  errors?: { column: string; message: string }[] }
export interface ImportReport { total: number; imported: number; rejected: number; dryRun: boolean; rows: RowReport[] }

const validate = Compile(AltaInput);
const BOOL: Record<string, boolean> = { si: true, 'sí': true, s: true, true: true, '1': true, no: false, n: false, false: false, '0': false };

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

/** A CSV row to the API's alta input, and the map from input paths back to column names. */
function toInput(cells: Record<string, string>, centreId: string | undefined) {
  const input: Record<string, unknown> = {};
  const columnOf = new Map<string, string>([['expediente.centreId', 'centre_code']]);
  for (const [col, path] of Object.entries(SIMPLE)) {
    columnOf.set(path, col);
    if (cells[col]) setPath(input, path, cells[col]);
  }
  setPath(input, 'expediente.telematicControlOrder', false);
  if (centreId) setPath(input, 'expediente.centreId', centreId);
  if (cells.agenda_weekdays) {
    setPath(input, 'agendaPolicy.weekdays', cells.agenda_weekdays.split(/[|;\s]+/).filter(Boolean).map(Number));
  }
  columnOf.set('agendaPolicy.weekdays', 'agenda_weekdays');
  const contacts: Record<string, unknown>[] = [];
  for (const n of [1, 2, 3, 4]) {
    if (!Object.keys(CONTACT).some((k) => cells[`contact${n}_${k}`])) continue;
    const i = contacts.length;
    const c: Record<string, unknown> = { priority: n, holdsKeys: false };
    for (const [k, field] of Object.entries(CONTACT)) {
      columnOf.set(`contacts.${i}.${field}`, `contact${n}_${k}`);
      const v = cells[`contact${n}_${k}`];
      if (v) c[field] = field === 'holdsKeys' ? BOOL[v.toLowerCase()] ?? v : v;
    }
    columnOf.set(`contacts.${i}.priority`, `contact${n}_name`);
    contacts.push(c);
  }
  if (contacts.length) input.contacts = contacts;
  return { input, columnOf };
}

function columnFor(columnOf: Map<string, string>, path: string): string {
  for (let p = path; p; p = p.slice(0, Math.max(0, p.lastIndexOf('.')))) {
    const col = columnOf.get(p);
    if (col) return col;
    if (!p.includes('.')) break;
  }
  return path;
}

export async function importUsuarias(pool: Pool, cipher: FieldCipher, actor: Actor, route: string, csv: string,
  dryRun: boolean): Promise<ImportReport> {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(csv, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true,
      trim: true, bom: true, info: true, relax_column_count: false });
  } catch (err) {
    throw new DomainError('invalid', `El CSV no se puede leer: ${(err as Error).message.split('\n')[0]}`);
  }
  const header = records[0] ? Object.keys(records[0].record) : [];
  const unknown = header.filter((c) => !IMPORT_COLUMNS.includes(c));
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (records.length && (unknown.length || missing.length)) {
    throw new DomainError('invalid', 'La cabecera del CSV no es válida.', { unknownColumns: unknown, missingColumns: missing });
  }
  const centres = centresRepo(pool);
  const rows: RowReport[] = [];
  for (const { record, info } of records) {
    rows.push(await importRow(record, info.lines));
  }
  const imported = rows.filter((r) => r.status === 'imported').length;
  return { total: rows.length, imported, rejected: rows.length - imported, dryRun, rows };

  async function importRow(cells: Record<string, string>, line: number): Promise<RowReport> {
    const centre = cells.centre_code ? await centres.byCode(cells.centre_code) : null;
    const { input, columnOf } = toInput(cells, centre?.id);
    const errors: { column: string; message: string }[] = [];
    const seen = new Set<string>();
    const add = (column: string, message: string) => {
      if (!seen.has(column)) { seen.add(column); errors.push({ column, message }); }
    };
    for (const col of REQUIRED) if (!cells[col]) add(col, 'Obligatorio.');
    if (cells.centre_code && !centre) add('centre_code', 'Centro de servicios sociales desconocido.');
    for (const e of validate.Errors(input)) {
      const at = e.instancePath.split('/').filter(Boolean);
      const missing = (e.params as { requiredProperties?: string[] }).requiredProperties;
      for (const path of missing ? missing.map((p) => [...at, p].join('.')) : [at.join('.')]) {
        add(columnFor(columnOf, path), missing ? 'Obligatorio.' : `No válido (${e.keyword}).`);
      }
    }
    if (errors.length) return { line, status: 'rejected', errors };
    try {
      const result = await withTransaction(pool, async (tx) => {
        const r = await registerAlta(tx, cipher, actor, route, validate.Parse(input), new FieldErrors(''));
        if (dryRun) throw new DryRun(r);
        return r;
      });
      return { line, status: 'imported', usuariaId: result.usuariaId, expedienteCode: result.expedienteCode };
    } catch (err) {
      if (err instanceof DryRun) return { line, status: 'imported' };
      if (!(err instanceof DomainError)) throw err;
      const fields = (err.detail?.fields as { field: string; message: string }[] | undefined)
        ?? [{ field: String(err.detail?.field ?? '').replace(/^body\./, ''), message: err.message }];
      for (const f of fields) add(columnFor(columnOf, f.field) || 'row', f.message);
      return { line, status: 'rejected', errors };
    }
  }
}

/** Thrown to roll back a row that validated in a dry run. */
class DryRun extends Error {
  constructor(readonly result: unknown) { super('dry run'); }
}
