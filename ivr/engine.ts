import { DomainError } from '../common/errors.ts';
import { inlinePromptId, type Flow, type GatherStep, type OperatorLine, type Step, type Verb } from './flow.ts';

/**
 * The IVR engine: a pure, serialisable state machine over a `Flow` (flow.ts). Renderers (TwiML in
 * telephony/twilio/ivr-twiml.ts, SIP media in ivr/sip/) hold no flow logic; they loop:
 *
 *   const { session, instruction, outcomes } = start(flow, id, now);    // first instruction
 *   ...render `instruction`, store `session` (plain JSON), record `outcomes`...
 *   advance(flow, session, input, now)   // with what the caller did at that instruction
 *
 * Instructions:
 * - `gather`: play `prompts` in order (a caller may press keys during them: barge-in), then wait
 *   `timeoutS` seconds for `numDigits` digits or `finishOnKey` (not part of the digits). Report
 *   `{ type: 'digits', digits }` (without the finish key) or `{ type: 'timeout' }` (no digit at
 *   all; an empty entry ended by the finish key counts as a timeout).
 * - `connect`: play `prompts`, then hand the call to an operator on `line` exactly as an inbound
 *   call on that line is routed. The session is over.
 * - `hangup`: play `prompts`, then end the call. The session is over.
 *
 * say / play / pause / set-outcome steps never reach a renderer on their own: their prompts are
 * folded into the next instruction's `prompts`, their outcomes into `outcomes`.
 *
 * Safety: at any moment, a `panic` input (her terminal's panic call arrived during the flow) or
 * digits containing the flow's emergency key yield `connect` on line `emergency` at once, with no
 * prompt, and the outcome `emergency`. Flows cannot use that key in a branch (flow.ts checks).
 *
 * Ending: `advance` returns `instruction: null` when there is nothing more to do: after a
 * `{ type: 'hangup' }` input (the caller hung up; the flow's `hangupOutcome` is reported if no
 * outcome was set yet), or for any input once the session has ended. `outcomes` lists every
 * outcome set by this call of start/advance, in order; `session.outcome` is the latest one.
 */
export type Prompt = { id: string; text: string } | { pauseS: number };
export type Instruction =
  | { do: 'gather'; prompts: Prompt[]; numDigits: number; timeoutS: number; finishOnKey: string | null }
  | { do: 'connect'; prompts: Prompt[]; line: OperatorLine }
  | { do: 'hangup'; prompts: Prompt[] };
export type Input = { type: 'digits'; digits: string } | { type: 'timeout' } | { type: 'panic' } | { type: 'hangup' };
export interface Session {
  id: string;
  flowId: string;
  /** The step waiting for input (a gather) or the last step run once ended. */
  step: string;
  /** Retries spent at the current gather. */
  tries: number;
  outcome: string | null;
  /** ISO instant the session started. */
  startedAt: string;
  /** True after a connect or hangup instruction, or after the caller hung up. */
  ended: boolean;
}
export interface Result { session: Session; instruction: Instruction | null; outcomes: string[] }

export const EMERGENCY_OUTCOME = 'emergency';
/** A well-formed flow waits at a gather within a few steps; this only guards against bugs. */
const MAX_STEPS_PER_TURN = 100;

interface Turn { flow: Flow; session: Session; prompts: Prompt[]; outcomes: string[] }
type Entered = { next: string } | { instruction: Instruction };
/** One handler per verb: what happens when the flow enters a step of that verb. */
type Handler<V extends Verb> = (step: Extract<Step, { verb: V }>, stepId: string, turn: Turn) => Entered;

const handlers: { [V in Verb]: Handler<V> } = {
  say: (step, stepId, turn) => {
    const id = 'prompt' in step ? step.prompt : inlinePromptId(turn.flow.id, stepId);
    const text = 'prompt' in step ? promptText(turn.flow, step.prompt) : step.text;
    turn.prompts.push({ id, text });
    return { next: step.next };
  },
  play: (step, _id, turn) => {
    turn.prompts.push({ id: step.prompt, text: promptText(turn.flow, step.prompt) });
    return { next: step.next };
  },
  pause: (step, _id, turn) => {
    turn.prompts.push({ pauseS: step.seconds });
    return { next: step.next };
  },
  'set-outcome': (step, _id, turn) => {
    turn.outcomes.push(step.outcome);
    turn.session.outcome = step.outcome;
    return { next: step.next };
  },
  gather: (step, _id, turn) => ({ instruction: gatherInstruction(turn.flow, step, turn.prompts) }),
  'connect-operator': (step, _id, turn) => {
    turn.session.ended = true;
    return { instruction: { do: 'connect', prompts: turn.prompts, line: step.line } };
  },
  hangup: (_step, _id, turn) => {
    turn.session.ended = true;
    return { instruction: { do: 'hangup', prompts: turn.prompts } };
  },
};

/** Starts a session at the flow's start step and runs it to its first instruction. */
export function start(flow: Flow, id: string, now: Date): Result {
  const session: Session = { id, flowId: flow.id, step: flow.start, tries: 0, outcome: null, startedAt: now.toISOString(), ended: false };
  return run({ flow, session, prompts: [], outcomes: [] }, flow.start);
}

/** Feeds what the caller did at the last instruction; returns the next instruction (or null: over). */
export function advance(flow: Flow, previous: Session, input: Input, _now: Date): Result {
  if (previous.flowId !== flow.id) throw new DomainError('invalid', `session belongs to flow "${previous.flowId}", not "${flow.id}"`);
  const session: Session = { ...previous };
  if (session.ended) return { session, instruction: null, outcomes: [] };
  if (input.type === 'hangup') {
    session.ended = true;
    const outcomes = session.outcome === null && flow.hangupOutcome ? [flow.hangupOutcome] : [];
    if (outcomes[0]) session.outcome = outcomes[0];
    return { session, instruction: null, outcomes };
  }
  if (input.type === 'panic' || (input.type === 'digits' && input.digits.includes(flow.emergencyKey))) {
    session.ended = true;
    session.outcome = EMERGENCY_OUTCOME;
    return { session, instruction: { do: 'connect', prompts: [], line: 'emergency' }, outcomes: [EMERGENCY_OUTCOME] };
  }
  const step = flow.steps[session.step];
  if (!step || step.verb !== 'gather') throw new DomainError('invalid', `session is not waiting at a gather (step "${session.step}")`);
  const turn: Turn = { flow, session, prompts: [], outcomes: [] };
  const chosen = input.type === 'digits' && input.digits !== '' ? step.branches[input.digits] : undefined;
  if (chosen !== undefined) {
    session.tries = 0;
    return run(turn, chosen);
  }
  const timedOut = input.type === 'timeout' || (input.type === 'digits' && input.digits === '');
  if (session.tries < step.retries) {
    session.tries += 1;
    const again = timedOut ? step.timeoutPrompt : step.invalidPrompt;
    if (again) turn.prompts.push({ id: again, text: promptText(flow, again) });
    return { session, instruction: gatherInstruction(flow, step, turn.prompts), outcomes: [] };
  }
  session.tries = 0;
  return run(turn, timedOut ? step.onTimeout : step.onInvalid);
}

function run(turn: Turn, from: string): Result {
  let stepId = from;
  for (let i = 0; i < MAX_STEPS_PER_TURN; i++) {
    const step = turn.flow.steps[stepId];
    if (!step) throw new DomainError('invalid', `flow "${turn.flow.id}" has no step "${stepId}"`);
    turn.session.step = stepId;
    const entered = (handlers[step.verb] as Handler<Verb>)(step as never, stepId, turn);
    if ('instruction' in entered) return { session: turn.session, instruction: entered.instruction, outcomes: turn.outcomes };
    stepId = entered.next;
  }
  throw new DomainError('invalid', `flow "${turn.flow.id}" ran ${MAX_STEPS_PER_TURN} steps without waiting for the caller`);
}

function gatherInstruction(flow: Flow, step: GatherStep, before: Prompt[]): Instruction {
  const prompts = [...before, ...step.prompts.map((id) => ({ id, text: promptText(flow, id) }))];
  return { do: 'gather', prompts, numDigits: step.numDigits, timeoutS: step.timeoutS, finishOnKey: step.finishOnKey };
}

function promptText(flow: Flow, id: string): string {
  const text = flow.prompts[id];
  if (text === undefined) throw new DomainError('invalid', `flow "${flow.id}" has no prompt "${id}"`);
  return text;
}
