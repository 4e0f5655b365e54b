import { FieldErrors } from '../common/field-errors.ts';
import { toE164 } from '../common/phone.ts';
import { zoneOfProvince } from '../common/provinces.ts';
import type { ContactRow, HouseholdRow, ResourceRow } from '../store/usuarias.repo.ts';
import type { SealedLocation } from './sealed.ts';
import type { AgendaPolicyInput, ContactPersonInput, EmergencyResourceInput, ExpedienteInput, HouseholdMemberInput,
  IdentificationInput, LocationInput } from './schemas.ts';

/**
 * Checks the schema cannot express (phone numbers, cross-field rules) and turns valid input into
 * the rows the store writes. Every problem is added to `errors` under its field path.
 */
const nil = <T>(v: T | null | undefined): T | null => (v === undefined || v === '' ? null : v);

export function phone(errors: FieldErrors, field: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  const e164 = toE164(value);
  if (!e164) errors.add(field, 'Número de teléfono no válido.');
  return e164;
}

export function identification(errors: FieldErrors, at: string, i: IdentificationInput) {
  return {
    givenName: i.givenName.trim(), familyNames: i.familyNames.trim(), idDocument: nil(i.idDocument?.trim().toUpperCase()),
    birthDate: nil(i.birthDate), nationality: nil(i.nationality), disability: i.disability ?? false,
    personalPhone: phone(errors, `${at}.personalPhone`, i.personalPhone),
    otherResources: nil(i.otherResources), specialisedProgrammes: nil(i.specialisedProgrammes),
  };
}

export function location(errors: FieldErrors, at: string, l: LocationInput): { municipality: string; provinceCode: string; sealed: SealedLocation } {
  const work = l.work ? {
    address: l.work.address, municipality: l.work.municipality, provinceCode: l.work.provinceCode,
    landline: phone(errors, `${at}.work.landline`, l.work.landline), notes: nil(l.work.notes),
  } : null;
  return {
    municipality: l.municipality.trim(), provinceCode: l.provinceCode,
    sealed: { address: l.address, postalCode: nil(l.postalCode), landline: phone(errors, `${at}.landline`, l.landline), notes: nil(l.notes), work },
  };
}

export function expediente(errors: FieldErrors, at: string, e: ExpedienteInput) {
  if (e.altaType === 'extraordinaria') {
    // §3.2: prior authorisation by the Comisión de Seguimiento, requested through FEMP
    if (!e.authorisationRef) errors.add(`${at}.authorisationRef`, 'El alta extraordinaria necesita la autorización previa de la Comisión de Seguimiento.');
    if (!e.authorisedOn) errors.add(`${at}.authorisedOn`, 'Indique la fecha de la autorización de la Comisión de Seguimiento.');
  }
  if (e.altaOn && e.altaOn < e.requestedOn) errors.add(`${at}.altaOn`, 'El alta no puede ser anterior a la solicitud.');
  if (e.authorisedOn && e.altaOn && e.authorisedOn > e.altaOn) errors.add(`${at}.authorisedOn`, 'La autorización debe ser anterior al alta.');
  if (e.telematicControlOrder) {
    errors.add(`${at}.telematicControlOrder`, 'ATENPRO es incompatible con una sentencia que ordena dispositivos telemáticos de control de la orden de alejamiento (§4.2).');
  }
  return {
    centreId: e.centreId, altaType: e.altaType, altaCategory: e.altaCategory ?? 'victima', requestedOn: e.requestedOn,
    altaOn: nil(e.altaOn), authorisationRef: nil(e.authorisationRef), authorisedOn: nil(e.authorisedOn),
    telematicControlOrder: e.telematicControlOrder,
  };
}

export function contacts(errors: FieldErrors, at: string, list: ContactPersonInput[]): ContactRow[] {
  const seen = new Set<number>();
  return list.map((c, i) => {
    if (seen.has(c.priority)) errors.add(`${at}.${i}.priority`, 'Dos personas de contacto no pueden tener la misma prioridad.');
    seen.add(c.priority);
    return { priority: c.priority, fullName: c.fullName.trim(), relationship: c.relationship, holdsKeys: c.holdsKeys,
      phone1: phone(errors, `${at}.${i}.phone1`, c.phone1) ?? '', phone2: phone(errors, `${at}.${i}.phone2`, c.phone2),
      municipality: nil(c.municipality), consentOn: c.consentOn, notes: nil(c.notes) };
  });
}

export function resources(errors: FieldErrors, at: string, list: EmergencyResourceInput[]): ResourceRow[] {
  const seen = new Set<string>();
  return list.map((r, i) => {
    const key = `${r.category}/${r.priority}`;
    // Anexo V.8: at most three resources per category, one per priority
    if (seen.has(key)) errors.add(`${at}.${i}.priority`, 'Ya hay un recurso con esa prioridad en esta categoría.');
    seen.add(key);
    return { category: r.category, priority: r.priority, name: r.name.trim(), phone: r.phone, notes: nil(r.notes) };
  });
}

export function household(errors: FieldErrors, at: string, list: HouseholdMemberInput[]): HouseholdRow[] {
  return list.map((m, i) => ({ fullName: m.fullName.trim(), relationship: m.relationship, birthYear: nil(m.birthYear),
    phone: phone(errors, `${at}.${i}.phone`, m.phone), minorAtRisk: m.minorAtRisk ?? false, notes: nil(m.notes) }));
}

export function agendaPolicy(errors: FieldErrors, at: string, p: AgendaPolicyInput, provinceCode: string) {
  if (p.windowFrom >= p.windowTo) errors.add(`${at}.windowTo`, 'La franja horaria debe terminar después de empezar.');
  return { frequency: p.frequency, weekdays: [...p.weekdays].sort(), windowFrom: p.windowFrom, windowTo: p.windowTo,
    zone: zoneOfProvince(provinceCode), retries: p.retries ?? 1 };
}
