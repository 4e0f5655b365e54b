import { describe, expect, it } from 'vitest';
import { loadFlows, type Flow, type FlowCatalog } from '../../ivr/index.ts';
import type { Line } from '../../telephony/port.ts';

/**
 * The IVR contract every voice provider passes: each flow in ivr/flows, driven as a caller would,
 * through the provider's renderer (TwiML webhooks, SIP media). A provider's test file builds a
 * driver and calls `ivrContract`; the driver's state is per call (`startCall` begins a new one).
 */
export interface IvrDriver {
  /** Places (outbound flows) or receives (the information line) a call running `flowId`, up to its first instruction. */
  startCall(flowId: string): Promise<void>;
  /** She presses these keys at the current gather. */
  press(digits: string): Promise<void>;
  /** She lets the current gather time out. */
  timeout(): Promise<void>;
  /** She hangs up. */
  hangup(): Promise<void>;
  /** Her terminal's panic arrives during the call. */
  panic(): Promise<void>;
  /** Prompt ids played to her since the call started, in order (pauses left out). */
  heard(): string[];
  /** The latest outcome the flow recorded against the call attempt, or null. */
  outcome(): Promise<string | null>;
  /** The line of the operator the call was handed to (ringing or queued), or null. */
  connectedTo(): Line | null;
  /** True once the provider ended the call (a hangup instruction) or handed it to an operator. */
  ended(): boolean;
}

const NAMES_THE_SERVICE = /atenpro|violencia|víctima|protecci[oó]n|emergencia|terminal/i;

/** Key sequences that lead from the start of `flow` to each of its gather steps (the first way found). */
export function pathsToGathers(flow: Flow): Map<string, string[]> {
  const paths = new Map<string, string[]>();
  const nextGather = (from: string): string | null => {
    let id = from;
    for (let i = 0; i < 50; i++) {
      const step = flow.steps[id]!;
      if (step.verb === 'gather') return id;
      if (step.verb === 'hangup' || step.verb === 'connect-operator') return null;
      id = step.next;
    }
    return null;
  };
  const first = nextGather(flow.start);
  const todo: [string, string[]][] = first ? [[first, []]] : [];
  while (todo.length > 0) {
    const [id, keys] = todo.shift()!;
    if (paths.has(id)) continue;
    paths.set(id, keys);
    const step = flow.steps[id]!;
    if (step.verb !== 'gather') continue;
    for (const [key, target] of Object.entries(step.branches)) {
      const g = nextGather(target);
      if (g && !paths.has(g)) todo.push([g, [...keys, key]]);
    }
  }
  return paths;
}

export function ivrContract(provider: string, driver: () => IvrDriver, flows: FlowCatalog = loadFlows()): void {
  describe(`IVR contract on ${provider}`, () => {
    describe('Información', () => {
      it('says the menu, repeats it on 2 and reaches a person on the info line with 1', async () => {
        const d = driver();
        await d.startCall('informacion');
        expect(d.heard()).toEqual(['info-bienvenida', 'info-servicio', 'info-menu']);
        await d.press('2');
        expect(d.heard().slice(3)).toEqual(['info-servicio', 'info-menu']);
        expect(d.ended()).toBe(false);
        await d.press('1');
        expect(d.heard().at(-1)).toBe('info-paso-operador');
        expect(d.connectedTo()).toBe('info');
        expect(await d.outcome()).toBeNull();
      });

      it('asks again after silence and ends politely after the retries', async () => {
        const d = driver();
        await d.startCall('informacion');
        await d.timeout();
        await d.timeout();
        expect(d.heard().slice(3)).toEqual(['info-sin-respuesta', 'info-menu', 'info-sin-respuesta', 'info-menu']);
        await d.timeout();
        expect(d.heard().at(-1)).toBe('info-despedida');
        expect(d.ended()).toBe(true);
        expect(d.connectedTo()).toBeNull();
      });

      it('says a wrong key is not an option, and a right key still works after it', async () => {
        const d = driver();
        await d.startCall('informacion');
        await d.press('5');
        expect(d.heard().slice(3)).toEqual(['info-no-valida', 'info-menu']);
        await d.press('1');
        expect(d.connectedTo()).toBe('info');
      });

      it('ends politely after too many wrong keys', async () => {
        const d = driver();
        await d.startCall('informacion');
        for (const key of ['5', '#', '0']) await d.press(key);
        expect(d.heard().filter((id) => id === 'info-no-valida')).toHaveLength(2);
        expect(d.heard().at(-1)).toBe('info-despedida');
        expect(d.ended()).toBe(true);
        expect(d.connectedTo()).toBeNull();
      });

      it('lets the caller hang up mid-flow without an operator or an outcome', async () => {
        const d = driver();
        await d.startCall('informacion');
        await d.press('2');
        await d.hangup();
        expect(d.connectedTo()).toBeNull();
        expect(await d.outcome()).toBeNull();
      });
    });

    describe('Llamada de control', () => {
      it('names nothing before she confirms, then records confirmed and asks for the test call', async () => {
        const d = driver();
        await d.startCall('control');
        expect(d.heard()).toEqual(['control-saludo']);
        await d.press('4');
        await d.timeout();
        const flow = flows.get('control')!;
        for (const id of d.heard()) expect(flow.prompts[id]).not.toMatch(NAMES_THE_SERVICE);
        expect(await d.outcome()).toBeNull();
        await d.press('1');
        expect(await d.outcome()).toBe('confirmed');
        expect(d.heard().slice(-2)).toEqual(['control-identificada', 'control-instrucciones']);
        await d.timeout();
        await d.timeout();
        expect(d.heard().at(-1)).toBe('control-despedida');
        expect(d.ended()).toBe(true);
        expect(await d.outcome()).toBe('confirmed');
      });

      it('records not_confirmed when nobody confirms: silence, or wrong keys', async () => {
        const silent = driver();
        await silent.startCall('control');
        for (let i = 0; i < 3; i++) await silent.timeout();
        expect(silent.heard()).toEqual(['control-saludo', 'control-sin-respuesta', 'control-saludo', 'control-sin-respuesta',
          'control-saludo', 'control-adios']);
        expect(silent.ended()).toBe(true);
        expect(await silent.outcome()).toBe('not_confirmed');

        const wrong = driver();
        await wrong.startCall('control');
        for (const key of ['2', '3', '4']) await wrong.press(key);
        expect(await wrong.outcome()).toBe('not_confirmed');
        expect(wrong.connectedTo()).toBeNull();
      });

      it('puts her through to an operator with 0 once confirmed', async () => {
        const d = driver();
        await d.startCall('control');
        await d.press('1');
        await d.press('0');
        expect(d.connectedTo()).toBe('general');
        expect(await d.outcome()).toBe('confirmed');
      });

      it('a hang-up before confirming is not_confirmed; after confirming it stays confirmed', async () => {
        const before = driver();
        await before.startCall('control');
        await before.hangup();
        expect(await before.outcome()).toBe('not_confirmed');

        const after = driver();
        await after.startCall('control');
        await after.press('1');
        await after.hangup();
        expect(await after.outcome()).toBe('confirmed');
        expect(after.connectedTo()).toBeNull();
      });
    });

    describe('Recordatorio', () => {
      it('reminds her once confirmed, repeats on 2 and reaches a person on 1', async () => {
        const d = driver();
        await d.startCall('recordatorio');
        expect(d.heard()).toEqual(['aviso-saludo']);
        await d.press('1');
        expect(d.heard().slice(1)).toEqual(['aviso-recordatorio', 'aviso-menu']);
        await d.press('2');
        expect(d.heard().slice(3)).toEqual(['aviso-recordatorio', 'aviso-menu']);
        await d.press('1');
        expect(d.connectedTo()).toBe('general');
        expect(await d.outcome()).toBe('confirmed');
      });
    });

    describe('every automated call stands aside for help', () => {
      for (const flow of flows.values()) {
        for (const [gather, keys] of pathsToGathers(flow)) {
          it(`${flow.id}: the emergency key at "${gather}" connects an emergency operator at once`, async () => {
            const d = driver();
            await d.startCall(flow.id);
            for (const key of keys) await d.press(key);
            expect(d.connectedTo()).toBeNull();
            const heardBefore = d.heard().length;
            await d.press(flow.emergencyKey);
            expect(d.connectedTo()).toBe('emergency');
            expect(d.heard()).toHaveLength(heardBefore); // nothing is said first
            expect(await d.outcome()).toBe('emergency');
          });
        }
        it(`${flow.id}: her terminal's panic during the flow connects an emergency operator`, async () => {
          const d = driver();
          await d.startCall(flow.id);
          await d.timeout();
          await d.panic();
          expect(d.connectedTo()).toBe('emergency');
          expect(await d.outcome()).toBe('emergency');
        });
      }
    });
  });
}
