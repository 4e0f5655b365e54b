// The contact-loss procedure of Anexo IV ("Baja por la Entidad Prestadora del Servicio") as a state
// machine. Pure: it is given the time and the facts, never reads them; every transition says what
// to do as data, and the service performs it inside the same transaction that stores the stage.
//
// Rounds ("se procederá ... una segunda vez. De reiterarse consecutivamente una tercera vez la
// pérdida de contacto, la persona usuaria causará baja"): round 2 runs the same steps again; a
// third consecutive loss does not: the protocol says she "causará baja", so the case opens
// straight at baja_proposed (a coordinator still confirms it, DECISION in DOMAIN.md).
//
// Rejection of a proposal (DECISION): a coordinator who keeps her in service sends the case back to
// social_services_notified with a new notice and a new reply deadline, and the earlier intervention
// no longer counts (otherwise the next tick would propose the same baja again at once). The case
// stays open, so the loss is still tracked and shown until contact is recovered or a baja is decided.
import { DateTime } from 'luxon';
import { DomainError } from '../../common/errors.ts';

export type OpenStage = 'contacting_persons' | 'social_services_notified' | 'baja_proposed';
export type ClosedStage = 'closed_contact_recovered' | 'closed_baja';
export type Stage = OpenStage | ClosedStage;
export type Round = 1 | 2 | 3;

export interface LossCase {
  stage: Stage;
  round: Round;
  openedAt: Date;
  /** Set when her social services centre is notified (step 2); the notice carries it. */
  replyDeadline: Date | null;
  /** When social services report they intervened; the week of step 3 runs from it. */
  interventionAt: Date | null;
  proposedAt: Date | null;
  closedAt: Date | null;
  /** The coordinator of the last decision on a proposal. */
  decidedBy: string | null;
  decidedAt: Date | null;
}

export interface ContactPersonRef { id: string; priority: number }

export type LossEvent =
  | { type: 'persons_exhausted'; at: Date }
  | { type: 'social_services_intervened'; at: Date; interventionAt: Date }
  | { type: 'contact_recovered'; at: Date }
  | { type: 'tick'; now: Date }
  | { type: 'baja_confirmed'; at: Date; by: string }
  | { type: 'baja_rejected'; at: Date; by: string; reason: string }
  /** Her expediente was closed by another path (a baja for another cause): nothing left to decide. */
  | { type: 'expediente_closed'; at: Date };

export type Effect =
  | { kind: 'create_person_tasks'; persons: ContactPersonRef[] }
  | { kind: 'cancel_open_tasks' }
  | { kind: 'notify_social_services'; replyDeadline: Date; reason: 'persons_exhausted' | 'proposal_rejected' }
  | { kind: 'apply_baja'; cause: 'falta_contacto'; at: Date; by: string };

export type TransitionCause =
  | 'three_failed_followups' | 'failure_to_collaborate' | 'loss_after_recovery' | 'third_consecutive_loss'
  | 'contact_persons_exhausted' | 'no_contact_persons' | 'social_services_intervened'
  | 'intervention_week_elapsed' | 'reply_deadline_passed'
  | 'contact_recovered' | 'contact_recovered_via_social_services'
  | 'baja_confirmed' | 'baja_rejected' | 'expediente_closed';

export interface Transition {
  from: Stage | null;
  to: Stage;
  cause: TransitionCause;
  /** Free text that goes with the cause (a coordinator's reason). */
  note: string | null;
  state: LossCase;
  effects: Effect[];
}

export interface ContactLossConfig {
  /** DECISION (DOMAIN.md): days social services have to reply to the notice. */
  replyDays: number;
  /** The zone in which "days" and "a week" are counted: the centre's. */
  zone: string;
}
export const DEFAULT_CONFIG: ContactLossConfig = { replyDays: 7, zone: 'Europe/Madrid' };
/** Anexo IV: "Transcurrida una semana desde la intervención". The protocol's, not configurable. */
export const INTERVENTION_WEEK_DAYS = 7;
/** Anexo IV: "tres llamadas de seguimiento consecutivas de las previstas". */
export const FAILED_OCCASIONS_TO_OPEN = 3;

export const STAGE_LABELS: Record<Stage, string> = {
  contacting_persons: 'llamadas a personas de contacto',
  social_services_notified: 'comunicado a servicios sociales',
  baja_proposed: 'baja propuesta',
  closed_contact_recovered: 'cerrado: contacto recuperado',
  closed_baja: 'cerrado: baja',
};
const EVENT_LABELS: Record<LossEvent['type'], string> = {
  persons_exhausted: 'agotar las personas de contacto',
  social_services_intervened: 'registrar la intervención de servicios sociales',
  contact_recovered: 'recuperar el contacto',
  tick: 'vigilar plazos',
  baja_confirmed: 'confirmar la baja',
  baja_rejected: 'rechazar la baja',
  expediente_closed: 'cerrar por baja del expediente',
};

export class InvalidTransitionError extends DomainError {
  constructor(readonly stage: Stage, readonly event: LossEvent['type']) {
    super('conflict', `No se puede ${EVENT_LABELS[event]}: el procedimiento está en la fase «${STAGE_LABELS[stage]}».`,
      { stage, event });
    this.name = 'InvalidTransitionError';
  }
}

const addDays = (at: Date, days: number, zone: string) => DateTime.fromJSDate(at, { zone }).plus({ days }).toJSDate();
export const isOpen = (stage: Stage): stage is OpenStage => !stage.startsWith('closed_');
/** The round rule looks at how a case ended: only a recovery after social services were notified chains. */
export const recoveredViaSocialServices = (c: LossCase) => c.stage === 'closed_contact_recovered' && c.replyDeadline !== null;

/**
 * When the open case becomes a proposed baja if nothing happens: a week after the recorded
 * intervention, or else the reply deadline. A proposal is due from the moment it was made.
 */
export function dueAt(c: LossCase, config: ContactLossConfig = DEFAULT_CONFIG): Date | null {
  if (c.stage === 'baja_proposed') return c.proposedAt;
  if (c.stage !== 'social_services_notified') return null;
  return c.interventionAt ? addDays(c.interventionAt, INTERVENTION_WEEK_DAYS, config.zone) : c.replyDeadline;
}

/** What opened a loss: three failed follow-up occasions (Anexo IV) or another failure to collaborate (DOMAIN step 5). */
export type LossOrigin = 'followups' | 'collaboration';

/**
 * Opens a case. Round 3 goes straight to a proposed baja; otherwise the contact persons are called
 * by priority, and with none on file the procedure moves on to social services at once.
 */
export function open(round: Round, at: Date, persons: ContactPersonRef[], config: ContactLossConfig = DEFAULT_CONFIG,
  origin: LossOrigin = 'followups'): Transition[] {
  const blank: LossCase = { stage: 'contacting_persons', round, openedAt: at, replyDeadline: null, interventionAt: null,
    proposedAt: null, closedAt: null, decidedBy: null, decidedAt: null };
  if (round === 3) {
    return [{ from: null, to: 'baja_proposed', cause: 'third_consecutive_loss', note: null,
      state: { ...blank, stage: 'baja_proposed', proposedAt: at }, effects: [] }];
  }
  const ordered = [...persons].sort((a, b) => a.priority - b.priority);
  const opened: Transition = { from: null, to: 'contacting_persons', note: null,
    cause: round !== 1 ? 'loss_after_recovery' : origin === 'collaboration' ? 'failure_to_collaborate' : 'three_failed_followups', state: blank,
    effects: ordered.length ? [{ kind: 'create_person_tasks', persons: ordered }] : [] };
  if (ordered.length) return [opened];
  const next = notify(blank, at, 'no_contact_persons', config);
  return [opened, next];
}

function notify(c: LossCase, at: Date, cause: 'contact_persons_exhausted' | 'no_contact_persons', config: ContactLossConfig): Transition {
  const replyDeadline = addDays(at, config.replyDays, config.zone);
  return { from: c.stage, to: 'social_services_notified', cause, note: null,
    state: { ...c, stage: 'social_services_notified', replyDeadline },
    effects: [{ kind: 'notify_social_services', replyDeadline, reason: 'persons_exhausted' }] };
}

/**
 * The next transition of an open case, or null when a `tick` finds nothing due (ticks are
 * periodic and must be idempotent). Any other event that does not apply to the stage throws.
 */
export function step(c: LossCase, e: LossEvent, config: ContactLossConfig = DEFAULT_CONFIG): Transition | null {
  const invalid = () => new InvalidTransitionError(c.stage, e.type);
  if (!isOpen(c.stage)) throw invalid();
  const close = (to: ClosedStage, cause: TransitionCause, at: Date, extra: Effect[] = [], note: string | null = null): Transition =>
    ({ from: c.stage, to, cause, note, state: { ...c, stage: to, closedAt: at }, effects: [{ kind: 'cancel_open_tasks' }, ...extra] });

  switch (e.type) {
    case 'persons_exhausted':
      if (c.stage !== 'contacting_persons') throw invalid();
      return notify(c, e.at, 'contact_persons_exhausted', config);

    case 'social_services_intervened': {
      if (c.stage !== 'social_services_notified') throw invalid();
      if (e.interventionAt.getTime() > e.at.getTime()) {
        throw new DomainError('invalid', 'La fecha de la intervención no puede ser futura.', { field: 'body.interventionOn' });
      }
      const openedDay = DateTime.fromJSDate(c.openedAt, { zone: config.zone }).startOf('day');
      if (e.interventionAt.getTime() < openedDay.toMillis()) {
        throw new DomainError('invalid', 'La intervención no puede ser anterior a la apertura del procedimiento.', { field: 'body.interventionOn' });
      }
      return { from: c.stage, to: c.stage, cause: 'social_services_intervened', note: null,
        state: { ...c, interventionAt: e.interventionAt }, effects: [] };
    }

    case 'contact_recovered':
      // after the notice, whatever brought her back counts as social services' intervention
      return close('closed_contact_recovered', c.replyDeadline ? 'contact_recovered_via_social_services' : 'contact_recovered', e.at);

    case 'tick': {
      if (c.stage !== 'social_services_notified') return null;
      const due = dueAt(c, config);
      if (!due || e.now.getTime() < due.getTime()) return null;
      return { from: c.stage, to: 'baja_proposed', cause: c.interventionAt ? 'intervention_week_elapsed' : 'reply_deadline_passed',
        note: null, state: { ...c, stage: 'baja_proposed', proposedAt: e.now }, effects: [] };
    }

    case 'baja_confirmed':
      if (c.stage !== 'baja_proposed') throw invalid();
      return { ...close('closed_baja', 'baja_confirmed', e.at, [{ kind: 'apply_baja', cause: 'falta_contacto', at: e.at, by: e.by }]),
        state: { ...c, stage: 'closed_baja', closedAt: e.at, decidedBy: e.by, decidedAt: e.at } };

    case 'baja_rejected': {
      if (c.stage !== 'baja_proposed') throw invalid();
      const reason = e.reason.trim();
      if (!reason) throw new DomainError('invalid', 'Indique el motivo para mantenerla en el servicio.', { field: 'body.reason' });
      const replyDeadline = addDays(e.at, config.replyDays, config.zone);
      return { from: c.stage, to: 'social_services_notified', cause: 'baja_rejected', note: reason,
        state: { ...c, stage: 'social_services_notified', replyDeadline, interventionAt: null, proposedAt: null,
          decidedBy: e.by, decidedAt: e.at },
        effects: [{ kind: 'notify_social_services', replyDeadline, reason: 'proposal_rejected' }] };
    }

    case 'expediente_closed':
      return close('closed_baja', 'expediente_closed', e.at);
  }
}
