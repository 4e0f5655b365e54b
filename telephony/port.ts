/**
 * The voice port: what every provider adapter (telephony/twilio, telephony/sip) does for the
 * rest of the service. Nothing outside those two folders knows which provider carries a call.
 */
export type ProviderName = 'twilio' | 'sip';

/** Which centre number was dialled decides the line (configuration, see telephony/lines.ts). */
export type Line = 'emergency' | 'general' | 'selftest' | 'info' | 'outbound';

/** An inbound call as the adapter saw it, before anything is known about the caller. */
export interface InboundCall {
  provider: ProviderName;
  /** Twilio CallSid or SIP Call-ID of the caller's leg. */
  providerCallId: string;
  /** The caller as received (From, or P-Asserted-Identity from a trusted trunk); null if withheld. */
  callerRaw: string | null;
  /** The centre number dialled (To / Request-URI user part). */
  dialled: string;
  receivedAt: Date;
}

/** Where an operator's phone rings: a SIP URI, a Twilio client identity or a phone number. */
export interface OperatorTarget { operatorId: string; device: string }

/** What the adapter must do with a new inbound call. Provider-neutral; adapters render it. */
export type InboundPlan =
  /** Ring this operator now (B2BUA on SIP, <Dial> on Twilio). */
  | { action: 'connect'; callId: string; line: Line; operator: OperatorTarget }
  /** Nobody is free: hold the call (182 Queued / <Enqueue>), say `message`, wait for `bridge`. */
  | { action: 'wait'; callId: string; line: Line; message: string }
  /** Answer, record and end without an operator (the terminal's autochequeo). */
  | { action: 'answer_and_end'; callId: string; line: Line; message: string | null }
  /** Emergency with the store down: ring every operator device at once (fail open). */
  | { action: 'connect_any'; callId: string; line: Line; operators: OperatorTarget[] }
  /**
   * Answer and run the IVR flow `flow` (ivr/flows). A `connect` in the flow comes back through
   * InboundService.connectFromIvr and is then routed like an inbound call on that line.
   */
  | { action: 'ivr'; callId: string; line: Line; flow: string };

/** Provider-neutral call states, in the order a call moves through them. */
export type CallState = 'ringing' | 'waiting' | 'connecting' | 'in_progress' | 'completed' | 'busy' | 'no_answer'
  | 'failed' | 'canceled' | 'rejected';

export const FINAL_STATES: readonly CallState[] = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'rejected'];

/** One status event from a provider; `sequence` orders events of one call (Twilio SequenceNumber). */
export interface CallEvent {
  provider: ProviderName;
  providerCallId: string;
  sequence: number;
  state: CallState;
  at: Date;
  /** Set when the event says who answered (Twilio AnsweredBy, operator leg of a B2BUA). */
  answeredBy?: 'human' | 'machine' | 'unknown' | 'operator';
  durationS?: number;
  /** Provider-specific code kept for the record (SIP status, Twilio ErrorCode). */
  detail?: Record<string, string | number>;
  /**
   * Whether this event is the call being answered (her on a call we placed; the operator or a flow
   * on hers). Absent: an `in_progress` event is. Twilio answers an inbound call itself to hold it or
   * play to it: that is not a person answering, and the answer time must not start there.
   */
  answered?: boolean;
}

/**
 * What the store records of an event (store/calls.repo.ts CallEventRecord): final when its state
 * ends the call, the answer when it says so (see CallEvent.answered). `at` may come back from JSON.
 */
export function eventRecord(ev: CallEvent) {
  return { seq: ev.sequence, status: ev.state, at: new Date(ev.at), final: FINAL_STATES.includes(ev.state),
    answered: ev.answered ?? ev.state === 'in_progress', detail: ev.detail ?? null };
}

export interface OutboundCallRequest {
  /** E.164 number to call. */
  to: string;
  /** The neutral centre number shown to the called party. */
  callerId: string;
  /** Our id for the attempt; the adapter echoes it in every event. */
  attemptId: string;
  ringTimeoutS: number;
  /** Ask the provider to tell a machine from a person. */
  detectMachine: boolean;
  /**
   * The operator reserved for this call (progressive dialling): she is put through the moment the
   * call is answered, so nobody ever answers to silence.
   */
  operator?: OperatorTarget;
  /**
   * Run this IVR flow (ivr/flows: a control call, a reminder) when the call is answered, instead
   * of putting it through to an operator. Never together with `operator`.
   */
  flow?: string;
}

/** The operations the rest of the service asks of a provider. */
export interface VoiceProvider {
  readonly name: ProviderName;
  /** Connects a waiting inbound call to an operator. */
  bridge(providerCallId: string, operator: OperatorTarget): Promise<void>;
  /** Ends a call (the caller's leg and any bridged leg). */
  hangup(providerCallId: string): Promise<void>;
  /** Places an outbound call; events then arrive through the adapter's own channel. */
  placeCall(req: OutboundCallRequest): Promise<{ providerCallId: string }>;
}
