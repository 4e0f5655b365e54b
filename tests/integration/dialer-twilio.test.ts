import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { startFakeTwilioApi, type FakeTwilioApi } from '../fixtures/fake-twilio-api.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { until } from './inbound-contract.ts';

const ACCOUNT = `AC${'0'.repeat(31)}5`;
const AUTH = 'token-del-marcador-0123456789ab';
const BASE = 'https://voz.centro.example';
let t: TestApp;
let api: FakeTwilioApi;
let coord: string;
let centreId: string;

beforeAll(async () => {
  api = await startFakeTwilioApi();
  t = await startTestApp({ publicBaseUrl: BASE, twilio: { accountSid: ACCOUNT, authToken: AUTH, apiBaseUrl: api.url },
    dialer: { ...loadConfig({}).dialer, provider: 'twilio', workers: true, callsPerSecond: 50, keepFreeOperators: 0, neutralNumber: '+34910888000' } });
  t.clock.set('2026-11-17T09:30:00Z'); // inside altaBody's Tuesday window
  coord = (await signIn(t, 'coordinator')).token;
  centreId = (await createCentre(t.pool)).id;
});
afterAll(async () => { await t.close(); await api.close(); });

const post = (path: string, params: Record<string, string>) => t.app.inject({ method: 'POST', url: path,
  payload: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH, `${BASE}${path.split('?')[0]}${path.includes('?') ? `?${path.split('?')[1]}` : ''}`, params) } });

async function placedCall() {
  const op = await signIn(t, 'operator');
  await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, `sip:${op.userId.slice(0, 6)}@10.2.0.1`]);
  await t.app.telephony.inbound.setPresence(op.userId, 'available');
  const body = altaBody(centreId);
  const u = (await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body })).json().usuariaId as string;
  const before = api.requests.length;
  await t.app.dialer.planAll();
  await until(() => api.requests.slice(before).some((r) => r.path.endsWith('/Calls.json') && r.form.get('To') === body.terminal.msisdn));
  await until(async () => (await t.pool.query(`select provider_call_id from call_attempts where usuaria_id = $1`, [u])).rows[0]?.provider_call_id?.startsWith('CA'));
  const { rows: [a] } = await t.pool.query(`select provider_call_id from call_attempts where usuaria_id = $1`, [u]);
  const create = api.requests.slice(before).find((r) => r.path.endsWith('/Calls.json'))!;
  return { usuariaId: u, sid: a.provider_call_id as string, create, operatorDevice: `sip:${op.userId.slice(0, 6)}@10.2.0.1` };
}
const itemsOf = async (u: string) => (await t.pool.query(`select attempt, status, outcome from agenda_items where usuaria_id = $1 order by created_at`, [u])).rows;

describe('outbound calls over Twilio', () => {
  it('places the call from the neutral number with machine detection, straight to the reserved operator', async () => {
    const { create, operatorDevice } = await placedCall();
    expect(create.form.get('From')).toBe('+34910888000');
    expect(create.form.get('MachineDetection')).toBe('DetectMessageEnd');
    expect(create.form.get('AsyncAmd')).toBe('true');
    expect(create.form.get('Twiml')).toContain(`>${operatorDevice}</Sip>`);
    expect(create.form.get('Twiml')).not.toMatch(/<Say|ATENPRO/i); // nothing is said before she is identified
  });

  it('records one outcome and plans one retry through duplicated and out-of-order status callbacks', async () => {
    const { usuariaId, sid } = await placedCall();
    const status = (CallStatus: string, seq: number) => post('/twilio/voice/status', { AccountSid: ACCOUNT, CallSid: sid, CallStatus,
      SequenceNumber: String(seq), Timestamp: new Date().toUTCString() });
    expect((await status('no-answer', 2)).statusCode).toBe(204);
    await status('no-answer', 2);
    await status('ringing', 1);
    await status('initiated', 0);
    expect(await itemsOf(usuariaId)).toEqual([{ attempt: 1, status: 'failed', outcome: 'no_answer' }, { attempt: 2, status: 'planned', outcome: null }]);
    const { rows } = await t.pool.query(`select outcome, answered_at from call_attempts where provider_call_id = $1`, [sid]);
    expect(rows).toEqual([{ outcome: 'no_answer', answered_at: null }]);
  });

  it('hangs up on an answering machine at once and counts it as no contact', async () => {
    const { usuariaId, sid } = await placedCall();
    await post('/twilio/voice/status', { AccountSid: ACCOUNT, CallSid: sid, CallStatus: 'in-progress', SequenceNumber: '1' });
    const amd = await post(`/twilio/voice/amd?attemptId=x`, { AccountSid: ACCOUNT, CallSid: sid, CallStatus: 'in-progress', AnsweredBy: 'machine_end_beep' });
    expect(amd.statusCode).toBe(204);
    expect(api.requests.some((r) => r.path.endsWith(`/Calls/${sid}.json`) && r.form.get('Status') === 'completed')).toBe(true);
    expect((await itemsOf(usuariaId))[0]).toEqual({ attempt: 1, status: 'failed', outcome: 'machine' });
  });
});
