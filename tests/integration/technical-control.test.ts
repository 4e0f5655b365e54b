import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { timeoutJobId } from '../../dialer/control/index.ts';
import type { OutboundCallRequest, VoiceProvider } from '../../telephony/port.ts';
import { technicalRepo } from '../../store/technical.repo.ts';
import { altaBody, bearer, createCentre, inService, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { until } from './inbound-contract.ts';

/** A provider that records what the dialer asks of it, answering with made-up call ids. */
function fakeProvider() {
  const placed: OutboundCallRequest[] = [];
  const provider: VoiceProvider = {
    name: 'sip',
    async bridge() {},
    async hangup() {},
    async placeCall(req) { placed.push(req); return { providerCallId: `out-${req.attemptId}` }; },
  };
  return { provider, placed };
}

const SELFTEST_LINE = '+34900100300';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let t: TestApp;
const fake = fakeProvider();
let centreId: string;
let seq = 0;

beforeAll(async () => {
  // no operator is ever made available here: control calls must be placed without one
  t = await startTestApp({ dialer: { ...loadConfig({}).dialer, provider: 'sip', workers: true, neutralNumber: '+34910999000',
    callsPerSecond: 50, keepFreeOperators: 0, control: { testCallMinutes: 10, selftestPeriodHours: 24, controlPeriodMonths: 3, retryDays: 7 } } });
  t.app.telephony.inbound.register(fake.provider);
  centreId = (await createCentre(t.pool)).id;
  // the control-call tests use a model that makes no self-tests, so that self-test supervision stays out of them
  await technicalRepo(t.pool).upsertModel({ model: 'CTRL', selftestPeriodHours: null, controlPeriodMonths: 3 }, new Date());
});
afterAll(async () => { await t.close(); });

/** A bearer header for a new user of this role, signed in at the test clock's time (sessions expire as it moves). */
const as = async (role: 'coordinator' | 'operator') => bearer((await signIn(t, role)).token);

/** A usuaria in service with her terminal (altaBody: Tuesdays 10:00-12:00 in Madrid), in service since IN_SERVICE (helpers/app.ts). */
async function usuaria(over: Record<string, unknown> = {}) {
  const body = altaBody(centreId, over);
  const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: await as('coordinator'), payload: body });
  expect(res.statusCode).toBe(201);
  const terminalId = res.json().terminalId as string;
  await inService(t.pool, terminalId);
  return { id: res.json().usuariaId as string, terminalId, msisdn: body.terminal.msisdn as string };
}
const msisdn = (prefix: string) => `+34${prefix}${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
/** A usuaria whose terminal model makes no self-tests: only control calls concern her. */
const ctrlUsuaria = () => usuaria({ terminal: { msisdn: msisdn('65'), model: 'CTRL' } });

const control = () => t.app.dialer.control;
const one = async (sql: string, values: unknown[]) => (await t.pool.query(sql, values)).rows[0];
const all = async (sql: string, values: unknown[]) => (await t.pool.query(sql, values)).rows;
const controlsOf = (terminalId: string) => all(`select * from control_calls where terminal_id = $1 order by planned_at`, [terminalId]);
const incidentsOf = (usuariaId: string) => all(`select kind, technical_cause, call_attempt_id, status from incidents where usuaria_id = $1
  order by opened_at`, [usuariaId]);
const tasksOf = (terminalId: string) => all(`select id, kind, status from technical_tasks where terminal_id = $1 order by created_at`, [terminalId]);
const clockOf = async (usuariaId: string) => (await one('select last_communication_at from usuarias where id = $1', [usuariaId])).last_communication_at;
const event = (attemptId: string, state: 'in_progress' | 'no_answer' | 'completed') =>
  t.app.telephony.inbound.event({ provider: 'sip', providerCallId: `out-${attemptId}`, sequence: ++seq, state, at: t.clock.now(),
    answeredBy: state === 'in_progress' ? 'human' : undefined });
const testCall = (msisdn: string, dialled = SELFTEST_LINE) => t.app.telephony.inbound.accept({ provider: 'sip',
  providerCallId: `in-${++seq}-${msisdn}`, callerRaw: msisdn, dialled, receivedAt: t.clock.now() });

/** Runs the supervisor, waits for her control call to reach the provider, and answers it. */
async function answeredControlCall(u: { msisdn: string }, nth = 1): Promise<OutboundCallRequest> {
  await control().supervise();
  await until(() => fake.placed.filter((p) => p.to === u.msisdn && p.flow === 'control').length >= nth);
  const req = fake.placed.filter((p) => p.to === u.msisdn && p.flow === 'control')[nth - 1]!;
  await until(async () => (await one('select provider_call_id from call_attempts where id = $1', [req.attemptId]))?.provider_call_id === `out-${req.attemptId}`);
  await event(req.attemptId, 'in_progress');
  return req;
}

describe('control calls (§10.1 D)', () => {
  it('are placed when due, through the port with the control flow and nobody reserved, and close with her test call', async () => {
    t.clock.set('2027-03-02T09:30:00Z'); // a Tuesday, 10:30 in Madrid: her terminal came into service three months ago
    const u = await ctrlUsuaria();
    const req = await answeredControlCall(u);
    expect(req).toMatchObject({ callerId: '+34910999000', flow: 'control' });
    expect(req.operator).toBeUndefined();
    expect(await one('select kind, line, operator_id from call_attempts where id = $1', [req.attemptId]))
      .toEqual({ kind: 'D', line: 'outbound', operator_id: null });
    const [planned] = await controlsOf(u.terminalId);
    expect(planned).toMatchObject({ reason: 'periodic', status: 'planned' });

    expect(await control().onFlowOutcome(req.attemptId, 'confirmed', t.clock.now())).toBe('awaiting_test_call');
    const job = await t.app.dialer.technicalQueue.getJob(timeoutJobId(planned.id));
    expect(await job?.getState()).toBe('delayed');
    expect(await control().onFlowOutcome(req.attemptId, 'confirmed', t.clock.now())).toBe('ignored'); // a repeated report

    t.clock.advance(4 * MINUTE);
    const selftest = await testCall(u.msisdn);
    expect(selftest.action).toBe('answer_and_end');
    const [closed] = await controlsOf(u.terminalId);
    expect(closed).toMatchObject({ status: 'success', test_call_attempt_id: selftest.callId, test_call_line: 'selftest' });
    expect(await one('select last_control_at, control_owed_for from terminals where id = $1', [u.terminalId]))
      .toEqual({ last_control_at: t.clock.now(), control_owed_for: null });
    expect((await one('select disposition from call_attempts where id = $1', [req.attemptId])).disposition.control)
      .toMatchObject({ status: 'success', testCallAttemptId: selftest.callId });
    expect(await one(`select i.status, i.outcome, o.status as occasion from agenda_items i join followup_occasions o on o.id = i.occasion_id
      where i.call_attempt_id = $1`, [req.attemptId])).toEqual({ status: 'done', outcome: 'confirmed', occasion: 'contact' });
    expect(await clockOf(u.id)).toBeNull(); // a control call is not a follow-up: her clock stays where it was

    t.clock.advance(20 * MINUTE); // the deadline passes: nothing is left to time out
    await control().supervise();
    expect(await incidentsOf(u.id)).toEqual([]);
    expect(await controlsOf(u.terminalId)).toHaveLength(1); // the next one is three months away
  });

  it('close as a success when her test call comes on any line before the flow reports', async () => {
    t.clock.set('2027-03-02T09:30:00Z');
    const u = await ctrlUsuaria();
    const req = await answeredControlCall(u);
    t.clock.advance(MINUTE);
    const general = await testCall(u.msisdn, '+34900100200');
    await control().onTerminalCall({ terminalId: u.terminalId, at: t.clock.now(), line: 'general', callAttemptId: general.callId });
    expect(await control().onFlowOutcome(req.attemptId, 'confirmed', t.clock.now())).toBe('success');
    expect((await controlsOf(u.terminalId))[0]).toMatchObject({ status: 'success', test_call_attempt_id: general.callId, test_call_line: 'general' });
  });

  it('open a technical incident and an operator task when no test call comes in time', async () => {
    t.clock.set('2027-03-02T09:30:00Z');
    const u = await ctrlUsuaria();
    const req = await answeredControlCall(u);
    await control().onFlowOutcome(req.attemptId, 'confirmed', t.clock.now());
    const [awaiting] = await controlsOf(u.terminalId);
    t.clock.advance(11 * MINUTE);
    await (await t.app.dialer.technicalQueue.getJob(timeoutJobId(awaiting.id)))!.promote(); // its time has come by our clock
    await until(async () => (await incidentsOf(u.id)).length === 1);
    expect(await incidentsOf(u.id)).toEqual([{ kind: 'tecnica', technical_cause: 'control_no_test_call', call_attempt_id: req.attemptId, status: 'open' }]);
    expect((await controlsOf(u.terminalId))[0]).toMatchObject({ status: 'no_test_call' });
    const [task] = await tasksOf(u.terminalId);
    expect(task).toMatchObject({ kind: 'control_no_test_call', status: 'open' });

    await testCall(u.msisdn); // too late: it is a self-test, no longer her control's test call
    expect((await controlsOf(u.terminalId))[0].status).toBe('no_test_call');
    expect((await one('select last_control_at from terminals where id = $1', [u.terminalId])).last_control_at).toBeNull();

    const operator = await as('operator');
    const list = await t.app.inject({ url: '/api/technical/tasks', headers: operator });
    expect(list.statusCode).toBe(200);
    const expediente = await one(`select code from expedientes where usuaria_id = $1`, [u.id]);
    expect(list.json().find((x: { id: string }) => x.id === task.id)).toMatchObject({ kind: 'control_no_test_call',
      kindLabel: 'Llamada de control sin llamada de prueba del terminal', expedienteCode: expediente.code, terminalId: u.terminalId });
    expect((await t.app.inject({ method: 'POST', url: `/api/technical/tasks/${task.id}/done`, headers: operator })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'POST', url: `/api/technical/tasks/${task.id}/done`, headers: operator })).statusCode).toBe(409);
    expect(await clockOf(u.id)).toBeNull();
  });

  it('are timed out from Postgres when the timeout job was lost', async () => {
    t.clock.set('2027-03-02T09:30:00Z');
    const u = await ctrlUsuaria();
    const req = await answeredControlCall(u);
    await control().onFlowOutcome(req.attemptId, 'confirmed', t.clock.now());
    const [awaiting] = await controlsOf(u.terminalId);
    await (await t.app.dialer.technicalQueue.getJob(timeoutJobId(awaiting.id)))!.remove();
    t.clock.advance(9 * MINUTE);
    await control().supervise();
    expect((await controlsOf(u.terminalId))[0].status).toBe('awaiting_test_call');
    t.clock.advance(2 * MINUTE);
    await control().supervise();
    expect((await controlsOf(u.terminalId))[0].status).toBe('no_test_call');
    expect((await incidentsOf(u.id)).map((i) => i.technical_cause)).toEqual(['control_no_test_call']);
  });

  it('are retried in her window when she does not confirm, leave a task when every attempt failed, and come back after the wait', async () => {
    t.clock.set('2027-03-02T09:30:00Z');
    const u = await ctrlUsuaria();
    const first = await answeredControlCall(u);
    expect(await control().onFlowOutcome(first.attemptId, 'not_confirmed', t.clock.now())).toBe('retry');
    const items = () => all(`select attempt, status, outcome, not_before from agenda_items where usuaria_id = $1 and kind = 'control'
      order by created_at`, [u.id]);
    expect((await items()).map((i) => [i.attempt, i.status, i.outcome])).toEqual([[1, 'failed', 'not_confirmed'], [2, 'planned', null]]);
    expect((await items())[1].not_before.toISOString()).toBe('2027-03-09T09:00:00.000Z'); // +24 h, in her next window
    expect(await clockOf(u.id)).toBeNull();

    t.clock.set('2027-03-09T09:15:00Z');
    await t.app.dialer.reconcile();
    await until(() => fake.placed.filter((p) => p.to === u.msisdn && p.flow === 'control').length === 2);
    const second = fake.placed.filter((p) => p.to === u.msisdn && p.flow === 'control')[1]!;
    await until(async () => (await one('select provider_call_id from call_attempts where id = $1', [second.attemptId]))?.provider_call_id === `out-${second.attemptId}`);
    await event(second.attemptId, 'no_answer');
    await control().supervise();
    expect((await controlsOf(u.terminalId)).map((c) => c.status)).toEqual(['not_done']);
    expect((await tasksOf(u.terminalId)).map((k) => k.kind)).toEqual(['control_not_done']);
    expect(await incidentsOf(u.id)).toEqual([]);
    expect(await clockOf(u.id)).toBeNull();

    t.clock.set('2027-03-15T09:30:00Z'); // six days later: not yet
    await control().supervise();
    expect(await controlsOf(u.terminalId)).toHaveLength(1);
    t.clock.set('2027-03-17T09:30:00Z'); // eight days later: planned on her next Tuesday
    await control().supervise();
    const again = await controlsOf(u.terminalId);
    expect(again.map((c) => [c.reason, c.status])).toEqual([['periodic', 'not_done'], ['periodic', 'planned']]);
    expect(again[1].planned_at.toISOString()).toBe('2027-03-23T09:00:00.000Z');
  });

  it('are owed at once after a repair or a replacement', async () => {
    t.clock.set('2027-01-12T09:30:00Z'); // less than three months since delivery: no periodic call is due
    const u = await ctrlUsuaria();
    await control().supervise();
    expect(await controlsOf(u.terminalId)).toEqual([]);
    const coord = await as('coordinator');
    for (const status of ['in_repair', 'active']) {
      const res = await t.app.inject({ method: 'POST', url: `/api/terminals/${u.terminalId}/status`, headers: coord, payload: { status } });
      expect(res.statusCode).toBe(200);
    }
    await control().supervise();
    expect((await controlsOf(u.terminalId)).map((c) => [c.reason, c.status])).toEqual([['repair', 'planned']]);

    const replaced = await t.app.inject({ method: 'POST', url: `/api/terminals/${u.terminalId}/replace`, headers: coord,
      payload: { reason: 'fault', terminal: { msisdn: msisdn('67'), model: 'CTRL' } } });
    expect(replaced.statusCode).toBe(201);
    expect((await controlsOf(u.terminalId)).map((c) => c.status)).toEqual(['cancelled']); // the old terminal's call is no longer owed
    await control().supervise();
    expect((await controlsOf(replaced.json().id)).map((c) => [c.reason, c.status])).toEqual([['replacement', 'planned']]);
  });
});

describe('self-test supervision (autochequeo)', () => {
  it('raises exactly one incident per terminal per missed period, queues a control call, and never resets her clock', async () => {
    const t0 = new Date('2027-01-04T08:00:00Z'); // a Monday, before her first control call falls due
    t.clock.set(t0);
    const u = await usuaria();
    await testCall(u.msisdn);
    expect((await one('select last_selftest_at from terminals where id = $1', [u.terminalId])).last_selftest_at).toEqual(t0);
    const overdue = () => all(`select period_index from selftest_overdue where terminal_id = $1 order by raised_at, period_index`, [u.terminalId]);

    t.clock.set(new Date(t0.getTime() + 23 * HOUR));
    await control().supervise();
    expect(await incidentsOf(u.id)).toEqual([]);

    t.clock.set(new Date(t0.getTime() + 25 * HOUR));
    await Promise.all([control().supervise(), control().supervise()]); // two instances at once
    await control().supervise();
    expect(await incidentsOf(u.id)).toEqual([{ kind: 'tecnica', technical_cause: 'selftest_overdue', call_attempt_id: null, status: 'open' }]);
    expect(await overdue()).toEqual([{ period_index: 1 }]);
    expect((await tasksOf(u.terminalId)).map((k) => k.kind)).toEqual(['selftest_overdue']);
    expect((await controlsOf(u.terminalId)).map((c) => [c.reason, c.status])).toEqual([['selftest_overdue', 'planned']]);

    t.clock.set(new Date(t0.getTime() + 47 * HOUR));
    await control().supervise();
    expect(await incidentsOf(u.id)).toHaveLength(1);

    t.clock.set(new Date(t0.getTime() + 49 * HOUR));
    await control().supervise();
    await control().supervise();
    expect((await incidentsOf(u.id)).map((i) => i.technical_cause)).toEqual(['selftest_overdue', 'selftest_overdue']);
    expect(await overdue()).toEqual([{ period_index: 1 }, { period_index: 2 }]);
    expect(await controlsOf(u.terminalId)).toHaveLength(1); // one control call is enough

    // a new self-test starts the count again
    t.clock.set(new Date(t0.getTime() + 50 * HOUR));
    await testCall(u.msisdn);
    t.clock.set(new Date(t0.getTime() + 73 * HOUR));
    await control().supervise();
    expect(await incidentsOf(u.id)).toHaveLength(2);
    t.clock.set(new Date(t0.getTime() + 75 * HOUR));
    await control().supervise();
    expect(await incidentsOf(u.id)).toHaveLength(3);
    expect(await clockOf(u.id)).toBeNull(); // autochequeos never reset the follow-up clock
  });

  it('uses each terminal model’s own period, and leaves alone a model that makes no self-tests', async () => {
    t.clock.set('2027-04-05T08:00:00Z');
    const coord = await as('coordinator');
    const put = (model: string, body: object) => t.app.inject({ method: 'PUT', url: `/api/terminal-models/${model}`, headers: coord, payload: body });
    expect((await put('T-48', { selftestPeriodHours: 48, controlPeriodMonths: 6 })).statusCode).toBe(200);
    expect((await put('T-SIN', { selftestPeriodHours: 0, controlPeriodMonths: 3 })).statusCode).toBe(200);
    expect((await put('T-MAL', { selftestPeriodHours: -1, controlPeriodMonths: 3 })).statusCode).toBe(400);
    const models = await t.app.inject({ url: '/api/terminal-models', headers: coord });
    expect(models.json()).toMatchObject({ defaults: { selftestPeriodHours: 24, controlPeriodMonths: 3 },
      models: [{ model: 'CTRL', selftestPeriodHours: null }, { model: 'T-48', selftestPeriodHours: 48, controlPeriodMonths: 6 },
        { model: 'T-SIN', selftestPeriodHours: null }] });

    const t0 = new Date('2027-04-05T08:00:00Z');
    t.clock.set(t0);
    const slow = await usuaria({ terminal: { msisdn: msisdn('68'), model: 'T-48' } });
    const none = await usuaria({ terminal: { msisdn: msisdn('69'), model: 'T-SIN' } });
    await testCall(slow.msisdn);
    await testCall(none.msisdn);
    t.clock.set(new Date(t0.getTime() + 30 * HOUR));
    await control().supervise();
    expect(await incidentsOf(slow.id)).toEqual([]);
    t.clock.set(new Date(t0.getTime() + 49 * HOUR));
    await control().supervise();
    expect((await incidentsOf(slow.id)).map((i) => i.technical_cause)).toEqual(['selftest_overdue']);
    t.clock.set(new Date(t0.getTime() + 30 * 24 * HOUR));
    await control().supervise();
    expect((await incidentsOf(none.id)).filter((i) => i.technical_cause === 'selftest_overdue')).toEqual([]);
  });
});

describe('delivery tests (§10.1 D: reception and emission)', () => {
  it('keep the alta incomplete until both have succeeded, the emission one recorded from her terminal’s call', async () => {
    t.clock.set('2026-11-24T10:00:00Z');
    const u = await usuaria();
    const operator = await as('operator');
    const ficha = async () => (await t.app.inject({ url: `/api/usuarias/${u.id}`, headers: operator })).json().deliveryTests;
    expect(await ficha()).toEqual({ terminalId: u.terminalId, complete: false,
      reception: { status: 'pending', at: null, source: null }, emission: { status: 'pending', at: null, source: null } });

    const record = (payload: object) => t.app.inject({ method: 'POST', url: `/api/terminals/${u.terminalId}/delivery-tests`,
      headers: operator, payload });
    const failed = await record({ kind: 'reception', result: 'failed', at: '2026-11-24T09:50:00Z' });
    expect(failed.statusCode).toBe(201);
    expect(failed.json()).toMatchObject({ complete: false, reception: { status: 'failed' } });
    expect((await record({ kind: 'reception', result: 'ok' })).json()).toMatchObject({ complete: false,
      reception: { status: 'ok', at: '2026-11-24T10:00:00.000Z', source: 'operator' }, emission: { status: 'pending' } });
    expect((await record({ kind: 'emission', result: 'ok', at: '2026-11-24T12:00:00Z' })).statusCode).toBe(400); // in the future
    expect((await ficha()).complete).toBe(false);

    t.clock.advance(2 * MINUTE);
    await testCall(u.msisdn); // she presses the button: the terminal calls the centre
    expect(await ficha()).toMatchObject({ complete: true, emission: { status: 'ok', at: t.clock.now().toISOString(), source: 'automatic' } });
    await testCall(u.msisdn); // a later self-test records nothing more
    expect(await all(`select source from terminal_delivery_tests where terminal_id = $1 and kind = 'emission'`, [u.terminalId])).toEqual([{ source: 'automatic' }]);

    const audit = await all(`select actor_type, detail->>'kind' as kind, detail->>'result' as result from audit_log
      where usuaria_id = $1 and action = 'terminal.delivery_test' order by id`, [u.id]);
    expect(audit).toEqual([{ actor_type: 'user', kind: 'reception', result: 'failed' }, { actor_type: 'user', kind: 'reception', result: 'ok' },
      { actor_type: 'system', kind: 'emission', result: 'ok' }]);

    await t.app.inject({ method: 'POST', url: `/api/terminals/${u.terminalId}/status`, headers: await as('coordinator'), payload: { status: 'in_repair' } });
    expect((await record({ kind: 'reception', result: 'ok' })).statusCode).toBe(409);
    expect((await ficha()).complete).toBe(false); // no active terminal: nothing delivered
  });
});
