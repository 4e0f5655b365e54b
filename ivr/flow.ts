import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { DomainError } from '../common/errors.ts';

/**
 * IVR flows as data. A flow is a small graph of steps, one verb per step; the engine
 * (`engine.ts`) walks it and the renderers (TwiML, SIP media) only play what the engine says.
 *
 * Prompt ids name the WAV files of the SIP media path and the recordings that can replace the
 * synthesised voice, so they are stable, kebab-case and unique across all flows.
 */
const StepId = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,47}$' });
const PromptId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' });
const Key = Type.String({ pattern: '^[0-9*#]$' });
/** Lines an IVR may hand a call to (telephony/port.ts `Line`); `emergency` jumps the queue. */
const OperatorLine = Type.Union([Type.Literal('emergency'), Type.Literal('general'), Type.Literal('info')]);

/** Speak a prompt: `prompt` names one in the flow's table, or `text` is spoken (its id is `<flow>-<step>`). */
const SayStep = Type.Union([
  Type.Object({ verb: Type.Literal('say'), prompt: PromptId, next: StepId }, { additionalProperties: false }),
  Type.Object({ verb: Type.Literal('say'), text: Type.String({ minLength: 1, maxLength: 600 }), next: StepId },
    { additionalProperties: false }),
]);
/** Play a recorded prompt; its text in the table is what the synthesised fallback says. */
const PlayStep = Type.Object({ verb: Type.Literal('play'), prompt: PromptId, next: StepId }, { additionalProperties: false });
const PauseStep = Type.Object({ verb: Type.Literal('pause'), seconds: Type.Number({ minimum: 0.2, maximum: 10 }), next: StepId },
  { additionalProperties: false });
const SetOutcomeStep = Type.Object({ verb: Type.Literal('set-outcome'),
  outcome: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }), next: StepId }, { additionalProperties: false });
const HangupStep = Type.Object({ verb: Type.Literal('hangup') }, { additionalProperties: false });
const ConnectStep = Type.Object({ verb: Type.Literal('connect-operator'), line: OperatorLine }, { additionalProperties: false });
/**
 * Collect DTMF. `branches` maps the digits entered to the next step. A wrong entry says
 * `invalidPrompt` and asks again, a silence says `timeoutPrompt` and asks again, each up to
 * `retries` times (both count against the same budget); then the flow goes on at `onInvalid` /
 * `onTimeout`.
 */
const GatherStep = Type.Object({
  verb: Type.Literal('gather'),
  prompts: Type.Array(PromptId, { minItems: 1, maxItems: 6 }),
  numDigits: Type.Integer({ minimum: 1, maximum: 12 }),
  timeoutS: Type.Integer({ minimum: 1, maximum: 60 }),
  finishOnKey: Type.Union([Key, Type.Null()]),
  retries: Type.Integer({ minimum: 0, maximum: 5 }),
  branches: Type.Record(Type.String({ pattern: '^[0-9*#]{1,12}$' }), StepId),
  invalidPrompt: Type.Optional(PromptId),
  timeoutPrompt: Type.Optional(PromptId),
  onInvalid: StepId,
  onTimeout: StepId,
}, { additionalProperties: false });

export const Step = Type.Union([SayStep, PlayStep, PauseStep, SetOutcomeStep, HangupStep, ConnectStep, GatherStep]);

export const Flow = Type.Object({
  id: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
  /** Human name, for logs and the console. */
  name: Type.String({ minLength: 1 }),
  start: StepId,
  /** Pressed at any gather, this key connects an operator on the emergency line at once. */
  emergencyKey: Key,
  /** Outcome recorded when the caller hangs up before any outcome was set (e.g. `not_confirmed`). */
  hangupOutcome: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' })),
  /** Prompt id -> Spanish text. */
  prompts: Type.Record(PromptId, Type.String({ minLength: 1, maxLength: 600 })),
  steps: Type.Record(StepId, Step),
}, { additionalProperties: false });

export type Flow = Static<typeof Flow>;
export type Step = Static<typeof Step>;
export type GatherStep = Static<typeof GatherStep>;
export type Verb = Step['verb'];
export type OperatorLine = Static<typeof OperatorLine>;

export const DEFAULT_EMERGENCY_KEY = '9';

/** The id under which the inline text of a `say` step is known (WAV name, recording name). */
export function inlinePromptId(flowId: string, stepId: string): string {
  return `${flowId}-${stepId}`.replace(/_/g, '-');
}

/** Steps a step can go to next (for the referential checks). */
export function successors(step: Step): string[] {
  switch (step.verb) {
    case 'gather': return [...Object.values(step.branches), step.onInvalid, step.onTimeout];
    case 'hangup': case 'connect-operator': return [];
    default: return [step.next];
  }
}

/**
 * Checks the schema and what the schema cannot say: every referenced step and prompt exists, no
 * branch uses the emergency key (it always means "help now"), every step is reachable, and every
 * cycle waits for the caller at a gather (so the engine can never spin).
 */
export function validateFlow(doc: unknown): Flow {
  if (!Value.Check(Flow, doc)) {
    const first = [...Value.Errors(Flow, doc)].slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new DomainError('invalid', `IVR flow is not valid: ${first.join('; ')}`);
  }
  const flow = doc;
  const problems: string[] = [];
  const steps = flow.steps;
  if (!steps[flow.start]) problems.push(`start step "${flow.start}" does not exist`);
  for (const [id, step] of Object.entries(steps)) {
    for (const next of successors(step)) if (!steps[next]) problems.push(`step "${id}" goes to missing step "${next}"`);
    const prompts = step.verb === 'gather'
      ? [...step.prompts, step.invalidPrompt, step.timeoutPrompt]
      : 'prompt' in step ? [step.prompt] : [];
    for (const p of prompts) if (p !== undefined && flow.prompts[p] === undefined) problems.push(`step "${id}" uses missing prompt "${p}"`);
    if (step.verb === 'gather') {
      for (const key of Object.keys(step.branches)) {
        if (key.includes(flow.emergencyKey)) problems.push(`step "${id}" uses the emergency key in branch "${key}"`);
        if (key.length > step.numDigits) problems.push(`step "${id}" branch "${key}" is longer than numDigits`);
      }
    }
  }
  if (problems.length === 0) problems.push(...graphProblems(flow));
  if (problems.length > 0) throw new DomainError('invalid', `IVR flow "${flow.id}": ${problems.join('; ')}`);
  return flow;
}

function graphProblems(flow: Flow): string[] {
  const problems: string[] = [];
  const reached = new Set<string>();
  const todo = [flow.start];
  while (todo.length > 0) {
    const id = todo.pop() as string;
    if (reached.has(id)) continue;
    reached.add(id);
    todo.push(...successors(flow.steps[id] as Step));
  }
  for (const id of Object.keys(flow.steps)) if (!reached.has(id)) problems.push(`step "${id}" is unreachable`);
  // A cycle made only of non-waiting steps would loop forever: depth-first search over them.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string): boolean => {
    const step = flow.steps[id] as Step;
    if (step.verb === 'gather' || state.get(id) === 'done') return false;
    if (state.get(id) === 'open') return true;
    state.set(id, 'open');
    const loops = successors(step).some(visit);
    state.set(id, 'done');
    return loops;
  };
  for (const id of Object.keys(flow.steps)) if (visit(id)) { problems.push(`a cycle through "${id}" never waits at a gather`); break; }
  return problems;
}

/** The same flow with another emergency key (configuration); re-validated. */
export function withEmergencyKey(flow: Flow, key: string): Flow {
  return validateFlow({ ...flow, emergencyKey: key });
}
