/**
 * One synthetic usuaria's year of calls before it is written: the rows the live service would have
 * left behind (call attempts, follow-up occasions and their agenda items, incidents, Anexo IV
 * cases, expediente history). Times are epoch milliseconds; dates are ISO (YYYY-MM-DD).
 */

export type EmergencyKind = 'psicosocial' | 'prealarma' | 'alarma_agresion' | 'otra';
export type OccasionKind = 'followup' | 'reminder' | 'post_emergency' | 'control';
/** What became of an outbound attempt, as the dialer settles it (agenda_items.outcome). */
export type AttemptOutcome = 'contacted' | 'no_answer' | 'busy' | 'failed' | 'machine' | 'answered_not_her';

export interface SeedCall {
  id: string;
  direction: 'inbound' | 'outbound';
  line: 'emergency' | 'general' | 'selftest' | 'outbound';
  kind: 'A' | 'B' | 'C' | 'D';
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
  /** The provider's final state, as call_attempts.outcome holds it. */
  outcome: 'completed' | 'no_answer' | 'busy' | 'failed' | 'canceled';
  answeredBy: 'human' | 'machine' | null;
  /** The operator's filing (call_attempts.disposition), as JSON text. */
  disposition: string | null;
  agendaItemId: string | null;
  /** Outbound only: whether it started outside her agreed window (never, by construction; computed, not assumed). */
  outsideWindow: boolean | null;
}

export interface SeedIncident {
  id: string; callId: string; kind: EmergencyKind; level: 1 | 2 | 3; openedAt: number; closedAt: number | null;
}

export interface SeedOccasion {
  id: string; kind: OccasionKind; plannedOn: string; status: 'contact' | 'failed'; incidentId: string | null;
  createdAt: number; closedAt: number;
}

export interface SeedItem {
  id: string; occasionId: string; kind: OccasionKind; attempt: number; plannedOn: string; notBefore: number; notAfter: number;
  status: 'done' | 'failed'; outcome: AttemptOutcome; callId: string; createdAt: number; claimedAt: number; incidentId: string | null;
}

export type LossStage = 'contacting_persons' | 'social_services_notified' | 'baja_proposed' | 'closed_contact_recovered' | 'closed_baja';

export interface SeedLossCase {
  id: string; round: 1 | 2; stage: LossStage; openedAt: number; replyDeadline: number | null; interventionAt: number | null;
  proposedAt: number | null; closedAt: number | null; decidedAt: number | null;
  transitions: { from: LossStage | null; to: LossStage; cause: string; actor: string; at: number }[];
  /** Calls to her contact persons by priority: reached, not reached, or still open. */
  tasks: { status: 'open' | 'reached' | 'not_reached'; doneAt: number | null }[];
}

export type BajaCause = 'caducidad_medidas' | 'convivencia_agresor' | 'incumplimientos_reiterados' | 'traslado_entidad_no_adherida'
  | 'voluntaria' | 'agresor_sin_riesgo' | 'desaparecida_no_localizable' | 'disconforme' | 'fallecida' | 'vive_fuera_espana'
  | 'no_percibe_riesgo' | 'falta_contacto' | 'no_renovacion' | 'plazo_maximo';

export interface SeedCallYear {
  calls: SeedCall[];
  incidents: SeedIncident[];
  occasions: SeedOccasion[];
  items: SeedItem[];
  lossCases: SeedLossCase[];
  /** Her current expediente ended during the year. */
  baja: { cause: BajaCause; on: string } | null;
  /** A re-alta: an earlier expediente of hers that ended before the current one began. */
  earlier: { requestedOn: string; altaOn: string; bajaOn: string; cause: BajaCause } | null;
  lastCommunicationAt: number | null;
  lastSelftestAt: number | null;
}
