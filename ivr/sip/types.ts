import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';
import type { CallEvent, CallState, InboundCall, InboundPlan, Line, OperatorTarget } from '../../telephony/port.ts';
import type { FlowCatalog } from '../catalog.ts';
import type { Instruction, Prompt } from '../engine.ts';
import type { MediaPort } from '../media/index.ts';
import type { PromptLibrary } from '../prompts/index.ts';
import type { IvrTimers } from './keys.ts';

/** The part of the inbound service an IVR call needs: routing to an operator when the flow says so. */
export interface IvrRouting {
  connectFromIvr(call: InboundCall, callId: string, line: Line): Promise<InboundPlan>;
  operatorMissed(callId: string): Promise<void>;
}

export interface SipIvrDeps {
  srf: Srf;
  media: MediaPort;
  prompts: PromptLibrary;
  flows: FlowCatalog;
  routing: IvrRouting;
  clock: Clock;
  log: Logger;
  /** The SIP URI an operator's device is reached at. */
  deviceUri(device: string): string;
  ringTimeoutS: number;
  /** Said, and repeated, while she waits in the queue for an operator. */
  waitPrompt: { id: string; text: string };
  timers?: IvrTimers;
  /** Stores the outcomes a flow sets, as it sets them, against the call (store/ivr.repo.ts `record`). */
  recordOutcomes?(o: OutcomeRecord): Promise<unknown>;
  /**
   * Told the outcomes a flow sets, once they are recorded (or recording failed: the error is logged), for
   * inbound and outbound calls alike; the dialer's control calls learn their flow's outcome so.
   */
  onOutcomes?(callAttemptId: string, outcomes: string[], at: Date): void;
  /** Each instruction as the call starts carrying it out, and each prompt as it starts (tests, benchmark). */
  onInstruction?(callId: string, instruction: Instruction): void;
  onPrompt?(callId: string, prompt: Prompt): void;
}

/** Outcomes of one engine step: numbered from `firstSeq` within the session. */
export interface OutcomeRecord { callAttemptId: string; sessionId: string; flowId: string; firstSeq: number; outcomes: string[]; at: Date }

/** A status event of the caller's leg, numbered by the adapter. */
export type EmitEvent = (state: CallState, detail?: Record<string, string | number>, answeredBy?: CallEvent['answeredBy']) => void;

/** What every IVR call on SIP carries, whichever side placed it. */
export interface IvrCallInfo {
  /** The call as routing knows it (for routing to an operator later); on a call we placed, she is the caller all the same. */
  call: InboundCall;
  /** Our id of the call (the CallAttempt). */
  callId: string;
  /** The line she called (the IVR's way out when its media fails). */
  line: Line;
  flowId: string;
  emit: EmitEvent;
}

/** What the SIP adapter hands over for an INVITE whose plan is an IVR flow. */
export interface IvrInvite extends IvrCallInfo {
  req: Srf.SrfRequest;
  res: Srf.SrfResponse;
  /** Her SDP offer (the SDP part of a multipart body). */
  sdpOffer: string;
}

/** An outbound call that runs a flow when she answers (a control call, a reminder). */
export interface OutboundIvrCall {
  /** The dialer's call attempt: the flow's outcomes are recorded against it. */
  attemptId: string;
  flowId: string;
  /** Her number (E.164), and the neutral number the call shows. */
  to: string;
  callerId: string;
}

/** The media side of an outbound IVR call, from before her phone rings to the end of the flow. */
export interface OutboundIvrLeg {
  /** The SDP offer her INVITE carries (the media server's). */
  readonly sdpOffer: string;
  /**
   * She answered (the adapter has reported `in_progress`): the flow runs on her dialog until the call
   * ends or reaches an operator, reporting through `emit`. Resolves when the flow is done with it.
   */
  answered(dialog: Srf.Dialog, providerCallId: string, emit: EmitEvent): Promise<void>;
  /** The call was never answered: the media is released. Idempotent. */
  abandon(): Promise<void>;
}

/** The IVR side of the SIP adapter. */
export interface SipIvr {
  /**
   * Answers the INVITE with media and runs the flow until the call ends or reaches an operator.
   * False when the call could not be answered with media and is still unanswered: the adapter then
   * routes it to an operator without the IVR (an automated call never stands between her and help).
   */
  run(invite: IvrInvite): Promise<boolean>;
  /**
   * Anchors media for an outbound call that runs `flowId` once answered. Rejects (unknown flow, no
   * media server) before anything rings: the call is then not placed.
   */
  prepare(call: OutboundIvrCall): Promise<OutboundIvrLeg>;
  /** An operator is free for an IVR call waiting in the queue; false if no such call is here. */
  bridge(providerCallId: string, operator: OperatorTarget): boolean;
  /** Ends an IVR call held here; false if no such call is here. */
  hangup(providerCallId: string): boolean;
  /** Her terminal's panic call arrived during this call's flow: an emergency operator, now. */
  panic(providerCallId: string): boolean;
  /** Calls in progress here. */
  readonly active: number;
}
