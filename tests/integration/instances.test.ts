import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorTarget, VoiceProvider } from '../../telephony/port.ts';
import { altaBody, bearer, createCentre, signIn, startSiblingInstance, startTestApp, type TestApp } from '../helpers/app.ts';
import { until } from './inbound-contract.ts';

function recordingProvider(): VoiceProvider & { bridged: { id: string; target: OperatorTarget }[] } {
  const bridged: { id: string; target: OperatorTarget }[] = [];
  return { name: 'sip', bridged, async bridge(id, target) { bridged.push({ id, target }); }, async hangup() {},
    async placeCall() { return { providerCallId: 'x' }; } };
}

let a: TestApp;
let b: Awaited<ReturnType<typeof startSiblingInstance>>;
const onA = recordingProvider();
const onB = recordingProvider();

beforeAll(async () => {
  a = await startTestApp({ instanceId: 'instance-a' });
  b = await startSiblingInstance(a, 'instance-b');
  a.app.telephony.inbound.register(onA);
  b.app.telephony.inbound.register(onB);
  await b.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => { await b.close(); await a.close(); });

describe('several app instances on shared Redis and PostgreSQL', () => {
  it('pops a call taken on one instance on a console connected to the other, and the holding instance bridges it', async () => {
    const coord = (await signIn(a, 'coordinator')).token;
    const body = altaBody((await createCentre(a.pool)).id);
    const alta = await a.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
    const op = await signIn(a, 'operator');
    await a.pool.query('update users set device_uri = $2 where id = $1', [op.userId, 'sip:op@10.7.0.1']);

    const port = (b.app.server.address() as { port: number }).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/console`, { headers: bearer(op.token) });
    const seen: { type: string; pop?: { expedienteCode: string } }[] = [];
    ws.on('message', (m) => seen.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once('open', r));

    // the call arrives on A while nobody is free: A holds it
    const plan = await a.app.telephony.inbound.accept({ provider: 'sip', providerCallId: 'two-instances@test', callerRaw: body.terminal.msisdn,
      dialled: '+34900100100', receivedAt: a.clock.now() });
    expect(plan.action).toBe('wait');
    // the operator goes available through B's API
    const res = await b.app.inject({ method: 'POST', url: '/api/console/presence', headers: bearer(op.token), payload: { presence: 'available' } });
    expect(res.json().presence).toBe('busy');
    await until(() => seen.some((m) => m.type === 'call.offered'));
    expect(seen.find((m) => m.type === 'call.offered')!.pop!.expedienteCode).toBe(alta.json().expedienteCode);
    await until(() => onA.bridged.length === 1);
    expect(onA.bridged[0]).toEqual({ id: 'two-instances@test', target: { operatorId: op.userId, device: 'sip:op@10.7.0.1' } });
    expect(onB.bridged).toEqual([]);
    ws.close();
  });
});
