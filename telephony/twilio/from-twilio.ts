import type { Clock } from '../../common/clock.ts';
import type { CallEvent, CallState, InboundCall } from '../port.ts';

/** What Twilio puts in From when the caller's number is withheld (+266696687 is its "anonymous"). */
const WITHHELD = new Set(['', 'anonymous', 'restricted', 'unknown', 'private', '+266696687']);

export const TWILIO_CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed',
  'canceled'] as const;
export type TwilioCallStatus = (typeof TWILIO_CALL_STATUSES)[number];

const STATE: Record<TwilioCallStatus, CallState> = {
  queued: 'ringing', initiated: 'ringing', ringing: 'ringing', 'in-progress': 'in_progress', completed: 'completed',
  busy: 'busy', 'no-answer': 'no_answer', failed: 'failed', canceled: 'canceled',
};

// stands in for SequenceNumber if Twilio ever leaves it out: still one row per (seq, status)
const RANK: Record<TwilioCallStatus, number> = {
  queued: 0, initiated: 0, ringing: 1, 'in-progress': 2, completed: 3, busy: 3, 'no-answer': 3, failed: 3, canceled: 3,
};

/** The caller as Twilio gave it, or null when withheld; a SIP From gives its user part. */
export function callerOf(from: string | undefined): string | null {
  const f = (from ?? '').trim();
  if (WITHHELD.has(f.toLowerCase())) return null;
  const sip = /^sips?:([^@;]+)/i.exec(f);
  return sip ? sip[1]! : f;
}

/** Twilio's Timestamp is RFC 2822 ("Tue, 10 Nov 2026 10:00:05 +0000"); our clock when unreadable. */
function instant(raw: string | undefined, clock: Clock): Date {
  const t = raw ? Date.parse(raw) : NaN;
  return Number.isNaN(t) ? clock.now() : new Date(t);
}

function answeredBy(raw: string | undefined): CallEvent['answeredBy'] {
  if (!raw) return undefined;
  if (raw === 'human') return 'human';
  if (raw.startsWith('machine') || raw === 'fax') return 'machine';
  return 'unknown';
}

export interface IncomingParams { CallSid: string; From?: string; To?: string }

export function toInboundCall(p: IncomingParams, clock: Clock): InboundCall {
  return { provider: 'twilio', providerCallId: p.CallSid, callerRaw: callerOf(p.From), dialled: p.To ?? '', receivedAt: clock.now() };
}

export interface StatusParams {
  CallSid: string; CallStatus: TwilioCallStatus; SequenceNumber?: string; Timestamp?: string; CallDuration?: string;
  AnsweredBy?: string; ErrorCode?: string;
  /** `inbound` for a call to us, `outbound-api` for one we placed, `outbound-dial` for a <Dial>'s leg. */
  Direction?: string;
}

export function toCallEvent(p: StatusParams, clock: Clock): CallEvent {
  const detail: Record<string, string> = { twilioStatus: p.CallStatus };
  if (p.ErrorCode) detail.errorCode = p.ErrorCode;
  if (p.AnsweredBy) detail.answeredBy = p.AnsweredBy;
  return {
    provider: 'twilio', providerCallId: p.CallSid,
    sequence: p.SequenceNumber !== undefined ? Number(p.SequenceNumber) : RANK[p.CallStatus],
    state: STATE[p.CallStatus], at: instant(p.Timestamp, clock),
    answeredBy: answeredBy(p.AnsweredBy),
    durationS: p.CallDuration !== undefined ? Number(p.CallDuration) : undefined,
    detail,
    // Twilio answers an inbound call as soon as its TwiML holds or plays to it: the answer is the
    // operator's leg (operatorAnsweredEvent) or the flow's start, never this
    ...(p.Direction === 'inbound' && p.CallStatus === 'in-progress' ? { answered: false } : {}),
  };
}

/** Sequence numbers of the events we make ourselves, apart from the call's SequenceNumber series. */
export const AMD_SEQUENCE = 1_000_000;
const OPERATOR_ANSWER_SEQUENCE = 2_000_000;
const FLOW_ANSWER_SEQUENCE = 2_000_001;

/** An inbound call's flow started (the information line): the flow answered her, as on SIP. */
export function flowAnsweredEvent(callSid: string, flow: string, at: Date): CallEvent {
  return { provider: 'twilio', providerCallId: callSid, sequence: FLOW_ANSWER_SEQUENCE, state: 'in_progress', at, answered: true,
    detail: { twilioStatus: 'flow-started', ivr: flow } };
}

export interface OperatorAnsweredParams { CallSid: string; ParentCallSid: string; CallStatus: string; Timestamp?: string }

/** The operator's leg of a <Dial> was answered: the inbound call (its parent) is answered now, by her. */
export function operatorAnsweredEvent(p: OperatorAnsweredParams, clock: Clock): CallEvent {
  return { provider: 'twilio', providerCallId: p.ParentCallSid, sequence: OPERATOR_ANSWER_SEQUENCE, state: 'in_progress',
    at: instant(p.Timestamp, clock), answeredBy: 'operator', answered: true, detail: { twilioStatus: 'operator-answered', operatorLeg: p.CallSid } };
}
