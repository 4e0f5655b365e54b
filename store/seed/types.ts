/**
 * The shape of one synthetic usuaria before it is written. The three documents mirror what the
 * app seals in location_enc, aggressors.data_enc and health_notes.notes_enc.
 */
export type RiskLevel = 'no_apreciable' | 'bajo' | 'medio' | 'alto' | 'extremo';
export type AltaCategory = 'victima' | 'victima_menor' | 'hija_hijo' | 'persona_dependiente' | 'excepcional';

export interface LocationDoc {
  address: string;
  postalCode: string | null;
  landline: string | null;
  notes: string | null;
  work: null | { address: string; municipality: string; provinceCode: string; landline: string | null; notes: string | null };
}

export interface JudicialMeasure { agreedOn: string; durationMonths: number; kind: string; reason: string | null }

export interface AggressorDoc {
  givenName: string | null;
  familyNames: string | null;
  idDocument: string | null;
  description: string | null;
  vehicle: string | null;
  riskIndicators: string | null;
  relationship: string | null;
  knowsHome: boolean;
  knowsWorkplace: boolean;
  knowsSchool: boolean;
  otherRiskPersons: string | null;
  judicialMeasures: JudicialMeasure[];
}

export interface HealthDoc { notes: string }

export interface SeedContact {
  priority: number; fullName: string; relationship: string; phone1: string; phone2: string | null;
  municipality: string | null; holdsKeys: boolean; consentOn: string; notes: string | null;
}

export interface SeedResource {
  category: 'fuerzas_seguridad' | 'sanitario' | 'social'; priority: number; name: string; phone: string; notes: string | null;
}

export interface SeedHousehold {
  fullName: string; relationship: string; birthYear: number | null; phone: string | null; minorAtRisk: boolean; notes: string | null;
}

export interface SeedRisk { level: RiskLevel; assessedOn: string; otherAssessments: string | null }

export interface SeedUsuaria {
  id: string;
  givenName: string;
  familyNames: string;
  idDocument: string;
  birthDate: string;
  nationality: string;
  disability: boolean;
  personalPhone: string | null;
  municipality: string;
  provinceCode: string;
  /** Index of her municipality in MUNICIPALITIES[provinceCode]: picks her social services centre. */
  municipalityIndex: number;
  location: LocationDoc;
  otherResources: string | null;
  specialisedProgrammes: string | null;
  expediente: {
    altaType: 'ordinaria' | 'extraordinaria'; altaCategory: AltaCategory; requestedOn: string; altaOn: string;
    authorisationRef: string | null; authorisedOn: string | null;
  };
  terminal: { msisdn: string; imei: string; model: string; deliveredOn: string; lastSelftestAt: string };
  contacts: SeedContact[];
  resources: SeedResource[];
  household: SeedHousehold[];
  risks: SeedRisk[];
  /** Null when her intake carried no aggressor data yet. */
  aggressor: AggressorDoc | null;
  health: HealthDoc | null;
  agenda: { frequency: 'quincenal' | 'mensual'; weekdays: number[]; windowFrom: string; windowTo: string; zone: string; retries: number };
}
