import { sealedFields } from '../../cases/index.ts';
import { province } from '../../common/provinces.ts';
import { openPosition } from '../../location/index.ts';
import type { FieldCipher } from '../../store/crypto.ts';
import type { PopRow } from '../../store/pop.repo.ts';
import type { Line } from '../port.ts';

/**
 * The screen-pop, its sections in the order DOMAIN.md fixes (§10.1 C, Nivel 1): who she is,
 * her risk, where she is, who lives with her, her health, whom to call, the resources, the
 * aggressor, open incidents, her last calls and the next planned one, her terminal's position.
 */
export interface Pop {
  known: boolean;
  line: Line;
  /** E.164, or null when withheld or unreadable. */
  caller: string | null;
  usuariaId: string | null;
  expedienteCode: string | null;
  name: string | null;
  risk: { level: string; assessedOn: string } | null;
  location: { address: string; municipality: string; province: string; postalCode: string | null; notes: string | null;
    work: { address: string; municipality: string; province: string } | null } | null;
  household: { fullName: string; relationship: string; birthYear: number | null; minorAtRisk: boolean }[];
  health: string | null;
  contacts: { priority: number; fullName: string; relationship: string; phone1: string; phone2: string | null; municipality: string | null; holdsKeys: boolean }[];
  resources: { category: string; priority: number; name: string; phone: string }[];
  aggressor: { description: string | null; vehicle: string | null; riskIndicators: string | null; knowsHome: boolean | null } | null;
  incidents: { id: string; kind: string; level: number | null; openedAt: string }[];
  lastCalls: { startedAt: string; direction: string; line: string; kind: string | null; outcome: string | null }[];
  nextCall: { kind: string; notBefore: string } | null;
  position: { lat: number; lon: number; accuracyM: number | null; at: string; source: string } | null;
  /** Why the pop is partial (store unreachable during an emergency), if it is. */
  degraded: string | null;
}

const provinceName = (code: string) => province(code)?.name ?? code;

export function unknownPop(line: Line, caller: string | null, degraded: string | null = null): Pop {
  return { known: false, line, caller, usuariaId: null, expedienteCode: null, name: null, risk: null, location: null,
    household: [], health: null, contacts: [], resources: [], aggressor: null, incidents: [], lastCalls: [], nextCall: null,
    position: null, degraded };
}

export function buildPop(row: PopRow, line: Line, caller: string | null, cipher: FieldCipher): Pop {
  const sealed = sealedFields(cipher);
  const loc = sealed.openLocation(row.id, row.location_enc);
  const aggressor = row.aggressor_enc ? sealed.openAggressor(row.id, row.aggressor_enc) : null;
  return {
    known: true, line, caller, usuariaId: row.id, expedienteCode: row.expediente_code,
    name: `${row.given_name} ${row.family_names}`,
    risk: row.risk && { level: row.risk.level, assessedOn: row.risk.assessed_on },
    location: { address: loc.address, municipality: row.municipality, province: provinceName(row.province_code),
      postalCode: loc.postalCode, notes: loc.notes,
      work: loc.work && { address: loc.work.address, municipality: loc.work.municipality, province: provinceName(loc.work.provinceCode) } },
    household: row.household.map((h) => ({ fullName: h.full_name, relationship: h.relationship, birthYear: h.birth_year, minorAtRisk: h.minor_at_risk })),
    health: row.health_enc ? sealed.openHealth(row.id, row.health_enc) : null,
    contacts: row.contacts.map((c) => ({ priority: c.priority, fullName: c.full_name, relationship: c.relationship, phone1: c.phone1,
      phone2: c.phone2, municipality: c.municipality, holdsKeys: c.holds_keys })),
    resources: row.resources,
    aggressor: aggressor && { description: aggressor.description ?? null, vehicle: aggressor.vehicle ?? null,
      riskIndicators: aggressor.riskIndicators ?? null, knowsHome: aggressor.knowsHome ?? null },
    incidents: row.incidents.map((i) => ({ id: i.id, kind: i.kind, level: i.level, openedAt: i.opened_at })),
    lastCalls: row.last_calls.map((c) => ({ startedAt: c.started_at, direction: c.direction, line: c.line, kind: c.kind, outcome: c.outcome })),
    nextCall: row.next_call && { kind: row.next_call.kind, notBefore: row.next_call.not_before },
    position: row.position && openPosition(cipher, { id: row.position.id, source: row.position.source, reportedAt: row.position.reported_at,
      sealed: Buffer.from(row.position.enc, 'base64') }),
    degraded: null,
  };
}
