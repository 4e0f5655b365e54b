import { randomBytes, randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadFlows } from '../../ivr/index.ts';
import { callsRepo } from '../../store/calls.repo.ts';
import { ivrRepo } from '../../store/ivr.repo.ts';
import { usersRepo } from '../../store/users.repo.ts';
import { callStateStore } from '../../telephony/call-state.ts';
import { WAIT_MESSAGE } from '../../telephony/index.ts';
import type { Line } from '../../telephony/port.ts';
import { renderInstruction } from '../../telephony/twilio/ivr-twiml.ts';
import { twilioUrls } from '../../telephony/twilio/urls.ts';
import { startFakeTwilioApi, type FakeTwilioApi } from '../fixtures/fake-twilio-api.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ivrContract, type IvrDriver } from './ivr-contract.ts';

const ACCOUNT = `AC${'0'.repeat(31)}1`;
const AUTH = 'token-de-prueba-0123456789abcdef';
const BASE = 'https://voz.centro.example';
const LINES = { emergency: '+34910000001', general: '+34910000002', selftest: '+34910000003', info: '+34910000004' };
const NEUTRAL = '+34910000099';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const flows = loadFlows();
const xml = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '' });

let api: FakeTwilioApi;
let t: TestApp;

beforeAll(async () => {
  api = await startFakeTwilioApi();
  t = await startTestApp({
    publicBaseUrl: BASE, operatorRingTimeoutS: 20, fallbackDevices: [],
    centreLines: Object.entries(LINES).map(([line, n]) => `${line}=${n}`).join(','),
    twilio: { accountSid: ACCOUNT, authToken: AUTH, apiBaseUrl: api.url },
  });
});
afterAll(async () => {
  await t.close();
  await api.close();
});

const newSid = () => `CA${randomBytes(16).toString('hex')}`;
const newNumber = () => `+3466${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

/** A webhook as Twilio sends it: form body, signed with the real SDK over the public URL. */
function twilioPost(url: string, params: Record<string, string>, signature?: string | null) {
  const absolute = url.startsWith('http') ? url : `${BASE}${url}`;
  const sig = signature !== undefined ? signature : twilio.getExpectedTwilioSignature(AUTH, absolute, params);
  return t.app.inject({ method: 'POST', url: absolute.slice(BASE.length), payload: new URLSearchParams(params).toString(),
    headers: { ...FORM, ...(sig ? { 'x-twilio-signature': sig } : {}) } });
}

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };
const tag = (n: Node) => Object.keys(n).find((k) => k !== ':@')!;
const children = (n: Node) => n[tag(n)] as Node[];
const textOf = (n: Node) => String((children(n)[0] as { '#text'?: unknown } | undefined)?.['#text'] ?? '');

/** A caller on a Twilio call: follows the TwiML our app answers as Twilio would, and remembers what was said. */
class TwilioCaller implements IvrDriver {
  sid = '';
  callId = '';
  flowId = '';
  from = '';
  to = '';
  said: string[] = [];
  action: string | null = null;
  over = false;
  line: Line | null = null;
  last = '';
  seq = 0;

  params(extra: Record<string, string> = {}) {
    return { AccountSid: ACCOUNT, CallSid: this.sid, From: this.from, To: this.to, ...extra };
  }

  async startCall(flowId: string): Promise<void> {
    Object.assign(this, { sid: newSid(), flowId, said: [], action: null, over: false, line: null, seq: 0 });
    if (flowId === 'informacion') {
      Object.assign(this, { from: newNumber(), to: LINES.info });
      const res = await twilioPost('/twilio/voice/incoming', this.params({ CallStatus: 'ringing', Direction: 'inbound' }));
      expect(res.statusCode, res.body).toBe(200);
      const redirect = (xml.parse(res.body)[1].Response as Node[]).find((n) => tag(n) === 'Redirect')!;
      const url = textOf(redirect);
      this.callId = new URL(url).searchParams.get('callId')!;
      return this.fetch(url);
    }
    // an outbound call placed through the real REST client: Twilio fetches the URL it was given when she answers
    Object.assign(this, { from: NEUTRAL, to: newNumber(), callId: randomUUID() });
    const provider = t.app.telephony.inbound.provider('twilio')!;
    const placed = await provider.placeCall({ to: this.to, callerId: NEUTRAL, attemptId: this.callId, ringTimeoutS: 30,
      detectMachine: false, flow: flowId });
    this.sid = placed.providerCallId;
    await callsRepo(t.pool).insert({ id: this.callId, direction: 'outbound', line: 'outbound', kind: 'D', provider: 'twilio',
      providerCallId: this.sid, caller: this.to, usuariaId: null, terminalId: null, startedAt: t.clock.now() });
    const create = api.requests.filter((r) => r.path.endsWith('/Calls.json')).at(-1)!;
    expect(create.form.get('Twiml')).toBeNull();
    return this.fetch(create.form.get('Url')!);
  }

  async fetch(url: string, extra: Record<string, string> = {}): Promise<void> {
    const res = await twilioPost(url, this.params(extra));
    expect(res.statusCode, res.body).toBe(200);
    this.last = res.body;
    await this.follow(xml.parse(res.body)[1].Response as Node[]);
  }

  async follow(verbs: Node[]): Promise<void> {
    this.action = null;
    for (const v of verbs) {
      const name = tag(v);
      if (name === 'Say') this.heardText(textOf(v));
      else if (name === 'Play') this.said.push(decodeURIComponent(textOf(v).split('/').at(-1)!.replace(/\.wav$/, '')));
      else if (name === 'Gather') {
        for (const inner of children(v)) if (tag(inner) === 'Say') this.heardText(textOf(inner));
        this.action = v[':@']!.action!;
        return; // Twilio waits here for her keys
      } else if (name === 'Hangup') {
        this.over = true;
        return;
      } else if (name === 'Dial' || name === 'Enqueue') {
        const live = await callStateStore(t.redis, t.config.redisPrefix, t.cipher).get(this.liveCallId());
        this.line = (live?.line as Line) ?? null;
        this.over = true;
        return;
      } else if (name === 'Redirect') {
        return this.fetch(textOf(v));
      }
    }
  }

  liveCallId(): string {
    return this.callId;
  }

  heardText(text: string) {
    if (text === WAIT_MESSAGE) return; // the queue's own message, not the flow's
    const prompts = Object.entries(flows.get(this.flowId)!.prompts).filter(([, p]) => p === text);
    expect(prompts, `unknown or ambiguous prompt text: ${text}`).toHaveLength(1);
    this.said.push(prompts[0]![0]);
  }

  async press(digits: string) {
    expect(this.action, 'no gather is waiting for keys').not.toBeNull();
    await this.fetch(this.action!, { Digits: digits });
  }

  async timeout() {
    expect(this.action, 'no gather is waiting').not.toBeNull();
    await this.fetch(this.action!);
  }

  async hangup() {
    const res = await twilioPost('/twilio/voice/status', this.params({ CallStatus: 'completed', SequenceNumber: String(++this.seq + 10),
      Timestamp: t.clock.now().toUTCString() }));
    expect(res.statusCode, res.body).toBe(204);
    this.over = true;
  }

  async panic() {
    expect(this.action).not.toBeNull();
    await this.fetch(this.action!.replace('/twilio/ivr/input?', '/twilio/ivr/panic?'));
  }

  heard() { return [...this.said]; }
  outcome() { return ivrRepo(t.pool).latest(this.callId); }
  connectedTo() { return this.line; }
  ended() { return this.over; }
}

ivrContract('Twilio', () => new TwilioCaller(), flows);

describe('Twilio IVR webhooks', () => {
  let caller: TwilioCaller;
  beforeEach(async () => {
    caller = new TwilioCaller();
    // no call left waiting by an earlier test
    for (const id of await t.app.telephony.inbound.desk.waiting()) await t.app.telephony.inbound.desk.leave(id);
  });

  const sessionOf = (action: string) => new URL(action).searchParams.get('s')!;
  const withSession = (action: string, s: string) => { const u = new URL(action); u.searchParams.set('s', s); return u.toString(); };

  it('refuses a forged, altered, foreign or expired session with 403 and changes nothing', async () => {
    await caller.startCall('control');
    const action = caller.action!;
    const s = sessionOf(action);
    const [id, turn, exp, mac] = s.split('.');
    const other = new TwilioCaller();
    await other.startCall('control');
    const forged = [
      `${id}.${turn}.${exp}.${'A'.repeat(43)}`,                  // a MAC we did not make
      `${id}.${Number(turn) + 1}.${exp}.${mac}`,                 // another turn
      `${id}.${turn}.${Number(exp) + 3600}.${mac}`,              // a later expiry
      `${randomUUID()}.${turn}.${exp}.${mac}`,                   // another session
      'not-a-session',
    ];
    for (const f of forged) {
      const res = await twilioPost(withSession(action, f), caller.params({ Digits: '1' }));
      expect(res.statusCode, f).toBe(403);
    }
    // her own, valid reference used on another call
    const foreign = await twilioPost(action, other.params({ Digits: '1' }));
    expect(foreign.statusCode).toBe(403);
    // a webhook not signed by Twilio
    expect((await twilioPost(action, caller.params({ Digits: '1' }), 'bm90LWEtc2lnbmF0dXJl')).statusCode).toBe(403);
    expect((await twilioPost(action, caller.params({ Digits: '1' }), null)).statusCode).toBe(403);
    expect(await caller.outcome()).toBeNull();
    expect(await other.outcome()).toBeNull();
    // the real one still works, once
    await caller.press('1');
    expect(await caller.outcome()).toBe('confirmed');

    // two hours later the reference has expired
    const late = new TwilioCaller();
    await late.startCall('informacion');
    t.clock.advance(2 * 3600 * 1000 + 1000);
    try {
      expect((await twilioPost(late.action!, late.params({ Digits: '1' }))).statusCode).toBe(403);
    } finally {
      t.clock.advance(-(2 * 3600 * 1000 + 1000));
    }
  });

  it('counts an information-line call answered when its flow starts, as on SIP, and not again when Twilio reports it', async () => {
    await caller.startCall('informacion');
    const answeredAt = t.clock.now();
    const row = async () => (await t.pool.query('select answered_at from call_attempts where id = $1', [caller.callId])).rows[0];
    expect(await row()).toEqual({ answered_at: answeredAt });
    t.clock.advance(5_000);
    const status = await twilioPost('/twilio/voice/status', caller.params({ CallStatus: 'in-progress', SequenceNumber: '1', Direction: 'inbound',
      Timestamp: t.clock.now().toUTCString() }));
    expect(status.statusCode).toBe(204);
    expect(await row()).toEqual({ answered_at: answeredAt });
  });

  it('answers a repeated webhook with the same TwiML and advances the session once', async () => {
    await caller.startCall('control');
    const action = caller.action!;
    const first = await twilioPost(action, caller.params({ Digits: '1' }));
    const again = await twilioPost(action, caller.params({ Digits: '1' }));
    expect(again.body).toBe(first.body);
    const outcomes = await ivrRepo(t.pool).ofAttempt(caller.callId);
    expect(outcomes.map((o) => o.outcome)).toEqual(['confirmed']);
    // a repeated start finds the running session too
    const start = api.requests.filter((r) => r.path.endsWith('/Calls.json')).at(-1)!.form.get('Url')!;
    const restarted = await twilioPost(start, caller.params());
    expect(restarted.body).toMatch(/control|Gather/);
    expect(restarted.body).toContain(new URL(action).searchParams.get('s')!);
  });

  it('places an IVR call with the flow\'s start URL and the neutral number, never the operator bridge', async () => {
    await caller.startCall('recordatorio');
    const create = api.requests.filter((r) => r.path.endsWith('/Calls.json')).at(-1)!;
    expect(create.form.get('From')).toBe(NEUTRAL);
    expect(create.form.get('Url')).toBe(`${BASE}/twilio/ivr/start?flow=recordatorio&callId=${caller.callId}&direction=outbound`);
    expect(caller.last).toContain('<Say language="es-ES">');
    expect(caller.last).toMatch(/<Gather input="dtmf" numDigits="1" timeout="8" finishOnKey="" actionOnEmptyResult="true" action="https:\/\/voz\.centro\.example\/twilio\/ivr\/input\?s=[^"]+" method="POST">/);
  });

  it('puts the emergency key ahead of every waiting call: the next free operator gets it first', async () => {
    const waiting = new TwilioCaller();
    await waiting.startCall('informacion');
    await waiting.press('1');
    expect(waiting.connectedTo()).toBe('info');
    await caller.startCall('informacion');
    await caller.press('9');
    expect(caller.connectedTo()).toBe('emergency');
    expect(await t.app.telephony.inbound.desk.waiting()).toEqual([caller.callId, waiting.callId]);
    const live = await callStateStore(t.redis, t.config.redisPrefix, t.cipher).get(caller.callId);
    expect(live).toMatchObject({ line: 'emergency', priority: 0, providerCallId: caller.sid });
    const op = await usersRepo(t.pool).create({ username: `op-${randomBytes(3).toString('hex')}`, displayName: 'Operadora de prueba',
      role: 'operator', passwordHash: 'no-se-usa', deviceUri: 'sip:op1@10.0.0.5' });
    api.requests.length = 0;
    await t.app.telephony.inbound.setPresence(op.id, 'available');
    expect(api.requests.map((r) => r.path.split('/').at(-1))).toEqual([`${caller.sid}.json`]);
    expect(api.requests[0]!.form.get('Twiml')).toContain('>sip:op1@10.0.0.5</Sip>');
  });

  it('keeps the info line of a provider without IVR going straight to the operators', async () => {
    const plan = await t.app.telephony.inbound.accept({ provider: 'sip', providerCallId: `${randomUUID()}@test`, callerRaw: newNumber(),
      dialled: LINES.info, receivedAt: t.clock.now() });
    expect(plan.action).toBe('wait');
  });
});

describe('IVR TwiML', () => {
  it('plays recorded prompts by id when a prompt URL is configured, and pauses as told', () => {
    const io = { urls: twilioUrls(BASE), promptBaseUrl: 'https://audio.centro.example/prompts/' };
    const twiml = renderInstruction({ do: 'hangup', prompts: [{ id: 'control-adios', text: 'Gracias. Adiós.' }, { pauseS: 1.6 }] }, 'x', io);
    expect(twiml).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Play>https://audio.centro.example/prompts/control-adios.wav</Play>'
      + '<Pause length="2"/><Hangup/></Response>');
  });
});
