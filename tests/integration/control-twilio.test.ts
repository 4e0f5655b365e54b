import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { technicalRepo } from '../../store/technical.repo.ts';
import { startFakeTwilioApi, type FakeTwilioApi } from '../fixtures/fake-twilio-api.ts';
import { altaBody, bearer, createCentre, inService, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { until } from './inbound-contract.ts';

// A whole control call over Twilio, nothing called by hand: the supervisor plans it, the dialer
// places it through the real SDK, the IVR runs on Twilio's webhooks, her key settles the attempt in
// the dialer, and her terminal's test call on the self-test line closes it as a success.
const ACCOUNT = `AC${'0'.repeat(31)}7`;
const AUTH = 'token-del-control-0123456789abcd';
const BASE = 'https://voz.centro.example';
const LINES = { emergency: '+34910000011', general: '+34910000012', selftest: '+34910000013', info: '+34910000014' };
let t: TestApp;
let api: FakeTwilioApi;
let centreId: string;

beforeAll(async () => {
  api = await startFakeTwilioApi();
  t = await startTestApp({ publicBaseUrl: BASE, twilio: { accountSid: ACCOUNT, authToken: AUTH, apiBaseUrl: api.url },
    centreLines: Object.entries(LINES).map(([line, n]) => `${line}=${n}`).join(','),
    dialer: { ...loadConfig({}).dialer, provider: 'twilio', workers: true, callsPerSecond: 50, keepFreeOperators: 0, neutralNumber: '+34910888001',
      control: { testCallMinutes: 10, selftestPeriodHours: 24, controlPeriodMonths: 3, retryDays: 7 } } });
  centreId = (await createCentre(t.pool)).id;
  await technicalRepo(t.pool).upsertModel({ model: 'CTRL', selftestPeriodHours: null, controlPeriodMonths: 3 }, new Date());
});
afterAll(async () => { await t.close(); await api.close(); });

/** A webhook as Twilio sends it, signed over the public URL. */
const post = (url: string, params: Record<string, string>) => {
  const absolute = url.startsWith('http') ? url : `${BASE}${url}`;
  return t.app.inject({ method: 'POST', url: absolute.slice(BASE.length), payload: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH, absolute, params) } });
};
const gatherAction = (twiml: string) => /<Gather [^>]*action="([^"]+)"/.exec(twiml)?.[1]?.replaceAll('&amp;', '&') ?? null;
const controlOf = async (terminalId: string) => (await t.pool.query(`select status, flow_outcome from control_calls where terminal_id = $1`,
  [terminalId])).rows;

/** Her control call, placed by the dialer when due, answered and confirmed with her key 1 on Twilio's webhooks. */
async function confirmedControlCall(msisdn: string) {
  t.clock.set('2027-03-02T09:30:00Z'); // a Tuesday, 10:30 in Madrid: three months since her terminal came into service
  const body = altaBody(centreId, { terminal: { msisdn, model: 'CTRL' } });
  const alta = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer((await signIn(t, 'coordinator')).token), payload: body });
  expect(alta.statusCode).toBe(201);
  const terminalId = alta.json().terminalId as string;
  await inService(t.pool, terminalId);

  await t.app.dialer.control.supervise();
  await until(() => api.requests.some((r) => r.path.endsWith('/Calls.json') && r.form.get('To') === msisdn));
  const create = api.requests.find((r) => r.path.endsWith('/Calls.json') && r.form.get('To') === msisdn)!;
  expect(create.form.get('From')).toBe('+34910888001');
  const url = create.form.get('Url')!;
  expect(url).toContain('flow=control');
  const attemptId = new URL(url).searchParams.get('callId')!;
  await until(async () => (await t.pool.query('select provider_call_id from call_attempts where id = $1', [attemptId])).rows[0]
    ?.provider_call_id?.startsWith('CA'));
  const { rows: [attempt] } = await t.pool.query('select provider_call_id from call_attempts where id = $1', [attemptId]);
  const call = { AccountSid: ACCOUNT, CallSid: attempt.provider_call_id as string, From: '+34910888001', To: msisdn };

  // she answers: Twilio fetches the flow, which asks her to confirm without naming the service
  const start = await post(url, { ...call, CallStatus: 'in-progress', AnsweredBy: 'human' });
  expect(start.statusCode, start.body).toBe(200);
  expect(start.body).not.toMatch(/ATENPRO|violencia|víctima/i);
  const confirmed = await post(gatherAction(start.body)!, { ...call, Digits: '1' });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  await until(async () => (await controlOf(terminalId))[0]?.status === 'awaiting_test_call');
  expect(await controlOf(terminalId)).toEqual([{ status: 'awaiting_test_call', flow_outcome: 'confirmed' }]);
  return { terminalId, attemptId, usuariaId: alta.json().usuariaId as string };
}

const incoming = (from: string, to: string) => post('/twilio/voice/incoming', { AccountSid: ACCOUNT,
  CallSid: `CA${Buffer.from(`${from}${to}`).toString('hex').slice(0, 32).padEnd(32, '0')}`, From: from, To: to, CallStatus: 'ringing', Direction: 'inbound' });

describe('a control call over Twilio', () => {
  it('is placed with the control flow, confirmed with her key, and closed by her terminal\'s test call', async () => {
    const { terminalId, attemptId, usuariaId } = await confirmedControlCall('+34655123987');

    // within the minutes allowed, her terminal calls the self-test line
    t.clock.advance(3 * 60_000);
    const test = await incoming('+34655123987', LINES.selftest);
    expect(test.statusCode, test.body).toBe(200);
    await until(async () => (await controlOf(terminalId))[0]?.status === 'success');
    const { rows: [item] } = await t.pool.query('select status, outcome from agenda_items where call_attempt_id = $1', [attemptId]);
    expect(item).toEqual({ status: 'done', outcome: 'confirmed' });
    const { rows: [her] } = await t.pool.query('select last_communication_at from usuarias where id = $1', [usuariaId]);
    expect(her.last_communication_at).toBeNull(); // technical control never resets the follow-up clock

    // had she pressed 0 and spoken with an operator, the operator's disposition is a communication:
    // her clock restarts although the flow's outcome settled the attempt before
    t.clock.advance(60_000);
    await t.pool.query(`insert into domain_events (kind, usuaria_id, call_attempt_id, at) values ('communication', $1, $2, $3)`,
      [usuariaId, attemptId, t.clock.now()]);
    await t.app.dialer.consumeEvents();
    const { rows: [after] } = await t.pool.query('select last_communication_at from usuarias where id = $1', [usuariaId]);
    expect(after.last_communication_at).toEqual(t.clock.now());
  });

  it('is closed by her terminal\'s button too: a call on the emergency line, which still goes to an operator first', async () => {
    const { terminalId } = await confirmedControlCall('+34655123988');
    t.clock.advance(2 * 60_000);
    const panic = await incoming('+34655123988', LINES.emergency);
    expect(panic.statusCode, panic.body).toBe(200);
    expect(panic.body).toMatch(/<Enqueue|<Dial/); // routed as an emergency, waiting for the first free operator
    await until(async () => (await controlOf(terminalId))[0]?.status === 'success');
    const { rows: [c] } = await t.pool.query('select test_call_line from control_calls where terminal_id = $1', [terminalId]);
    expect(c.test_call_line).toBe('emergency');
  });
});
