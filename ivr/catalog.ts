import { DomainError } from '../common/errors.ts';
import { DEFAULT_EMERGENCY_KEY, inlinePromptId, validateFlow, type Flow } from './flow.ts';
import { control } from './flows/control.ts';
import { informacion } from './flows/informacion.ts';
import { recordatorio } from './flows/recordatorio.ts';

/** Every flow the service can run, as written in ivr/flows/. */
const DOCUMENTS: readonly unknown[] = [informacion, control, recordatorio];

export interface FlowOptions {
  /** The key that connects an emergency operator from any gather (configuration; default 9). */
  emergencyKey?: string;
}

export type FlowCatalog = ReadonlyMap<string, Flow>;

const SPOKEN_KEY: Record<string, string> = { '*': 'asterisco', '#': 'almohadilla' };
const PLACEHOLDER = /\{tecla\}/g;

/**
 * The flows, validated, with the configured emergency key in place of `{tecla}` in their texts.
 * A key that a flow already uses for a branch is refused here, at boot, not during a call.
 */
export function loadFlows(opts: FlowOptions = {}): FlowCatalog {
  const key = opts.emergencyKey ?? DEFAULT_EMERGENCY_KEY;
  const spoken = SPOKEN_KEY[key] ?? key;
  const flows = new Map<string, Flow>();
  for (const doc of DOCUMENTS) {
    const raw = doc as { prompts: Record<string, string> } & Record<string, unknown>;
    const prompts = Object.fromEntries(Object.entries(raw.prompts).map(([id, text]) => [id, text.replace(PLACEHOLDER, spoken)]));
    const flow = validateFlow(JSON.parse(JSON.stringify({ ...raw, prompts, emergencyKey: key })));
    if (flows.has(flow.id)) throw new DomainError('invalid', `two IVR flows have the id "${flow.id}"`);
    flows.set(flow.id, flow);
  }
  allPromptsOf(flows); // refuses a prompt id with two texts
  return flows;
}

/** The prompts of these flows, each id once (the WAV files of the SIP media path are named by id). */
export function allPromptsOf(flows: FlowCatalog): { id: string; text: string }[] {
  const byId = new Map<string, string>();
  const add = (id: string, text: string) => {
    const seen = byId.get(id);
    if (seen !== undefined && seen !== text) throw new DomainError('invalid', `IVR prompt "${id}" has two different texts`);
    byId.set(id, text);
  };
  for (const flow of flows.values()) {
    for (const [id, text] of Object.entries(flow.prompts)) add(id, text);
    for (const [stepId, step] of Object.entries(flow.steps)) {
      if (step.verb === 'say' && 'text' in step) add(inlinePromptId(flow.id, stepId), step.text);
    }
  }
  return [...byId].map(([id, text]) => ({ id, text })).sort((a, b) => a.id.localeCompare(b.id));
}

/** Every prompt of every flow, as said with this configuration (for generating the WAV files). */
export function allPrompts(opts: FlowOptions = {}): { id: string; text: string }[] {
  return allPromptsOf(loadFlows(opts));
}

/** The flow with this id, or a not_found error (an unknown flow in a URL or a job). */
export function flowOf(flows: FlowCatalog, id: string): Flow {
  const flow = flows.get(id);
  if (!flow) throw new DomainError('not_found', `no IVR flow "${id}"`);
  return flow;
}
