import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundCallRequest, VoiceProvider } from '../../telephony/port.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { until } from './inbound-contract.ts';

/** A provider that records what the dialer asks of it, answering with made-up call ids. */
function fakeProvider() {
  const placed: OutboundCallRequest[] = [];
  const hungUp: string[] = [];
  const provider: VoiceProvider = {
    name: 'sip',
    async bridge() {},
    async hangup(id) { hungUp.push(id); },
    async placeCall(req) { placed.push(req); return { providerCallId: `out-${placed.length}-${req.attemptId}` }; },
  };
  return { provider, placed, hungUp };
}

let t: TestApp;
const fake = fakeProvider();
let coord: string;
let centreId: string;
let seq = 0;

beforeAll(async () => {
  // Tuesday 17 November 2026, 10:30 in Madrid: inside the agreed window of altaBody (Tuesdays 10:00-12:00)
  t = await startTestApp({ dialer: { ...(await import('../../app/config.ts')).loadConfig({}).dialer, provider: 'sip', workers: true,
    neutralNumber: '+34910999000', callsPerSecond: 50, keepFreeOperators: 0 } });
  t.clock.set('2026-11-17T09:30:00Z');
  t.app.telephony.inbound.register(fake.provider);
  coord = (await signIn(t, 'coordinator')).token;
  centreId = (await createCentre(t.pool)).id;
});
afterAll(async () => { await t.close(); });

const tokens = new Map<string, string>();
async function operatorAvailable() {
  const op = await signIn(t, 'operator');
  tokens.set(op.userId, op.token);
  await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, `sip:${op.userId.slice(0, 8)}@10.6.0.1`]);
  await t.app.telephony.inbound.setPresence(op.userId, 'available');
  return op;
}

/** A usuaria in service since 5 November: her first follow-up falls on Tuesday 17 November. */
async function usuaria() {
  const body = altaBody(centreId);
  const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
  return { id: res.json().usuariaId as string, msisdn: body.terminal.msisdn as string };
}

const items = async (usuariaId: string) => (await t.pool.query(`select i.id, i.attempt, i.status, i.outcome, i.planned_on, i.not_before,
  i.occasion_id, o.status as occasion_status from agenda_items i join followup_occasions o on o.id = i.occasion_id
  where i.usuaria_id = $1 order by i.created_at`, [usuariaId])).rows;
const event = (providerCallId: string, state: 'no_answer' | 'busy' | 'in_progress' | 'completed', answeredBy?: 'human' | 'machine') =>
  t.app.telephony.inbound.event({ provider: 'sip', providerCallId, sequence: ++seq, state, at: t.clock.now(), answeredBy });

describe('the dialer', () => {
  it('turns a due follow-up into exactly one call, from the neutral number, with an operator reserved', async () => {
    const op = await operatorAvailable();
    const u = await usuaria();
    await t.app.dialer.planAll();
    const [first] = await items(u.id);
    expect(first).toMatchObject({ attempt: 1, planned_on: '2026-11-17' });
    await until(() => fake.placed.some((p) => p.to === u.msisdn));
    await t.app.dialer.reconcile(); // re-adding the same item never doubles it
    await new Promise((r) => setTimeout(r, 300));
    const calls = fake.placed.filter((p) => p.to === u.msisdn);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ callerId: '+34910999000', detectMachine: true, operator: { operatorId: op.userId } });
    expect((await items(u.id))[0].status).toBe('dialling');
    expect(await t.app.telephony.inbound.desk.presence(op.userId)).toBe('busy');
  });

  it('retries an unanswered follow-up 24 h later in her window, once, and then fails the occasion and plans the next', async () => {
    await operatorAvailable();
    const u = await usuaria();
    await t.app.dialer.planAll();
    await until(() => fake.placed.some((p) => p.to === u.msisdn));
    const id1 = `out-${fake.placed.findIndex((p) => p.to === u.msisdn) + 1}-${fake.placed.find((p) => p.to === u.msisdn)!.attemptId}`;
    await event(id1, 'no_answer');
    await event(id1, 'no_answer'); // a repeated provider event changes nothing
    let rows = await items(u.id);
    expect(rows.map((r) => [r.attempt, r.status, r.outcome])).toEqual([[1, 'failed', 'no_answer'], [2, 'planned', null]]);
    // Tuesdays only: the first slot at or after +24 h is the next Tuesday at 10:00 Madrid
    expect(rows[1].not_before.toISOString()).toBe('2026-11-24T09:00:00.000Z');
    expect(rows[1].occasion_id).toBe(rows[0].occasion_id);

    t.clock.set('2026-11-24T09:15:00Z');
    await operatorAvailable();
    await t.app.dialer.reconcile();
    await until(() => fake.placed.filter((p) => p.to === u.msisdn).length === 2);
    const second = fake.placed.filter((p) => p.to === u.msisdn)[1]!;
    await event(`out-${fake.placed.indexOf(second) + 1}-${second.attemptId}`, 'busy');
    rows = await items(u.id);
    expect(rows.map((r) => [r.attempt, r.status, r.occasion_status])).toEqual([[1, 'failed', 'failed'], [2, 'failed', 'failed'], [1, 'planned', 'open']]);
    // the next occasion: one period (15 days) after the failed one's date (17 Nov -> due 2 Dec) on the Tuesday before
    expect(rows[2].planned_on).toBe('2026-12-01');
    t.clock.set('2026-11-17T09:30:00Z');
  });

  it('hangs up on a machine and counts it as no contact', async () => {
    await operatorAvailable();
    const u = await usuaria();
    await t.app.dialer.planAll();
    await until(() => fake.placed.some((p) => p.to === u.msisdn));
    const req = fake.placed.find((p) => p.to === u.msisdn)!;
    const id = `out-${fake.placed.indexOf(req) + 1}-${req.attemptId}`;
    await event(id, 'in_progress', 'machine');
    expect(fake.hungUp).toContain(id);
    expect((await items(u.id))[0]).toMatchObject({ status: 'failed', outcome: 'machine' });
  });

  it('pops her file to the reserved operator when she answers, and resets her clock when the operator files contact', async () => {
    await operatorAvailable();
    const u = await usuaria();
    await t.app.dialer.planAll();
    await until(() => fake.placed.some((p) => p.to === u.msisdn));
    const req = fake.placed.find((p) => p.to === u.msisdn)!;
    const op = { userId: req.operator!.operatorId, token: tokens.get(req.operator!.operatorId)! };
    const id = `out-${fake.placed.indexOf(req) + 1}-${req.attemptId}`;
    await event(id, 'in_progress', 'human');
    expect(await t.app.telephony.hub.lastOf(op.userId)).toMatchObject({ type: 'call.offered', line: 'outbound', pop: { usuariaId: u.id } });
    await event(id, 'completed');
    expect((await items(u.id))[0].status).toBe('dialling'); // answered: only the operator knows whether it was her
    const filed = await t.app.inject({ method: 'POST', url: `/api/calls/${req.attemptId}/disposition`, headers: bearer(op.token),
      payload: { kind: 'B', outcome: 'atendida' } });
    expect(filed.statusCode).toBe(200);
    await t.app.dialer.consumeEvents();
    const rows = await items(u.id);
    expect(rows.map((r) => [r.status, r.occasion_status])).toEqual([['done', 'contact'], ['planned', 'open']]);
    const { rows: [usu] } = await t.pool.query('select last_communication_at from usuarias where id = $1', [u.id]);
    expect(usu.last_communication_at).not.toBeNull();
    // quincenal from Tuesday 17 Nov: due Wednesday 2 Dec, so Tuesday 1 Dec
    expect(rows[1].planned_on).toBe('2026-12-01');
  });

  it('places no call while no operator is free (progressive dialling)', async () => {
    const busy = await t.pool.query(`select id from users where role = 'operator'`);
    for (const r of busy.rows) await t.app.telephony.inbound.setPresence(r.id, 'away');
    const u = await usuaria();
    await t.app.dialer.planAll();
    await new Promise((r) => setTimeout(r, 800));
    expect(fake.placed.filter((p) => p.to === u.msisdn)).toHaveLength(0);
    expect((await items(u.id))[0].status).toBe('planned');
  });
});

describe('the agenda API', () => {
  it('shows her agenda, moves a call inside her window only, cancels one without counting it, and adds a reminder', async () => {
    const u = await usuaria();
    const coordToken = coord;
    t.clock.set('2026-11-16T09:30:00Z'); // Monday, so Tuesday's call waits
    await t.app.dialer.planAll();
    const list = await t.app.inject({ url: `/api/usuarias/${u.id}/agenda`, headers: bearer(coordToken) });
    expect(list.json()).toHaveLength(1);
    const item = list.json()[0];
    expect(item).toMatchObject({ kind: 'followup', kindLabel: 'Seguimiento', status: 'planned', plannedOn: '2026-11-17' });

    const outside = await t.app.inject({ method: 'POST', url: `/api/agenda/items/${item.id}/move`, headers: bearer(coordToken),
      payload: { at: '2026-11-17T15:00:00Z' } });
    expect(outside.statusCode).toBe(409);
    expect(outside.json().field).toBe('body.at');
    const moved = await t.app.inject({ method: 'POST', url: `/api/agenda/items/${item.id}/move`, headers: bearer(coordToken),
      payload: { at: '2026-11-24T10:15:00Z' } });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ notBefore: '2026-11-24T10:15:00.000Z', notAfter: '2026-11-24T11:00:00.000Z' });

    const cancelled = await t.app.inject({ method: 'POST', url: `/api/agenda/items/${moved.json().id}/cancel`, headers: bearer(coordToken),
      payload: { reason: 'La usuaria pide no ser llamada esta semana' } });
    expect(cancelled.statusCode).toBe(204);
    const { rows } = await t.pool.query(`select status from followup_occasions where usuaria_id = $1`, [u.id]);
    expect(rows.map((r) => r.status)).toEqual(['cancelled']);

    const reminder = await t.app.inject({ method: 'POST', url: `/api/usuarias/${u.id}/reminders`, headers: bearer(coordToken),
      payload: { at: '2026-12-01T09:30:00Z', note: 'Cita para cambiar el terminal' } });
    expect(reminder.statusCode).toBe(201);
    expect(reminder.json()).toMatchObject({ kind: 'reminder', notBefore: '2026-12-01T09:30:00.000Z', notAfter: '2026-12-01T11:00:00.000Z' });
    const plan = await t.app.inject({ url: '/api/agenda/plan?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z', headers: bearer(coordToken) });
    expect(plan.json().map((i: { id: string }) => i.id)).toContain(reminder.json().id);
    const callNow = await t.app.inject({ method: 'POST', url: `/api/usuarias/${u.id}/call-now`, headers: bearer(coordToken) });
    expect(callNow.statusCode).toBe(409); // Monday: outside her Tuesday window
    t.clock.set('2026-11-17T09:30:00Z');
  });
});

describe('post-emergency follow-ups', () => {
  it('are planned daily after an emergency, in her hours on any weekday, and stop when the incident is closed', async () => {
    t.clock.set('2026-11-17T09:30:00Z');
    const u = await usuaria();
    await operatorAvailable();
    await operatorAvailable(); // the dialer may take one for a call still due today
    const plan = await t.app.telephony.inbound.accept({ provider: 'sip', providerCallId: `em-${u.id}`, callerRaw: u.msisdn,
      dialled: '+34900100100', receivedAt: t.clock.now() });
    expect(plan.action).toBe('connect');
    const operatorId = plan.action === 'connect' ? plan.operator.operatorId : '';
    const filed = await t.app.inject({ method: 'POST', url: `/api/calls/${plan.callId}/disposition`, headers: bearer(tokens.get(operatorId)!),
      payload: { kind: 'C', emergencyKind: 'alarma_agresion', level: 2, outcome: 'atendida' } });
    expect(filed.statusCode).toBe(200);
    await t.app.dialer.consumeEvents();
    const { rows } = await t.pool.query(`select kind, planned_on, not_before from agenda_items where usuaria_id = $1 and kind = 'post_emergency'`, [u.id]);
    // 24 h later (Wednesday, not one of her agreed weekdays), inside her hours
    expect(rows).toEqual([{ kind: 'post_emergency', planned_on: '2026-11-18', not_before: new Date('2026-11-18T09:30:00Z') }]);
    const close = await t.app.inject({ method: 'POST', url: `/api/incidents/${filed.json().incidentId}/close`, headers: bearer(coord),
      payload: { resolution: 'Situación resuelta; la usuaria está con su hermana' } });
    expect(close.statusCode).toBe(204);
    const after = await t.pool.query(`select status from agenda_items where usuaria_id = $1 and kind = 'post_emergency'`, [u.id]);
    expect(after.rows).toEqual([{ status: 'cancelled' }]);
  });
});

describe('operators kept free for emergencies', () => {
  it('never lets the dialer take the last free operators', async () => {
    const desk = t.app.telephony.inbound.desk;
    // the calls the tests above left planned would take free operators through the dialer's own workers
    await t.pool.query(`update agenda_items set status = 'cancelled' where status = 'planned'`);
    const all = await t.pool.query(`select id from users where role = 'operator'`);
    for (const r of all.rows) await t.app.telephony.inbound.setPresence(r.id, 'away');
    const a = await operatorAvailable();
    expect(await desk.reserve('outbound-1', 1)).toBeNull(); // one free, one kept free: nobody for the dialer
    const b = await operatorAvailable();
    const taken = await desk.reserve('outbound-2', 1);
    expect([a.userId, b.userId]).toContain(taken);
    expect(await desk.reserve('outbound-3', 1)).toBeNull();
  });
});
