import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../app/errors.ts';
import { fixedClock } from '../../common/clock.ts';
import { createLogger } from '../../common/log.ts';
import { usersRepo } from '../../store/users.repo.ts';
import type { VoiceProvider } from '../../telephony/port.ts';
import { twilioConfigFrom, twilioVoiceRoutes } from '../../telephony/twilio/index.ts';
import { startFakeTwilioApi, type FakeTwilioApi } from '../fixtures/fake-twilio-api.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

const ACCOUNT = `AC${'0'.repeat(31)}1`;
const AUTH = 'token-de-prueba-0123456789abcdef';
const BASE = 'https://voz.centro.example';
const LINES = { emergency: '+34910000001', general: '+34910000002', selftest: '+34910000003', info: '+34910000004' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let api: FakeTwilioApi;
let t: TestApp;
let provider: VoiceProvider;
let coord: string;
let centreId: string;

beforeAll(async () => { api = await startFakeTwilioApi(); });
afterAll(async () => { await api.close(); });

beforeEach(async () => {
  api.requests.length = 0;
  api.ended.clear();
  t = await startTestApp({
    publicBaseUrl: BASE, operatorRingTimeoutS: 20, fallbackDevices: [],
    centreLines: Object.entries(LINES).map(([line, n]) => `${line}=${n}`).join(','),
    twilio: { accountSid: ACCOUNT, authToken: AUTH, apiBaseUrl: api.url, webhookFragment: 'rc=2&rt=3000' },
  });
  provider = t.app.telephony.inbound.provider('twilio')!;
  coord = (await signIn(t, 'coordinator')).token;
  centreId = (await createCentre(t.pool)).id;
});
afterEach(async () => { await t.close(); });

const inbound = () => t.app.telephony.inbound;
const newSid = () => `CA${randomBytes(16).toString('hex')}`;

/** A webhook as Twilio sends it: form body, signed with the real SDK over the public URL. */
function twilioPost(path: string, params: Record<string, string>, opts: { signUrl?: string; signature?: string | null } = {}) {
  const signature = opts.signature !== undefined ? opts.signature
    : twilio.getExpectedTwilioSignature(AUTH, opts.signUrl ?? `${BASE}${path}`, params);
  return t.app.inject({ method: 'POST', url: path, payload: new URLSearchParams(params).toString(),
    headers: { ...FORM, host: '10.0.0.20:3000', 'x-forwarded-proto': 'http', ...(signature ? { 'x-twilio-signature': signature } : {}) } });
}

const incomingParams = (sid: string, from: string, to: string) =>
  ({ AccountSid: ACCOUNT, CallSid: sid, From: from, To: to, CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' });
const incoming = (from: string, to: string = LINES.emergency, sid = newSid()) =>
  twilioPost('/twilio/voice/incoming', incomingParams(sid, from, to)).then((res) => ({ res, sid }));

function status(sid: string, callStatus: string, seq: number, at: string, extra: Record<string, string> = {}) {
  return twilioPost('/twilio/voice/status', { AccountSid: ACCOUNT, CallSid: sid, CallStatus: callStatus, SequenceNumber: String(seq),
    Timestamp: at, ...extra });
}

async function operator(device: string) {
  const user = await usersRepo(t.pool).create({ username: `op-${randomBytes(3).toString('hex')}`, displayName: 'Operadora de prueba',
    role: 'operator', passwordHash: 'no-se-usa', deviceUri: device });
  return user.id;
}

async function usuariaWithTerminal() {
  const body = altaBody(centreId);
  const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return { usuariaId: res.json().usuariaId as string, msisdn: body.terminal.msisdn as string };
}

const attempts = async () => (await t.pool.query('select count(*)::int as n from call_attempts')).rows[0].n as number;
const attemptOf = async (sid: string) =>
  (await t.pool.query('select * from call_attempts where provider = $1 and provider_call_id = $2', ['twilio', sid])).rows[0];
/** The TwiML each REST update of a live call carried, by CallSid. */
const updates = () => api.requests.filter((r) => /\/Calls\/CA[0-9a-f]{32}\.json$/.test(r.path))
  .map((r) => ({ sid: /(CA[0-9a-f]{32})\.json$/.exec(r.path)![1], twiml: r.form.get('Twiml'), status: r.form.get('Status') }));

function expectNeutralSpanish(twiml: string) {
  expect(twiml).not.toMatch(/atenpro/i);
  for (const say of twiml.match(/<Say[^>]*>/g) ?? []) expect(say).toContain('language="es-ES"');
}

describe('Twilio webhook signature', () => {
  it('accepts what Twilio signed for the public URL, whatever the Host header, with or without port and fragment', async () => {
    const path = '/twilio/voice/incoming';
    for (const signUrl of [`${BASE}${path}`, `https://voz.centro.example:443${path}`, `${BASE}${path}#rc=2&rt=3000`]) {
      const params = incomingParams(newSid(), 'anonymous', LINES.general);
      const res = await twilioPost(path, params, { signUrl });
      expect(res.statusCode, signUrl).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/xml/);
    }
    expect(await attempts()).toBe(3);
  });

  it('refuses unsigned, forged, tampered and replayed-to-another-URL requests with 403 and writes nothing', async () => {
    const path = '/twilio/voice/incoming';
    const params = incomingParams(newSid(), '+34611223344', LINES.emergency);
    const signed = twilio.getExpectedTwilioSignature(AUTH, `${BASE}${path}`, params);
    const refused = [
      await twilioPost(path, params, { signature: null }),
      await twilioPost(path, { From: 'sin CallSid' }, { signature: null }),
      await twilioPost(path, params, { signature: twilio.getExpectedTwilioSignature('otro-token', `${BASE}${path}`, params) }),
      await twilioPost(path, { ...params, From: '+34699999999' }, { signature: signed }),
      await twilioPost(path, params, { signUrl: `${BASE}/twilio/voice/status` }),
      await twilioPost(path, params, { signUrl: `http://10.0.0.20:3000${path}` }),
      await twilioPost(`${path}?x=1`, params, { signUrl: `${BASE}${path}` }),
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(await attempts()).toBe(0);
    expect(await inbound().desk.waiting()).toEqual([]);
  });

  it('checks JSON bodies through bodySHA256', async () => {
    const body = JSON.stringify({ CallSid: newSid(), CallStatus: 'ringing', SequenceNumber: '0' });
    const url = `/twilio/voice/status?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
    const signature = twilio.getExpectedTwilioSignature(AUTH, `${BASE}${url}`, {});
    const post = (payload: string) => t.app.inject({ method: 'POST', url, payload,
      headers: { 'content-type': 'application/json', 'x-twilio-signature': signature } });
    expect((await post(body)).statusCode).toBe(204);
    expect((await post(body.replace('ringing', 'completed'))).statusCode).toBe(403);
  });

  it('answers 400 to a signed request without a CallSid, and takes a malformed From as an unknown caller', async () => {
    const bad = await twilioPost('/twilio/voice/incoming', { From: '+34611223344', To: LINES.emergency });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/CallSid/);
    await inbound().setPresence(await operator('sip:op1@10.0.0.5'), 'available');
    const { res, sid } = await incoming('###', LINES.emergency);
    expect(res.body).toContain('>sip:op1@10.0.0.5</Sip>');
    expect(await attemptOf(sid)).toMatchObject({ caller: null, usuaria_id: null, line: 'emergency' });
  });
});

describe('Twilio inbound calls', () => {
  it('dials the available operator for a known terminal and records the attempt against her usuaria', async () => {
    const op = await operator('sip:op1@10.0.0.5');
    await inbound().setPresence(op, 'available');
    const u = await usuariaWithTerminal();
    const { res, sid } = await incoming(u.msisdn);
    expect(res.statusCode).toBe(200);
    const row = await attemptOf(sid);
    expect(row).toMatchObject({ usuaria_id: u.usuariaId, line: 'emergency', kind: 'C', operator_id: op, caller: u.msisdn });
    expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response>'
      + `<Dial action="${BASE}/twilio/voice/dial-result?callId=${row.id}" method="POST" timeout="20" answerOnBridge="true">`
      + `<Sip statusCallbackEvent="answered" statusCallback="${BASE}/twilio/voice/operator-answered?callId=${row.id}" statusCallbackMethod="POST">`
      + 'sip:op1@10.0.0.5</Sip></Dial></Response>');
    // the log knows the call, never the number
    expect(t.logs.join('\n')).not.toContain(u.msisdn.slice(3));
  });

  it('dials unknown and withheld callers too', async () => {
    await inbound().setPresence(await operator('client:operadora2'), 'available');
    t.clock.advance(1_000);
    await inbound().setPresence(await operator('+34600111222'), 'available');
    const unknown = await incoming('+34699000111', LINES.general);
    const withheld = await incoming('anonymous', LINES.emergency);
    expect(unknown.res.body).toContain('>operadora2</Client>');
    expect(withheld.res.body).toContain('>+34600111222</Number>');
    expect(await attemptOf(unknown.sid)).toMatchObject({ usuaria_id: null, caller: '+34699000111', line: 'general' });
    expect(await attemptOf(withheld.sid)).toMatchObject({ usuaria_id: null, caller: null, line: 'emergency' });
  });

  it('holds the call when nobody is free, then bridges it over the REST API when an operator frees up', async () => {
    const { res, sid } = await incoming('+34611000001', LINES.general);
    const { id: callId } = await attemptOf(sid);
    expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response>'
      + '<Say language="es-ES">Le atendemos enseguida. Por favor, no cuelgue.</Say>'
      + `<Enqueue waitUrl="${BASE}/twilio/voice/hold" waitUrlMethod="POST">${callId}</Enqueue></Response>`);
    const hold = await twilioPost('/twilio/voice/hold', { AccountSid: ACCOUNT, CallSid: sid, QueuePosition: '1' });
    expect(hold.body).toMatch(/<Say language="es-ES">[^<]+<\/Say><Pause length="\d+"\/>/);
    expectNeutralSpanish(res.body + hold.body);

    const op = await operator('sip:op1@10.0.0.5');
    await inbound().setPresence(op, 'available');
    expect(updates()).toEqual([{ sid, status: null, twiml: expect.stringContaining('>sip:op1@10.0.0.5</Sip>') }]);
    expect(updates()[0]!.twiml).toContain(`action="${BASE}/twilio/voice/dial-result?callId=${callId}"`);
    expect(api.requests[0]!.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Calls/${sid}.json`);
    expect(api.requests[0]!.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT}:${AUTH}`).toString('base64')}`);
    expect(await inbound().desk.waiting()).toEqual([]);
  });

  it('times the answer from the operator’s phone, not from Twilio holding the call; a caller who gives up waiting was never answered', async () => {
    // the operator's leg (child) answered, as Twilio reports it for the <Dial>'s noun
    const answered = (sid: string, child: string, at: string, callId: string) => twilioPost(`/twilio/voice/operator-answered?callId=${callId}`,
      { AccountSid: ACCOUNT, CallSid: child, ParentCallSid: sid, CallStatus: 'in-progress', Direction: 'outbound-dial', Timestamp: at });
    const held = await incoming('+34611000001', LINES.emergency);
    const gaveUp = await incoming('+34611000002', LINES.general);
    for (const { res } of [held, gaveUp]) expect(res.body).toContain('<Enqueue');
    // Twilio answers both to hold them: the answer time must not start there
    for (const { sid } of [held, gaveUp]) {
      expect((await status(sid, 'in-progress', 1, 'Tue, 10 Nov 2026 10:00:01 +0000', { Direction: 'inbound' })).statusCode).toBe(204);
      expect(await attemptOf(sid)).toMatchObject({ answered_at: null, outcome: null });
    }
    expect((await status(gaveUp.sid, 'completed', 2, 'Tue, 10 Nov 2026 10:00:40 +0000', { Direction: 'inbound' })).statusCode).toBe(204);
    expect(await attemptOf(gaveUp.sid)).toMatchObject({ answered_at: null, ended_at: new Date('2026-11-10T10:00:40Z') });

    const op = await operator('sip:op1@10.0.0.5');
    await inbound().setPresence(op, 'available');
    const { id: callId } = await attemptOf(held.sid);
    const bridge = updates().find((u) => u.sid === held.sid)!.twiml!;
    expect(bridge).toContain(`statusCallbackEvent="answered" statusCallback="${BASE}/twilio/voice/operator-answered?callId=${callId}"`);
    const child = newSid();
    // forged: refused, nothing written
    const forged = await twilioPost(`/twilio/voice/operator-answered?callId=${callId}`, { AccountSid: ACCOUNT, CallSid: child,
      ParentCallSid: held.sid, CallStatus: 'in-progress', Timestamp: 'Tue, 10 Nov 2026 10:00:20 +0000' }, { signature: 'falsa' });
    expect(forged.statusCode).toBe(403);
    expect(await attemptOf(held.sid)).toMatchObject({ answered_at: null });
    for (let i = 0; i < 2; i++) {
      expect((await answered(held.sid, child, 'Tue, 10 Nov 2026 10:00:25 +0000', callId)).statusCode).toBe(204);
    }
    expect(await attemptOf(held.sid)).toMatchObject({ answered_at: new Date('2026-11-10T10:00:25Z'), operator_id: op });
    // a later answer (a repeated or late callback) never moves it
    await answered(held.sid, newSid(), 'Tue, 10 Nov 2026 10:03:00 +0000', callId);
    expect(await attemptOf(held.sid)).toMatchObject({ answered_at: new Date('2026-11-10T10:00:25Z') });
    // a status the route does not know as an answer is taken and ignored
    expect((await twilioPost(`/twilio/voice/operator-answered?callId=${callId}`, { AccountSid: ACCOUNT, CallSid: child,
      ParentCallSid: held.sid, CallStatus: 'ringing' })).statusCode).toBe(204);
  });

  it('lets the status callback close a call whose caller hung up just as an operator freed up', async () => {
    const { sid } = await incoming('+34611000001', LINES.general);
    api.ended.add(sid);
    const op = await operator('sip:op1@10.0.0.5');
    await inbound().setPresence(op, 'available');
    expect(updates().map((u) => u.sid)).toEqual([sid]);
    await status(sid, 'completed', 1, 'Tue, 10 Nov 2026 10:00:30 +0000');
    expect(await attemptOf(sid)).toMatchObject({ outcome: 'completed', operator_id: op });
    expect(await inbound().desk.presence(op)).toBe('wrap_up');
  });

  it('bridges a waiting emergency before a general call that arrived first', async () => {
    const general = await incoming('+34611000001', LINES.general);
    t.clock.advance(5_000);
    const emergency = await incoming('+34611000002', LINES.emergency);
    expect(general.res.body + emergency.res.body).toMatch(/<Enqueue[\s\S]*<Enqueue/);

    await inbound().setPresence(await operator('sip:op1@10.0.0.5'), 'available');
    expect(updates().map((u) => u.sid)).toEqual([emergency.sid]);
    await inbound().setPresence(await operator('sip:op2@10.0.0.6'), 'available');
    expect(updates().map((u) => u.sid)).toEqual([emergency.sid, general.sid]);
  });

  it('takes a caller who hangs up while waiting out of the queue and closes her attempt', async () => {
    const a = await incoming('+34611000001', LINES.general);
    const b = await incoming('+34611000002', LINES.general);
    expect(await inbound().desk.waiting()).toHaveLength(2);
    expect((await status(a.sid, 'completed', 2, 'Tue, 10 Nov 2026 10:00:30 +0000', { CallDuration: '30' })).statusCode).toBe(204);
    expect((await status(b.sid, 'canceled', 1, 'Tue, 10 Nov 2026 10:00:31 +0000')).statusCode).toBe(204);
    expect(await inbound().desk.waiting()).toEqual([]);
    expect(await attemptOf(a.sid)).toMatchObject({ outcome: 'completed', ended_at: new Date('2026-11-10T10:00:30Z') });
    expect(await attemptOf(b.sid)).toMatchObject({ outcome: 'canceled', ended_at: new Date('2026-11-10T10:00:31Z') });
    // nobody is left to bridge: an operator freeing up later touches no call
    await inbound().setPresence(await operator('sip:op1@10.0.0.5'), 'available');
    expect(updates()).toEqual([]);
  });

  it('keeps one correct record through duplicated and out-of-order status callbacks', async () => {
    await inbound().setPresence(await operator('sip:op1@10.0.0.5'), 'available');
    const { sid } = await incoming('+34611000001');
    const sent = [
      await status(sid, 'completed', 3, 'Tue, 10 Nov 2026 10:01:00 +0000', { CallDuration: '50' }),
      await status(sid, 'ringing', 1, 'Tue, 10 Nov 2026 10:00:00 +0000'),
      await status(sid, 'in-progress', 2, 'Tue, 10 Nov 2026 10:00:10 +0000'),
      await status(sid, 'completed', 3, 'Tue, 10 Nov 2026 10:01:00 +0000', { CallDuration: '50' }),
      await status(sid, 'completed', 4, 'Tue, 10 Nov 2026 10:05:00 +0000'),
    ];
    expect(sent.map((r) => r.statusCode)).toEqual([204, 204, 204, 204, 204]);
    const row = await attemptOf(sid);
    expect(row).toMatchObject({ outcome: 'completed', answered_at: new Date('2026-11-10T10:00:10Z'), ended_at: new Date('2026-11-10T10:01:00Z') });
    const { rows } = await t.pool.query('select seq, status from call_events where call_attempt_id = $1 order by seq, status', [row.id]);
    expect(rows).toEqual([{ seq: 1, status: 'ringing' }, { seq: 2, status: 'in_progress' }, { seq: 3, status: 'completed' },
      { seq: 4, status: 'completed' }]);
  });

  it('answers the self-test line with a hangup, stamps the terminal and involves no operator', async () => {
    const op = await operator('sip:op1@10.0.0.5');
    await inbound().setPresence(op, 'available');
    const u = await usuariaWithTerminal();
    const { res, sid } = await incoming(u.msisdn, LINES.selftest);
    expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
    const { rows } = await t.pool.query('select last_selftest_at from terminals where msisdn = $1', [u.msisdn]);
    expect(rows[0].last_selftest_at).toEqual(t.clock.now());
    expect(await attemptOf(sid)).toMatchObject({ line: 'selftest', kind: 'D', usuaria_id: u.usuariaId, operator_id: null });
    expect(await inbound().desk.presence(op)).toBe('available');
  });

  it('sets away an operator whose phone did not answer and offers the call to the next one', async () => {
    const first = await operator('sip:op1@10.0.0.5');
    await inbound().setPresence(first, 'available');
    t.clock.advance(1_000);
    const second = await operator('sip:op2@10.0.0.6');
    await inbound().setPresence(second, 'available');
    const { res, sid } = await incoming('+34611000001');
    expect(res.body).toContain('>sip:op1@10.0.0.5</Sip>');
    const { id: callId } = await attemptOf(sid);

    const missed = await twilioPost(`/twilio/voice/dial-result?callId=${callId}`,
      { AccountSid: ACCOUNT, CallSid: sid, DialCallStatus: 'no-answer', DialCallSid: newSid() });
    expect(missed.body).toContain(`<Enqueue waitUrl="${BASE}/twilio/voice/hold" waitUrlMethod="POST">${callId}</Enqueue>`);
    expectNeutralSpanish(missed.body);
    expect(await inbound().desk.presence(first)).toBe('away');
    expect(updates()).toEqual([{ sid, status: null, twiml: expect.stringContaining('>sip:op2@10.0.0.6</Sip>') }]);
    expect(await attemptOf(sid)).toMatchObject({ operator_id: second });

    const done = await twilioPost(`/twilio/voice/dial-result?callId=${callId}`,
      { AccountSid: ACCOUNT, CallSid: sid, DialCallStatus: 'completed', DialCallDuration: '95' });
    expect(done.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
  });
});

describe('Twilio REST client', () => {
  it('places an outbound call with status callbacks and async machine detection', async () => {
    const { providerCallId } = await provider.placeCall({ to: '+34611223344', callerId: '+34910000002', attemptId: 'a1',
      ringTimeoutS: 30, detectMachine: true });
    expect(providerCallId).toMatch(/^CA[0-9a-f]{32}$/);
    const [req] = api.requests;
    expect(req!.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Calls.json`);
    const f = req!.form;
    expect({ to: f.get('To'), from: f.get('From'), url: f.get('Url'), timeout: f.get('Timeout'), cb: f.get('StatusCallback'),
      md: f.get('MachineDetection'), amd: f.get('AsyncAmd'), amdCb: f.get('AsyncAmdStatusCallback') }).toEqual({
      to: '+34611223344', from: '+34910000002', url: `${BASE}/twilio/voice/outbound?attemptId=a1`, timeout: '30',
      cb: `${BASE}/twilio/voice/status`, md: 'DetectMessageEnd', amd: 'true', amdCb: `${BASE}/twilio/voice/amd?attemptId=a1` });
    expect(f.getAll('StatusCallbackEvent')).toEqual(['initiated', 'ringing', 'answered', 'completed']);
  });

  it('hangs up a live call, and takes a call already over as hung up', async () => {
    const live = newSid();
    const over = newSid();
    api.ended.add(over);
    await provider.hangup(live);
    await provider.hangup(over);
    expect(updates()).toEqual([{ sid: live, status: 'completed', twiml: null }, { sid: over, status: 'completed', twiml: null }]);
  });
});

describe('Twilio webhooks when our own code fails', () => {
  async function brokenApp(fallbackDevices: string[]) {
    const logs: string[] = [];
    const sink = new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } });
    const app = Fastify({ loggerInstance: createLogger('info', sink) as FastifyBaseLogger });
    installErrorHandler(app);
    const broken = async () => { throw new Error('store and queue unreachable'); };
    await app.register(twilioVoiceRoutes, { inbound: { accept: broken, event: broken, operatorMissed: broken }, clock: fixedClock(new Date()),
      config: { accountSid: ACCOUNT, authToken: AUTH, publicBaseUrl: BASE, ringTimeoutS: 20, fallbackDevices } });
    const post = (path: string, params: Record<string, string>) => app.inject({ method: 'POST', url: path,
      payload: new URLSearchParams(params).toString(),
      headers: { ...FORM, 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH, `${BASE}${path}`, params) } });
    return { app, logs, post };
  }

  it('still rings the fallback devices, or holds the caller, and logs no number', async () => {
    const sid = newSid();
    const withDevices = await brokenApp(['sip:guardia@10.0.0.99']);
    const res = await withDevices.post('/twilio/voice/incoming', incomingParams(sid, '+34611223344', LINES.emergency));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`<Dial action="${BASE}/twilio/voice/dial-result" method="POST" timeout="20" answerOnBridge="true">`
      + `<Sip statusCallbackEvent="answered" statusCallback="${BASE}/twilio/voice/operator-answered" statusCallbackMethod="POST">`
      + 'sip:guardia@10.0.0.99</Sip></Dial>');
    expect(withDevices.logs.join('\n')).toContain('twilio webhook failed');
    expect(withDevices.logs.join('\n')).not.toContain('611223344');

    // the fallback operator did not answer either: the caller is held, not dropped
    const missed = await withDevices.post('/twilio/voice/dial-result', { AccountSid: ACCOUNT, CallSid: sid, DialCallStatus: 'no-answer' });
    expect(missed.body).toContain(`<Enqueue waitUrl="${BASE}/twilio/voice/hold" waitUrlMethod="POST">${sid}</Enqueue>`);
    await withDevices.app.close();

    const bare = await brokenApp([]);
    const held = await bare.post('/twilio/voice/incoming', incomingParams(sid, '+34611223344', LINES.emergency));
    expect(held.body).toMatch(new RegExp(`<Say language="es-ES">[^<]+</Say><Enqueue [^>]+>${sid}</Enqueue>`));
    await bare.app.close();
  });
});
