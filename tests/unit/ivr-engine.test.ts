import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advance, allPrompts, loadFlows, start, validateFlow, type Flow, type Input, type Instruction, type Session }
  from '../../ivr/index.ts';
import { sessionTokens } from '../../ivr/session-token.ts';

const NOW = new Date('2026-11-10T10:00:00Z');
const flows = loadFlows();
const flow = (id: string) => flows.get(id)!;
const ids = (ins: Instruction | null) => (ins?.prompts ?? []).flatMap((p) => ('id' in p ? [p.id] : []));

/** Runs inputs from the start; returns every turn's instruction and the final session. */
function run(f: Flow, inputs: Input[]) {
  let { session, instruction, outcomes } = start(f, 'c0ffee00-0000-4000-8000-000000000001', NOW);
  const turns = [{ instruction, outcomes }];
  for (const input of inputs) {
    const r = advance(f, session, input, NOW);
    session = r.session;
    instruction = r.instruction;
    turns.push({ instruction: r.instruction, outcomes: r.outcomes });
  }
  return { session, turns, last: turns.at(-1)! };
}
const digits = (d: string): Input => ({ type: 'digits', digits: d });
const timeout: Input = { type: 'timeout' };

describe('flows as data', () => {
  it('loads every flow, with Spanish prompts under stable, unique, file-safe ids', () => {
    expect([...flows.keys()]).toEqual(['informacion', 'control', 'recordatorio']);
    const prompts = allPrompts();
    expect(new Set(prompts.map((p) => p.id)).size).toBe(prompts.length);
    for (const p of prompts) {
      expect(p.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(p.text).not.toMatch(/\{tecla\}/);
    }
    expect(prompts.find((p) => p.id === 'info-menu')!.text).toContain('pulse 9');
  });

  it('speaks the configured emergency key, and refuses a key a menu already uses', () => {
    const star = loadFlows({ emergencyKey: '*' });
    expect(star.get('control')!.emergencyKey).toBe('*');
    expect(star.get('control')!.prompts['control-instrucciones']).toContain('pulse asterisco');
    expect(run(star.get('control')!, [digits('*')]).last.instruction).toEqual({ do: 'connect', prompts: [], line: 'emergency' });
    expect(() => loadFlows({ emergencyKey: '1' })).toThrow(/emergency key in branch "1"/);
  });

  const base = () => JSON.parse(JSON.stringify(flow('informacion'))) as { steps: Record<string, unknown> };
  it.each([
    ['an unknown verb', (f: ReturnType<typeof base>) => { f.steps.colgar = { verb: 'transfer' }; }, /not valid/],
    ['a step going nowhere', (f: ReturnType<typeof base>) => { f.steps.operador = { verb: 'say', prompt: 'info-paso-operador', next: 'nada' }; },
      /missing step "nada"/],
    ['a missing prompt', (f: ReturnType<typeof base>) => { f.steps.operador = { verb: 'say', prompt: 'no-existe', next: 'conectar' }; },
      /missing prompt "no-existe"/],
    ['an unreachable step', (f: ReturnType<typeof base>) => { f.steps.suelto = { verb: 'hangup' }; }, /"suelto" is unreachable/],
    ['a loop that never waits', (f: ReturnType<typeof base>) => { f.steps.despedida = { verb: 'say', prompt: 'info-despedida', next: 'bucle' };
      f.steps.bucle = { verb: 'pause', seconds: 1, next: 'despedida' }; }, /never waits at a gather/],
    ['a branch longer than the digits asked', (f: ReturnType<typeof base>) => {
      (f.steps.menu as { branches: Record<string, string> }).branches['12'] = 'operador'; }, /longer than numDigits/],
  ])('refuses a flow with %s', (_what, spoil, message) => {
    const f = base();
    spoil(f);
    expect(() => validateFlow(f)).toThrow(message);
  });
});

describe('engine', () => {
  it('folds say, pause and set-outcome into the next instruction', () => {
    const f = validateFlow({ id: 'prueba', name: 'Prueba', start: 'a', emergencyKey: '9', prompts: { hola: 'Hola.' },
      steps: { a: { verb: 'say', prompt: 'hola', next: 'b' }, b: { verb: 'pause', seconds: 2, next: 'c' },
        c: { verb: 'set-outcome', outcome: 'saludada', next: 'd' }, d: { verb: 'say', text: 'Adiós.', next: 'e' }, e: { verb: 'hangup' } } });
    const r = start(f, 's1', NOW);
    expect(r.instruction).toEqual({ do: 'hangup', prompts: [{ id: 'hola', text: 'Hola.' }, { pauseS: 2 }, { id: 'prueba-d', text: 'Adiós.' }] });
    expect(r.outcomes).toEqual(['saludada']);
    expect(r.session).toMatchObject({ outcome: 'saludada', ended: true, startedAt: NOW.toISOString() });
    expect(advance(f, r.session, digits('1'), NOW)).toEqual({ session: r.session, instruction: null, outcomes: [] });
  });

  it('runs the information menu: repeat, operator, retries and polite ends', () => {
    const info = flow('informacion');
    const first = run(info, []).last.instruction!;
    expect(first).toMatchObject({ do: 'gather', numDigits: 1, timeoutS: 6, finishOnKey: null });
    expect(ids(first)).toEqual(['info-bienvenida', 'info-servicio', 'info-menu']);
    expect(ids(run(info, [digits('2')]).last.instruction)).toEqual(['info-servicio', 'info-menu']);
    expect(run(info, [digits('1')]).last.instruction).toMatchObject({ do: 'connect', line: 'info' });
    const wrong = run(info, [digits('7'), timeout, digits('8')]);
    expect(wrong.turns.map((x) => ids(x.instruction)[0])).toEqual(['info-bienvenida', 'info-no-valida', 'info-sin-respuesta', 'info-despedida']);
    expect(wrong.last.instruction!.do).toBe('hangup');
    // a right answer resets the retries of the next gather
    expect(run(info, [digits('7'), digits('7'), digits('2'), digits('7'), digits('7'), digits('1')]).last.instruction!.do).toBe('connect');
  });

  it('control call: confirmed, not confirmed, and the hang-up outcome', () => {
    const c = flow('control');
    expect(run(c, [digits('1')]).last.outcomes).toEqual(['confirmed']);
    expect(run(c, [timeout, timeout, timeout]).last).toMatchObject({ outcomes: ['not_confirmed'] });
    expect(run(c, [{ type: 'hangup' }]).last).toEqual({ instruction: null, outcomes: ['not_confirmed'] });
    expect(run(c, [digits('1'), { type: 'hangup' }]).last).toEqual({ instruction: null, outcomes: [] });
    expect(run(flow('informacion'), [{ type: 'hangup' }]).last).toEqual({ instruction: null, outcomes: [] });
  });

  it('never mutates the session it is given, and a JSON round trip changes nothing', () => {
    const c = flow('control');
    const s0 = start(c, 's2', NOW).session;
    const frozen = JSON.stringify(s0);
    const a = advance(c, s0, digits('1'), NOW);
    expect(JSON.stringify(s0)).toBe(frozen);
    expect(advance(c, JSON.parse(frozen) as Session, digits('1'), NOW)).toEqual(a);
  });

  it('refuses a session of another flow', () => {
    const s = start(flow('control'), 's3', NOW).session;
    expect(() => advance(flow('informacion'), s, digits('1'), NOW)).toThrow(/belongs to flow "control"/);
  });

  const input = fc.oneof(
    fc.constantFrom<Input>({ type: 'timeout' }, { type: 'hangup' }, { type: 'panic' }),
    fc.stringMatching(/^[0-9*#]{0,3}$/).map((d): Input => ({ type: 'digits', digits: d })),
  );

  it('whatever she does, the emergency key or a panic on a live session connects an emergency operator at once', () => {
    fc.assert(fc.property(fc.constantFrom(...flows.keys()), fc.array(input, { maxLength: 12 }), (id, inputs) => {
      const f = flow(id);
      let { session } = start(f, 's4', NOW);
      for (const i of inputs) {
        const r = advance(f, session, i, NOW);
        const emergency = i.type === 'panic' || (i.type === 'digits' && i.digits.includes('9'));
        if (!session.ended && emergency) {
          expect(r.instruction).toEqual({ do: 'connect', prompts: [], line: 'emergency' });
          expect(r.outcomes).toEqual(['emergency']);
        }
        if (session.ended) expect(r.instruction).toBeNull();
        if (r.instruction?.do === 'connect' || r.instruction?.do === 'hangup' || i.type === 'hangup') expect(r.session.ended).toBe(true);
        if (r.instruction?.do === 'gather') expect(r.instruction.prompts.length).toBeGreaterThan(0);
        session = JSON.parse(JSON.stringify(r.session)) as Session;
      }
    }), { numRuns: 300 });
  });
});

describe('session references', () => {
  const tokens = sessionTokens('una-clave-de-prueba-larga', 3600);
  const ref = { sessionId: 'c0ffee00-0000-4000-8000-000000000009', turn: 3 };

  it('verifies its own, until it expires', () => {
    const s = tokens.sign(ref, NOW);
    expect(tokens.verify(s, NOW)).toEqual(ref);
    expect(tokens.verify(s, new Date(NOW.getTime() + 3599_000))).toEqual(ref);
    expect(tokens.verify(s, new Date(NOW.getTime() + 3600_000))).toBeNull();
  });

  it('refuses anything altered, or signed with another secret', () => {
    const s = tokens.sign(ref, NOW);
    const [id, turn, exp, mac] = s.split('.') as [string, string, string, string];
    for (const bad of [`${id}.4.${exp}.${mac}`, `${id}.${turn}.${Number(exp) + 1}.${mac}`, `${id.replace('9', '8')}.${turn}.${exp}.${mac}`,
      `${id}.${turn}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, `${s}x`, '']) {
      expect(tokens.verify(bad, NOW)).toBeNull();
    }
    expect(sessionTokens('otra-clave-de-prueba-larga', 3600).verify(s, NOW)).toBeNull();
  });
});
