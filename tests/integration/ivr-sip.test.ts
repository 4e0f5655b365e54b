import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsRepo } from '../../store/calls.repo.ts';
import { ivrRepo } from '../../store/ivr.repo.ts';
import type { SipIvr } from '../../ivr/sip/index.ts';
import { sipAdapter } from '../../telephony/sip/index.ts';
import { sipRequest } from '../fixtures/drachtio-peer.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { RtpCaller } from '../helpers/rtpengine.ts';
import { newCallId, sipContractDriver, startIvrRig, type IvrRig } from '../helpers/sip-ivr.ts';
import { LINES, until } from './inbound-contract.ts';
import { ivrContract } from './ivr-contract.ts';

/* IVR calls over SIP: the drachtio control-protocol peer plays the network, the real rtpengine the media. */

const CARRIER = '10.20.0.5';
const CALLER = '+34699100200';
const callers: RtpCaller[] = [];
const answerByes = async (rig: IvrRig) => {
  for (;;) (await rig.peer.nextRequest({ method: 'BYE', timeoutMs: 3_600_000 })).respond(200);
};

const invite = (to: string, sdp: string, headers: Record<string, string> = {}) => sipRequest({
  method: 'INVITE', uri: `sip:${to}@127.0.0.1:5060`, to: `<sip:${to}@127.0.0.1>`, callId: newCallId(),
  from: `<sip:${CALLER}@carrier.example>`, via: `${CARRIER}:5060`, headers, body: sdp,
});

let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => {
  for (const c of callers) await c.close();
  await t.close();
});

describe('an IVR call on the information line, through the SIP adapter', () => {
  let rig: IvrRig;
  beforeAll(async () => {
    rig = await startIvrRig(t, { promptMs: 300 });
    const ivr = rig.ivr(t.app.telephony.inbound);
    t.app.telephony.inbound.register(sipAdapter(rig.srf, t.app.telephony.inbound, { allowedSources: ['10.20.0.0/24'],
      trustedTrunks: [], trunkHost: 'trunk.example', ringTimeoutS: 5 }, t.clock, pino({ level: 'silent' }), { ivr }));
    await rig.peer.routed(['invite']);
  });
  afterAll(async () => { await rig.close(); });

  it('answers with the media server, plays the menu, and puts her through to an operator on 1', async () => {
    const operator = await t.pool.query(`insert into users (username, display_name, role, password_hash, device_uri)
      values ('op-ivr', 'x', 'operator', 'x', 'sip:op-ivr@10.9.9.9') returning id`);
    await t.app.telephony.inbound.setPresence(operator.rows[0].id, 'available');
    const caller = await RtpCaller.open();
    callers.push(caller);
    const tx = rig.peer.inject(invite(LINES.info, caller.offer()), { source: CARRIER });
    const ok = await tx.response(200);
    expect(ok.body).toMatch(/^m=audio \d+ RTP\/AVP/m);
    expect(ok.body).not.toContain(`m=audio ${caller.port} `); // the media server's address, not hers echoed
    caller.answered(ok.body);
    const attempt = await callsRepo(t.pool).byProviderId('sip', tx.callId);
    expect(attempt?.line).toBe('info');
    const callId = attempt!.id;

    const atMenu = await rig.until(callId, (p) => p.waitingAt > 0);
    expect(atMenu.heard).toEqual(['info-bienvenida', 'info-servicio', 'info-menu']);
    await until(() => (caller.received.get(0) ?? 0) + (caller.received.get(8) ?? 0) >= 30, 5000); // 0.6 s of voice at least

    await caller.press('1');
    const leg = await rig.peer.nextRequest({ method: 'INVITE' });
    expect(leg.uri).toBe('sip:op-ivr@10.9.9.9');
    expect(leg.callId).not.toBe(tx.callId);
    expect(leg.body).toMatch(/^m=audio \d+ RTP\/AVP/m);
    const phone = await RtpCaller.open();
    callers.push(phone);
    leg.respond(200, { body: phone.offer() });
    phone.answered(leg.body);
    expect(rig.probe(callId).line).toBe('info');
    expect(rig.probe(callId).heard.at(-1)).toBe('info-paso-operador');

    // her voice reaches the operator's phone and back, through the media server
    await until(async () => { await caller.audio(2, 0); await phone.audio(2, 0); return (phone.received.get(0) ?? 0) >= 10; }, 5000);
    const before = caller.packets;
    await phone.audio(10);
    await until(() => caller.packets - before >= 5, 5000);

    rig.peer.inject(tx.inDialog('BYE'), { source: CARRIER });
    const bye = await rig.peer.nextRequest({ method: 'BYE' });
    expect(bye.callId).toBe(leg.callId);
    bye.respond(200);
    await until(async () => (await callsRepo(t.pool).byId(callId))?.outcome === 'completed');
    await until(() => rig.media.openSessions === 0);
  });

  it('releases the media and calls no operator when she hangs up during the menu', async () => {
    const caller = await RtpCaller.open();
    callers.push(caller);
    const tx = rig.peer.inject(invite(LINES.info, caller.offer()), { source: CARRIER });
    caller.answered((await tx.response(200)).body);
    const callId = (await callsRepo(t.pool).byProviderId('sip', tx.callId))!.id;
    await rig.until(callId, (p) => p.instructions > 0);
    rig.peer.inject(tx.inDialog('BYE'), { source: CARRIER });
    await until(async () => (await callsRepo(t.pool).byId(callId))?.outcome === 'completed');
    await until(() => rig.media.openSessions === 0);
    expect(rig.probe(callId).routed).toBe(false);
    expect(rig.peer.requests.filter((r) => r.method === 'INVITE' && r.callId !== tx.callId)).toHaveLength(1); // the first test's operator only
  });
});

/** The provider-neutral IVR contract, played over SIP: keys as RFC 2833 through rtpengine. */
let contractRig: IvrRig;
let contractIvr: SipIvr;
const attemptOf = new Map<string, string>();

const sipIvrDriver = () => sipContractDriver(() => contractRig, t.pool, async (flowId) => {
  const caller = await RtpCaller.open();
  callers.push(caller);
  const tx = contractRig.peer.inject(invite(LINES.info, caller.offer(), { 'X-Test-Flow': flowId }), { source: CARRIER });
  caller.answered((await tx.response(200)).body);
  return { callId: attemptOf.get(tx.callId)!, caller, hangup: () => contractRig.peer.inject(tx.inDialog('BYE'), { source: CARRIER }),
    panic: () => contractIvr.panic(tx.callId) };
});

describe('IVR flows on SIP', () => {
  beforeAll(async () => {
    contractRig = await startIvrRig(t);
    contractIvr = contractRig.ivr(t.app.telephony.inbound);
    void answerByes(contractRig).catch(() => undefined);
    // every flow is started as the adapter starts the information line's: a call attempt, then the IVR
    contractRig.srf.invite(async (req, res) => {
      const flowId = req.get('X-Test-Flow');
      const attempt = await callsRepo(t.pool).insert({ id: crypto.randomUUID(), direction: flowId === 'informacion' ? 'inbound' : 'outbound',
        line: flowId === 'informacion' ? 'info' : 'outbound', kind: flowId === 'informacion' ? 'A' : 'D', provider: 'sip',
        providerCallId: req.get('Call-ID'), caller: CALLER, usuariaId: null, terminalId: null, startedAt: t.clock.now() });
      attemptOf.set(req.get('Call-ID'), attempt.id);
      await contractIvr.run({ req, res, sdpOffer: req.body, callId: attempt.id, line: 'info', flowId,
        call: { provider: 'sip', providerCallId: req.get('Call-ID'), callerRaw: CALLER, dialled: LINES.info, receivedAt: t.clock.now() },
        emit: (state) => { if (state === 'completed') contractRig.update(attempt.id, (p) => { p.ended = true; }); } });
    });
    await contractRig.peer.routed(['invite']);
  });
  afterAll(async () => { await contractRig.close(); });

  ivrContract('SIP (drachtio-srf + rtpengine)', sipIvrDriver);
});
