import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ngClient } from '../../ivr/media/ng.ts';
import type { SipIvr } from '../../ivr/sip/index.ts';
import { callsRepo } from '../../store/calls.repo.ts';
import { ivrRepo } from '../../store/ivr.repo.ts';
import type { CallEvent, OutboundCallRequest, VoiceProvider } from '../../telephony/port.ts';
import { sipAdapter } from '../../telephony/sip/index.ts';
import { sipRequest, type OutgoingRequest } from '../fixtures/drachtio-peer.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { RtpCaller, testRtpengine } from '../helpers/rtpengine.ts';
import { newCallId, sipContractDriver, startIvrRig, type IvrRig } from '../helpers/sip-ivr.ts';
import { LINES, until } from './inbound-contract.ts';
import { ivrContract } from './ivr-contract.ts';

/*
 * Outbound IVR calls over SIP (a control call): the adapter places the call through the trunk with
 * the media server's offer, the drachtio control-protocol peer plays her phone, the real rtpengine
 * carries the prompts and her RFC 2833 keys.
 */

const NEUTRAL = '+34910000111';
const TRUNK = 'trunk.example';
const callers: RtpCaller[] = [];
let t: TestApp;

/** One outbound rig: the peer, the IVR, the adapter, and every event and outcome report it made. */
interface OutboundRig {
  rig: IvrRig;
  ivr: SipIvr;
  adapter: VoiceProvider;
  events: CallEvent[];
  reported: Array<{ attemptId: string; outcomes: string[]; at: Date }>;
  /** Our attempt id by the SIP Call-ID of her leg. */
  attempts: Map<string, string>;
}

async function outboundRig(): Promise<OutboundRig> {
  const rig = await startIvrRig(t);
  const events: CallEvent[] = [];
  const reported: OutboundRig['reported'] = [];
  const attempts = new Map<string, string>();
  const ivr = rig.ivr(t.app.telephony.inbound, { onOutcomes: (attemptId, outcomes, at) => reported.push({ attemptId, outcomes, at }) });
  const inbound = t.app.telephony.inbound;
  // the adapter's events reach the real inbound service, and are kept here to be read
  const spy = { ...inbound, event: (ev: CallEvent) => {
    events.push(ev);
    const attemptId = attempts.get(ev.providerCallId);
    if (ev.state === 'completed' && attemptId) rig.update(attemptId, (p) => { p.ended = true; });
    return inbound.event(ev);
  } };
  const adapter = sipAdapter(rig.srf, spy, { allowedSources: ['10.20.0.0/24'], trustedTrunks: [], trunkHost: TRUNK, ringTimeoutS: 5 },
    t.clock, pino({ level: 'silent' }), { ivr });
  return { rig, ivr, adapter, events, reported, attempts };
}

/** A call attempt as the dialer records it, then the call placed through the adapter; her phone's INVITE. */
async function place(o: OutboundRig, over: Partial<OutboundCallRequest> = {}) {
  const attemptId = randomUUID();
  const to = `+34699${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
  await callsRepo(t.pool).insert({ id: attemptId, direction: 'outbound', line: 'outbound', kind: 'D', provider: 'sip',
    providerCallId: `pending-${attemptId}`, caller: to, usuariaId: null, terminalId: null, startedAt: t.clock.now() });
  const { providerCallId } = await o.adapter.placeCall({ to, callerId: NEUTRAL, attemptId, ringTimeoutS: 5, detectMachine: true,
    flow: 'control', ...over });
  await t.pool.query('update call_attempts set provider_call_id = $2 where id = $1', [attemptId, providerCallId]);
  o.attempts.set(providerCallId, attemptId);
  const invite = await o.rig.peer.nextRequest({ method: 'INVITE' });
  expect(invite.callId).toBe(providerCallId);
  return { attemptId, providerCallId, invite, to };
}

/** She picks up: her phone answers the media server's offer from an RTP socket of its own. */
async function answer(invite: OutgoingRequest): Promise<RtpCaller> {
  const caller = await RtpCaller.open();
  callers.push(caller);
  caller.answered(invite.body);
  invite.respond(180);
  invite.respond(200, { body: caller.offer() });
  return caller;
}

const statesOf = (o: OutboundRig, providerCallId: string) => o.events.filter((e) => e.providerCallId === providerCallId);
const voice = (c: RtpCaller) => (c.received.get(0) ?? 0) + (c.received.get(8) ?? 0);

beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => {
  for (const c of callers) await c.close();
  await t.close();
});

describe('an outbound control call over SIP', () => {
  let o: OutboundRig;
  beforeAll(async () => {
    o = await outboundRig();
    await o.rig.peer.routed(['invite']); // the adapter takes inbound calls too
  });
  afterAll(async () => { await o.rig.close(); });

  it('rings her through the trunk with the neutral number and the media offer, plays the greeting, and records confirmed on 1', async () => {
    const { attemptId, providerCallId, invite, to } = await place(o);
    expect(invite.uri).toBe(`sip:${to}@${TRUNK}`);
    expect(invite.header('from')).toContain(`sip:${NEUTRAL}@${TRUNK}`);
    expect(invite.body).toMatch(/^m=audio \d+ RTP\/AVP .*\b0\b/m);
    expect(invite.body).toMatch(/telephone-event\/8000/);
    const caller = await answer(invite);

    const atGreeting = await o.rig.until(attemptId, (p) => p.waitingAt > 0);
    expect(atGreeting.heard).toEqual(['control-saludo']); // nothing that names the service before she confirms
    await until(() => voice(caller) >= 30, 5000); // the prompt reaches her phone: 0.6 s of it at least
    const answered = statesOf(o, providerCallId).map((e) => [e.state, e.answeredBy]);
    expect(answered).toEqual([['ringing', undefined], ['in_progress', 'human']]);

    await caller.press('1');
    await until(async () => (await ivrRepo(t.pool).latest(attemptId)) === 'confirmed');
    await until(() => o.reported.some((r) => r.attemptId === attemptId));
    expect(o.reported.filter((r) => r.attemptId === attemptId)).toEqual([{ attemptId, outcomes: ['confirmed'], at: t.clock.now() }]);
    await o.rig.until(attemptId, (p) => p.heard.includes('control-instrucciones'));

    // she hangs up to press her terminal's button: the call completes, and stays confirmed
    o.rig.peer.inject(invite.inDialog('BYE'), { source: '10.20.0.5' });
    await until(() => statesOf(o, providerCallId).some((e) => e.state === 'completed'));
    expect(statesOf(o, providerCallId).at(-1)?.detail).toEqual({ hungUpBy: 'caller' });
    expect((await ivrRepo(t.pool).ofAttempt(attemptId)).map((r) => r.outcome)).toEqual(['confirmed']);
    await until(() => o.rig.media.openSessions === 0);
  });

  it('reports no_answer when she does not pick up within the ring timeout, and records no outcome', async () => {
    const { attemptId, providerCallId, invite } = await place(o, { ringTimeoutS: 1 });
    invite.respond(180);
    await until(() => invite.canceled, 5000); // the adapter gives up on the ring timeout
    invite.respond(487); // her phone stops ringing, as a phone answers a CANCEL
    await until(() => statesOf(o, providerCallId).some((e) => e.state === 'no_answer'));
    expect(statesOf(o, providerCallId).map((e) => e.state)).toEqual(['ringing', 'no_answer']);
    expect(await ivrRepo(t.pool).ofAttempt(attemptId)).toEqual([]);
    expect(o.reported.filter((r) => r.attemptId === attemptId)).toEqual([]);
    expect(o.ivr.active).toBe(0);
    // the media the offer anchored is released: the daemon no longer knows the call
    const ng = await ngClient(testRtpengine().ng, 2000, pino({ level: 'silent' }));
    try {
      // released just after the no_answer event: asked until the daemon says it does not know the call
      const known = () => ng.send('query', { 'call-id': `ivr-out-${attemptId}` }).then(() => true, (err: Error) => {
        if (/unknown call-id|not found/i.test(err.message)) return false;
        throw err;
      });
      await until(async () => !(await known()));
    } finally {
      ng.close();
    }
  });

  it('maps a busy or rejected phone as the progressive calls do', async () => {
    const busy = await place(o);
    busy.invite.respond(486);
    await until(() => statesOf(o, busy.providerCallId).some((e) => e.state === 'busy'));
    const rejected = await place(o);
    rejected.invite.respond(603);
    await until(() => statesOf(o, rejected.providerCallId).some((e) => e.state === 'rejected'));
    expect([...statesOf(o, busy.providerCallId), ...statesOf(o, rejected.providerCallId)].map((e) => e.state)).toEqual(['busy', 'rejected']);
  });

  it('connects an emergency operator on the emergency key, with her voice through the media server', async () => {
    const op = await t.pool.query<{ id: string }>(`insert into users (username, display_name, role, password_hash, device_uri)
      values ('op-ivr-out', 'x', 'operator', 'x', 'sip:op-ivr-out@10.9.9.9') returning id`);
    await t.app.telephony.inbound.setPresence(op.rows[0]!.id, 'available');
    const { attemptId, providerCallId, invite } = await place(o);
    const caller = await answer(invite);
    await o.rig.until(attemptId, (p) => p.waitingAt > 0);

    await caller.press('9');
    const leg = await o.rig.peer.nextRequest({ method: 'INVITE' });
    expect(leg.uri).toBe('sip:op-ivr-out@10.9.9.9');
    expect(o.rig.probe(attemptId).line).toBe('emergency');
    expect(await ivrRepo(t.pool).latest(attemptId)).toBe('emergency');
    const phone = await RtpCaller.open();
    callers.push(phone);
    phone.answered(leg.body);
    leg.respond(200, { body: phone.offer() });
    await until(() => statesOf(o, providerCallId).some((e) => e.state === 'in_progress' && e.answeredBy === 'operator'));
    await until(async () => { await caller.audio(2, 0); return (phone.received.get(0) ?? 0) >= 10; }, 5000);

    o.rig.peer.inject(invite.inDialog('BYE'), { source: '10.20.0.5' });
    const bye = await o.rig.peer.nextRequest({ method: 'BYE' });
    expect(bye.callId).toBe(leg.callId);
    bye.respond(200);
    await until(() => statesOf(o, providerCallId).some((e) => e.state === 'completed'));
    await until(() => o.rig.media.openSessions === 0);
  });

  it('her BYE mid-flow completes the call and records the flow\'s hang-up outcome', async () => {
    const { attemptId, providerCallId, invite } = await place(o);
    await answer(invite);
    await o.rig.until(attemptId, (p) => p.waitingAt > 0);
    o.rig.peer.inject(invite.inDialog('BYE'), { source: '10.20.0.5' });
    await until(() => statesOf(o, providerCallId).some((e) => e.state === 'completed'));
    expect(statesOf(o, providerCallId).map((e) => e.state)).toEqual(['ringing', 'in_progress', 'completed']);
    expect(await ivrRepo(t.pool).latest(attemptId)).toBe('not_confirmed');
    expect(o.reported.filter((r) => r.attemptId === attemptId).map((r) => r.outcomes)).toEqual([['not_confirmed']]);
    expect(o.rig.probe(attemptId).routed).toBe(false);
    await until(() => o.rig.media.openSessions === 0);
  });

  it('tells the listener the outcomes of an inbound IVR call too (the information line\'s emergency key)', async () => {
    const caller = await RtpCaller.open();
    callers.push(caller);
    const tx = o.rig.peer.inject(sipRequest({ method: 'INVITE', uri: `sip:${LINES.info}@127.0.0.1:5060`, to: `<sip:${LINES.info}@127.0.0.1>`,
      callId: newCallId(), from: '<sip:+34699100300@carrier.example>', via: '10.20.0.5:5060', body: caller.offer() }), { source: '10.20.0.5' });
    caller.answered((await tx.response(200)).body);
    const attemptId = (await callsRepo(t.pool).byProviderId('sip', tx.callId))!.id;
    await o.rig.until(attemptId, (p) => p.waitingAt > 0);
    await caller.press('9');
    await until(() => o.reported.some((r) => r.attemptId === attemptId));
    expect(o.reported.filter((r) => r.attemptId === attemptId).map((r) => r.outcomes)).toEqual([['emergency']]);
    expect(await ivrRepo(t.pool).latest(attemptId)).toBe('emergency');
    o.rig.peer.inject(tx.inDialog('BYE'), { source: '10.20.0.5' });
    await until(() => o.rig.media.openSessions === 0);
  });
});

/** The provider-neutral IVR contract with every flow run on a call we place: she answers, then the flow runs as on hers. */
let contract: OutboundRig;

const outboundDriver = () => sipContractDriver(() => contract.rig, t.pool, async (flowId) => {
  const call = await place(contract, { flow: flowId });
  const caller = await answer(call.invite);
  return { callId: call.attemptId, caller, hangup: () => contract.rig.peer.inject(call.invite.inDialog('BYE'), { source: '10.20.0.5' }),
    panic: () => contract.ivr.panic(call.providerCallId) };
});

describe('IVR flows on outbound SIP calls', () => {
  beforeAll(async () => {
    contract = await outboundRig();
    // the flows' own BYEs are answered; an operator's phone never answers here (she waits in the queue)
    void (async () => {
      for (;;) (await contract.rig.peer.nextRequest({ method: 'BYE', timeoutMs: 3_600_000 })).respond(200);
    })().catch(() => undefined);
  });
  afterAll(async () => { await contract.rig.close(); });

  ivrContract('SIP outbound (drachtio-srf + rtpengine)', outboundDriver);
});
