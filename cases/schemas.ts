import { Type, type Static } from '@fastify/type-provider-typebox';

/** Schemas of the ficha (protocol Anexo V.7-8), shared by the API, the CSV import and the seed. */
const Str = (max: number, min = 1) => Type.String({ minLength: min, maxLength: max });
const OptStr = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));
const Day = Type.String({ format: 'date', description: 'YYYY-MM-DD' });
const OptDay = Type.Optional(Type.Union([Day, Type.Null()]));
const Phone = Type.String({ minLength: 3, maxLength: 32, description: 'E.164, or a Spanish national number' });
export const ProvinceCode = Type.String({ pattern: '^(0[1-9]|[1-4][0-9]|5[0-2])$', description: 'INE province code' });
export const Uuid = Type.String({ format: 'uuid' });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const Lit = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const closed = { additionalProperties: false } as const;

export const BAJA_CAUSES = ['caducidad_medidas', 'convivencia_agresor', 'incumplimientos_reiterados',
  'traslado_entidad_no_adherida', 'voluntaria', 'agresor_sin_riesgo', 'desaparecida_no_localizable', 'disconforme',
  'fallecida', 'vive_fuera_espana', 'no_percibe_riesgo', 'falta_contacto', 'no_renovacion', 'plazo_maximo'] as const;
export type BajaCause = (typeof BAJA_CAUSES)[number];
/** Bajas that Anexo IV counts as incumplimiento: two of them and no new alta is allowed. */
export const INCUMPLIMIENTO_CAUSES: readonly BajaCause[] = ['incumplimientos_reiterados', 'falta_contacto'];

export const Identification = Type.Object({
  givenName: Str(80), familyNames: Str(120), idDocument: OptStr(20), birthDate: OptDay,
  nationality: OptStr(60), disability: Type.Optional(Type.Boolean()), personalPhone: Type.Optional(Type.Union([Phone, Type.Null()])),
  otherResources: OptStr(1000), specialisedProgrammes: OptStr(1000),
}, closed);

export const WorkAddress = Type.Object({
  address: Str(200), municipality: Str(100), provinceCode: ProvinceCode, landline: Type.Optional(Type.Union([Phone, Type.Null()])), notes: OptStr(500),
}, closed);

export const Location = Type.Object({
  address: Str(200), municipality: Str(100), provinceCode: ProvinceCode, postalCode: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9]{5}$' }), Type.Null()])),
  landline: Type.Optional(Type.Union([Phone, Type.Null()])), notes: OptStr(500), work: Type.Optional(Type.Union([WorkAddress, Type.Null()])),
}, closed);

export const ExpedienteInput = Type.Object({
  centreId: Uuid,
  altaType: Lit('ordinaria', 'extraordinaria'),
  altaCategory: Type.Optional(Lit('victima', 'victima_menor', 'hija_hijo', 'persona_dependiente', 'excepcional')),
  requestedOn: Day, altaOn: OptDay,
  authorisationRef: OptStr(60), authorisedOn: OptDay,
  telematicControlOrder: Type.Boolean({ description: '§4.2: a sentence orders telematic devices to control the restraining order' }),
}, closed);

export const ContactPerson = Type.Object({
  priority: Type.Integer({ minimum: 1, maximum: 4 }), fullName: Str(160), relationship: Str(60),
  phone1: Phone, phone2: Type.Optional(Type.Union([Phone, Type.Null()])), municipality: OptStr(100),
  holdsKeys: Type.Boolean(), consentOn: Day, notes: OptStr(500),
}, closed);

export const EmergencyResource = Type.Object({
  category: Lit('fuerzas_seguridad', 'sanitario', 'social', 'otro'), priority: Type.Integer({ minimum: 1, maximum: 3 }),
  name: Str(160), phone: Type.String({ pattern: '^[0-9]{9}$', description: '9 digits, callable from other provinces' }), notes: OptStr(500),
}, closed);

export const HouseholdMember = Type.Object({
  fullName: Str(160), relationship: Str(60), birthYear: Type.Optional(Type.Union([Type.Integer({ minimum: 1900, maximum: 2100 }), Type.Null()])),
  phone: Type.Optional(Type.Union([Phone, Type.Null()])), minorAtRisk: Type.Optional(Type.Boolean()), notes: OptStr(500),
}, closed);

export const RiskAssessment = Type.Object({
  level: Lit('no_apreciable', 'bajo', 'medio', 'alto', 'extremo'), assessedOn: Day, otherAssessments: OptStr(1000),
}, closed);

export const JudicialMeasure = Type.Object({
  agreedOn: Day, durationMonths: Type.Integer({ minimum: 0, maximum: 600 }), kind: Str(120), reason: OptStr(500),
}, closed);

/** Optional at intake: the Anexo II form has no aggressor section. */
export const Aggressor = Type.Object({
  givenName: OptStr(80), familyNames: OptStr(120), idDocument: OptStr(20), description: OptStr(1000),
  vehicle: OptStr(300), riskIndicators: OptStr(2000), relationship: OptStr(120), residence: OptStr(200),
  knowsHome: Type.Optional(Type.Boolean()), knowsWorkplace: Type.Optional(Type.Boolean()), knowsSchool: Type.Optional(Type.Boolean()),
  otherRiskPersons: OptStr(1000), judicialMeasures: Type.Optional(Type.Array(JudicialMeasure, { maxItems: 20 })),
}, closed);

export const Health = Type.Object({ notes: Str(4000, 0) }, closed);

export const AgendaPolicy = Type.Object({
  frequency: Lit('quincenal', 'mensual'),
  weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, uniqueItems: true, description: 'ISO weekdays, 1 = Monday' }),
  windowFrom: HHMM, windowTo: HHMM, retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
}, closed);

export const Absence = Type.Object({ startsOn: Day, endsOn: Day, reason: Str(200) }, closed);

export const TerminalInput = Type.Object({
  msisdn: Phone, imei: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9]{15}$' }), Type.Null()])),
  model: Type.Optional(Str(60)), deliveredOn: OptDay,
}, closed);

export const AltaInput = Type.Object({
  identification: Identification,
  location: Location,
  expediente: ExpedienteInput,
  contacts: Type.Optional(Type.Array(ContactPerson, { maxItems: 4 })),
  resources: Type.Optional(Type.Array(EmergencyResource, { maxItems: 12 })),
  household: Type.Optional(Type.Array(HouseholdMember, { maxItems: 20 })),
  risk: Type.Optional(RiskAssessment),
  aggressor: Type.Optional(Aggressor),
  health: Type.Optional(Health),
  agendaPolicy: Type.Optional(AgendaPolicy),
  terminal: Type.Optional(TerminalInput),
}, closed);

/** §10.1 D: a test call made at the terminal's delivery, as the operator records it. */
export const DeliveryTestInput = Type.Object({
  kind: Lit('reception', 'emission'), result: Lit('ok', 'failed'),
  at: Type.Optional(Type.String({ format: 'date-time', description: 'When the test call was made; now when left out' })),
}, closed);

export const BajaInput = Type.Object({ cause: Lit(...BAJA_CAUSES), bajaOn: Day, notes: OptStr(1000) }, closed);

export type AltaInput = Static<typeof AltaInput>;
export type IdentificationInput = Static<typeof Identification>;
export type LocationInput = Static<typeof Location>;
export type ExpedienteInput = Static<typeof ExpedienteInput>;
export type ContactPersonInput = Static<typeof ContactPerson>;
export type EmergencyResourceInput = Static<typeof EmergencyResource>;
export type HouseholdMemberInput = Static<typeof HouseholdMember>;
export type RiskAssessmentInput = Static<typeof RiskAssessment>;
export type AggressorInput = Static<typeof Aggressor>;
export type HealthInput = Static<typeof Health>;
export type AgendaPolicyInput = Static<typeof AgendaPolicy>;
export type AbsenceInput = Static<typeof Absence>;
export type TerminalInput = Static<typeof TerminalInput>;
export type BajaInput = Static<typeof BajaInput>;
export type DeliveryTestInput = Static<typeof DeliveryTestInput>;
