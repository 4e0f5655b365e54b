import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersRepo } from '../../store/users.repo.ts';
import type { InboundCall, OperatorTarget, VoiceProvider } from '../../telephony/port.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
const bridged: { callId: string; target: OperatorTarget }[] = [];
const provider: VoiceProvider = {
  name: 'sip',
  async bridge(providerCallId, target) { bridged.push({ callId: providerCallId, target }); },
  async hangup() {},
  async placeCall() { return { providerCallId: 'x' }; },
};
let coord: string;
let centreId: string;

beforeAll(async () => {
  t = await startTestApp();
  t.app.telephony.inbound.register(provider);
  coord = (await signIn(t, 'coordinator')).token;
  centreId = (await createCentre(t.pool)).id;
});
afterAll(async () => { await t.close(); });

let n = 0;
const call = (callerRaw: string | null, dialled = '+34900100200'): InboundCall =>
  ({ provider: 'sip', providerCallId: `call-${++n}@test`, callerRaw, dialled, receivedAt: t.clock.now() });

async function operator(device: string) {
  const u = await signIn(t, 'operator');
  await t.pool.query('update users set device_uri = $2 where id = $1', [u.userId, device]);
  return u;
}

async function usuariaWithTerminal() {
  const body = altaBody(centreId);
  const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
  return { ...res.json(), msisdn: body.terminal.msisdn as string };
}

describe('inbound flow', () => {
  it('identifies a known terminal, offers the call to the available operator and pops her file in order', async () => {
    const op = await operator('sip:op-a@10.0.0.5');
    const u = await usuariaWithTerminal();
    const ws = new WebSocket(`ws://127.0.0.1:${(await listen()).port}/ws/console`, { headers: bearer(op.token) });
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once('open', r));
    await t.app.telephony.inbound.setPresence(op.userId, 'available');

    const plan = await t.app.telephony.inbound.accept(call(u.msisdn.replace('+34', ''), '+34900100100'));
    expect(plan).toMatchObject({ action: 'connect', line: 'emergency', operator: { operatorId: op.userId, device: 'sip:op-a@10.0.0.5' } });
    await until(() => messages.some((m) => m.type === 'call.offered'));
    const offered = messages.find((m) => m.type === 'call.offered') as { pop: Record<string, unknown> };
    expect(Object.keys(offered.pop).slice(0, 9)).toEqual(['known', 'line', 'caller', 'usuariaId', 'expedienteCode', 'name', 'risk', 'location', 'household']);
    expect(offered.pop).toMatchObject({ known: true, expedienteCode: u.expedienteCode, name: 'Lucía Prueba Sintética',
      risk: { level: 'medio' }, location: { address: 'Calle Inventada 12, 3º B', province: 'Madrid' }, health: 'Asma; inhalador' });
    ws.close();

    const { rows } = await t.pool.query(`select usuaria_id, kind, line, operator_id from call_attempts where id = $1`, [plan.callId]);
    expect(rows[0]).toEqual({ usuaria_id: u.usuariaId, kind: 'C', line: 'emergency', operator_id: op.userId });
    const audit = await t.pool.query(`select actor_id from audit_log where action = 'ficha.pop' and usuaria_id = $1`, [u.usuariaId]);
    expect(audit.rows).toEqual([{ actor_id: op.userId }]);
  });

  it('queues callers when nobody is free, emergencies first, and bridges them as operators free up', async () => {
    const general = await t.app.telephony.inbound.accept(call('+34611000001'));
    const info = await t.app.telephony.inbound.accept(call('+34611000002', '+34900100400'));
    const emergency = await t.app.telephony.inbound.accept(call(null, '+34900100100'));
    expect([general.action, info.action, emergency.action]).toEqual(['wait', 'wait', 'wait']);
    expect(await t.app.telephony.inbound.desk.waiting()).toEqual([emergency.callId, general.callId, info.callId]);

    const b = await operator('sip:op-b@10.0.0.6');
    bridged.length = 0;
    await t.app.telephony.inbound.setPresence(b.userId, 'available');
    expect(bridged).toEqual([{ callId: expect.stringMatching(/@test$/), target: { operatorId: b.userId, device: 'sip:op-b@10.0.0.6' } }]);
    expect(await t.app.telephony.inbound.desk.waiting()).toEqual([general.callId, info.callId]);
    // the wait is measured
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/atenpro_inbound_wait_seconds_count\{line="emergency"\} [1-9]/);
    expect(metrics).toMatch(/atenpro_inbound_calls_total\{line="info",degraded="no"\} 1/);

    // the caller on the information line hangs up while waiting
    const infoCall = await t.pool.query(`select provider_call_id from call_attempts where id = $1`, [info.callId]);
    await t.app.telephony.inbound.event({ provider: 'sip', providerCallId: infoCall.rows[0].provider_call_id, sequence: 1,
      state: 'canceled', at: t.clock.now() });
    expect(await t.app.telephony.inbound.desk.waiting()).toEqual([general.callId]);
    const { rows } = await t.pool.query(`select outcome from call_attempts where id = $1`, [info.callId]);
    expect(rows[0].outcome).toBe('canceled');

    const c = await operator('sip:op-d@10.0.0.8');
    await t.app.telephony.inbound.setPresence(c.userId, 'available');
    expect(await t.app.telephony.inbound.desk.waiting()).toEqual([]);
    // pressing "available" again while on the call does not free her for another one
    await t.app.telephony.inbound.setPresence(c.userId, 'available');
    expect(await t.app.telephony.inbound.desk.presence(c.userId)).toBe('busy');
  });

  it('answers the self-test line without any operator and records it against the terminal', async () => {
    const u = await usuariaWithTerminal();
    const plan = await t.app.telephony.inbound.accept(call(u.msisdn, '+34900100300'));
    expect(plan.action).toBe('answer_and_end');
    const { rows } = await t.pool.query(`select last_selftest_at from terminals where usuaria_id = $1`, [u.usuariaId]);
    expect(rows[0].last_selftest_at).not.toBeNull();
    const attempt = await t.pool.query(`select kind, operator_id from call_attempts where id = $1`, [plan.callId]);
    expect(attempt.rows[0]).toEqual({ kind: 'D', operator_id: null });
  });

  it('files an emergency disposition: incident, notice to social services within 24 h, and the dialer event', async () => {
    const op = await operator('sip:op-c@10.0.0.7');
    const u = await usuariaWithTerminal();
    await t.app.telephony.inbound.setPresence(op.userId, 'available');
    await t.app.telephony.inbound.setPresence(op.userId, 'available'); // a second click changes nothing
    const plan = await t.app.telephony.inbound.accept(call(u.msisdn, '+34900100100'));
    expect(plan.action).toBe('connect');
    const missing = await t.app.inject({ method: 'POST', url: `/api/calls/${plan.callId}/disposition`, headers: bearer(op.token),
      payload: { kind: 'C', outcome: 'atendida' } });
    expect(missing.json().fields.map((f: { field: string }) => f.field)).toEqual(['body.emergencyKind', 'body.level']);
    const res = await t.app.inject({ method: 'POST', url: `/api/calls/${plan.callId}/disposition`, headers: bearer(op.token),
      payload: { kind: 'C', emergencyKind: 'prealarma', level: 2, outcome: 'atendida', notes: 'Agresor en el portal' } });
    expect(res.statusCode).toBe(200);
    const incidentId = res.json().incidentId;
    const incident = await t.pool.query(`select kind, level, status, usuaria_id from incidents where id = $1`, [incidentId]);
    expect(incident.rows[0]).toEqual({ kind: 'prealarma', level: 2, status: 'open', usuaria_id: u.usuariaId });
    const outbox = await t.pool.query(`select kind, payload from outbox where usuaria_id = $1 and kind = 'emergency_notice'`, [u.usuariaId]);
    expect(outbox.rows[0].payload).toMatchObject({ incidentId, emergencyKind: 'prealarma', level: 2 });
    expect(JSON.stringify(outbox.rows[0].payload)).not.toContain('portal');
    const events = await t.pool.query(`select kind from domain_events where usuaria_id = $1 order by kind`, [u.usuariaId]);
    expect(events.rows.map((r) => r.kind)).toEqual(['communication', 'emergency_closed_call']);
    const again = await t.app.inject({ method: 'POST', url: `/api/calls/${plan.callId}/disposition`, headers: bearer(op.token),
      payload: { kind: 'A', outcome: 'atendida' } });
    expect(again.statusCode).toBe(409);
  });
});

let listening: { port: number } | null = null;
async function listen() {
  if (!listening) {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    listening = { port: (t.app.server.address() as { port: number }).port };
  }
  return listening;
}

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
