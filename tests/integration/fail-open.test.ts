import { randomBytes } from 'node:crypto';
import pg from 'pg';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTwilioApi, type FakeTwilioApi } from '../fixtures/fake-twilio-api.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { withDatabase } from '../helpers/db.ts';
import { until } from './inbound-contract.ts';

const ACCOUNT = `AC${'0'.repeat(31)}3`;
const AUTH = 'token-de-caida-0123456789abcdef';
const BASE = 'https://voz.centro.example';
const EMERGENCY = '+34900100100';

let t: TestApp;
let api: FakeTwilioApi;
let msisdn: string;
let device: string;
let operatorId: string;

beforeAll(async () => {
  api = await startFakeTwilioApi();
  t = await startTestApp({ publicBaseUrl: BASE, twilio: { accountSid: ACCOUNT, authToken: AUTH, apiBaseUrl: api.url } });
  const coord = (await signIn(t, 'coordinator')).token;
  const body = altaBody((await createCentre(t.pool)).id);
  await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
  msisdn = body.terminal.msisdn;
});
afterAll(async () => { await setStore(true); await t.close(); await api.close(); });

async function newOperator() {
  const op = await signIn(t, 'operator');
  device = `sip:${randomBytes(3).toString('hex')}@10.8.0.1`;
  await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, device]);
  operatorId = op.userId;
  await t.app.telephony.inbound.setPresence(op.userId, 'available');
}

/** Stops (or restarts) the store for this app: its database refuses every connection. */
async function setStore(up: boolean) {
  const admin = new pg.Client({ connectionString: withDatabase(t.db.url, 'postgres') });
  await admin.connect();
  const name = new URL(t.db.url).pathname.slice(1);
  await admin.query(`alter database "${name}" allow_connections ${up}`);
  if (!up) await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  await admin.end();
}

function webhook(path: string, params: Record<string, string>) {
  return t.app.inject({ method: 'POST', url: path, payload: new URLSearchParams(params).toString(), headers: {
    'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH, `${BASE}${path}`, params) } });
}

describe('emergencies fail open', () => {
  it('with PostgreSQL stopped, an emergency webhook still dials an operator, and the call is recorded once the store is back', async () => {
    await newOperator();
    await setStore(false);
    const sid = `CA${randomBytes(16).toString('hex')}`;
    const res = await webhook('/twilio/voice/incoming', { AccountSid: ACCOUNT, CallSid: sid, From: msisdn, To: EMERGENCY, CallStatus: 'ringing' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`>${device}</Sip>`);
    const ended = await webhook('/twilio/voice/status', { AccountSid: ACCOUNT, CallSid: sid, CallStatus: 'completed', SequenceNumber: '4' });
    expect(ended.statusCode).toBeLessThan(300);

    await setStore(true);
    await until(async () => (await t.app.telephony.inbound.flushPending()) >= 0 &&
      (await t.pool.query('select outcome from call_attempts where provider_call_id = $1', [sid])).rows[0]?.outcome === 'completed', 10_000);
    const { rows } = await t.pool.query('select caller, line, kind from call_attempts where provider_call_id = $1', [sid]);
    expect(rows).toEqual([{ caller: msisdn, line: 'emergency', kind: 'C' }]);
  });

  it('with PostgreSQL slower than the budget, the emergency is routed at once with the number alone', async () => {
    await newOperator();
    const blocker = new pg.Client({ connectionString: t.db.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table terminals in access exclusive mode'); // identification now waits on this lock
    const sid = `CA${randomBytes(16).toString('hex')}`;
    const res = await webhook('/twilio/voice/incoming', { AccountSid: ACCOUNT, CallSid: sid, From: msisdn, To: EMERGENCY, CallStatus: 'ringing' });
    const offered = await t.app.telephony.hub.lastOf(operatorId);
    await blocker.query('rollback');
    await blocker.end();
    expect(res.body).toContain(`>${device}</Sip>`);
    expect(offered).toMatchObject({ type: 'call.offered', pop: { known: false, caller: msisdn, degraded: expect.stringContaining('no responde') } });
    await t.app.telephony.inbound.flushPending();
    await until(async () => (await t.pool.query('select 1 from call_attempts where provider_call_id = $1', [sid])).rowCount === 1);
  });
});
