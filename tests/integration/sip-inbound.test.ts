import { randomUUID } from 'node:crypto';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sipAdapter, type SipConfig } from '../../telephony/sip/index.ts';
import { sdpOffer, sipRequest, startDrachtioPeer, type DrachtioPeer, connectSrf } from '../fixtures/drachtio-peer.ts';
import type { InjectedTransaction } from '../fixtures/drachtio-peer-model.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { inboundContract, LINES, until, type DriverCall, type InboundDriver } from './inbound-contract.ts';

const CARRIER = '10.20.0.5';
const CONFIG: SipConfig = { allowedSources: ['10.20.0.0/24'], trustedTrunks: [CARRIER], trunkHost: 'trunk.example', ringTimeoutS: 5 };

async function connectTo(peer: DrachtioPeer, t: TestApp, config = CONFIG) {
  const srf = await connectSrf(peer);
  const adapter = sipAdapter(srf, t.app.telephony.inbound, config, t.clock, pino({ level: 'silent' }));
  t.app.telephony.inbound.register(adapter);
  await peer.routed(['invite', 'options']);
  return { srf, adapter };
}

const invite = (from: string | null, to: string, extra: { headers?: Record<string, string>; via?: string } = {}) => sipRequest({
  method: 'INVITE', uri: `sip:${to}@127.0.0.1:5060`, to: `<sip:${to}@127.0.0.1>`, callId: `${randomUUID()}@carrier`,
  from: from ? `<sip:${from}@carrier.example>` : '"Anonymous" <sip:anonymous@anonymous.invalid>',
  via: `${extra.via ?? CARRIER}:5060`, headers: extra.headers, body: sdpOffer({ port: 30000 }),
});

/** Plays calls on the SIP wire through the drachtio control-protocol peer. */
function sipDriver(): InboundDriver {
  let peer: DrachtioPeer;
  let srf: Srf;
  return {
    async attach(t) {
      peer = await startDrachtioPeer();
      ({ srf } = await connectTo(peer, t));
    },
    async call(from, to) {
      const tx = peer.inject(invite(from, to), { source: CARRIER });
      await until(() => tx.responses.length > 1 || tx.final); // 100 from the server, then the app's 180
      let operatorLeg: Awaited<ReturnType<DrachtioPeer['nextRequest']>> | null = null;
      const call: DriverCall = {
        providerCallId: tx.callId,
        async expectConnected(device) {
          operatorLeg = await peer.nextRequest({ method: 'INVITE' });
          expect(operatorLeg.uri).toBe(device);
          expect(operatorLeg.callId).not.toBe(tx.callId); // a B2BUA: a new leg, not a proxied request
          operatorLeg.respond(200, { body: sdpOffer({ port: 40000 }) });
          await tx.response(200);
        },
        async expectWaiting() { await tx.response(182); },
        async expectAnsweredAndEnded() {
          await tx.response(200);
          const bye = await peer.nextRequest({ method: 'BYE' });
          expect(bye.callId).toBe(tx.callId);
          bye.respond(200);
        },
        async hangUp() {
          if (!tx.statuses().includes(200)) return void tx.cancel();
          peer.inject(tx.inDialog('BYE'), { source: CARRIER });
          if (operatorLeg) (await peer.nextRequest({ method: 'BYE' })).respond(200);
        },
      };
      return call;
    },
    async close() { srf.disconnect(); await peer.close(); },
  };
}

inboundContract('SIP (drachtio-srf)', sipDriver);

describe('SIP adapter specifics', () => {
  let t: TestApp;
  let peer: DrachtioPeer;
  let srf: Srf;
  beforeAll(async () => {
    t = await startTestApp();
    peer = await startDrachtioPeer();
    ({ srf } = await connectTo(peer, t));
  });
  afterAll(async () => { srf.disconnect(); await peer.close(); await t.close(); });
  const attempts = async () => (await t.pool.query('select count(*)::int as n from call_attempts')).rows[0].n;

  it('answers OPTIONS', async () => {
    const tx = peer.inject(sipRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1:5060', from: `<sip:probe@${CARRIER}>`,
      to: '<sip:127.0.0.1>', via: `${CARRIER}:5060` }), { source: CARRIER });
    expect((await tx.response()).status).toBe(200);
  });

  it('refuses with 403, and records nothing, a request from outside the allow-list or from a scanner', async () => {
    const before = await attempts();
    const outsider = peer.inject(invite('+34699000555', LINES.general, { via: '192.0.2.10' }), { source: '192.0.2.10' });
    expect((await outsider.response()).status).toBe(403);
    const scanner = peer.inject(invite('+34699000556', LINES.general, { headers: { 'User-Agent': 'friendly-scanner' } }), { source: CARRIER });
    expect((await scanner.response()).status).toBe(403);
    expect(await attempts()).toBe(before);
  });

  it('takes the caller from P-Asserted-Identity only when the request comes from a trusted trunk', async () => {
    const op = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(op.statusCode).toBe(200);
    const trunk = peer.inject(invite('+34699000001', LINES.general, { headers: { 'P-Asserted-Identity': '<sip:+34699000002@carrier.example>' } }), { source: CARRIER });
    await trunk.response(182);
    const pbx = '10.20.0.77';
    const other = peer.inject(invite('+34699000003', LINES.general, { via: pbx, headers: { 'P-Asserted-Identity': '<sip:+34699000004@pbx.example>' } }), { source: pbx });
    await other.response(182);
    const callers = (await t.pool.query(`select caller from call_attempts where provider_call_id = any($1) order by caller`,
      [[trunk.callId, other.callId]])).rows.map((r) => r.caller);
    expect(callers).toEqual(['+34699000002', '+34699000003']);
    trunk.cancel();
    other.cancel();
    await until(async () => (await t.app.telephony.inbound.desk.waiting()).length === 0);
  });

  it('lets drachtio refuse malformed SIP without the app recording anything', async () => {
    const before = await attempts();
    const noCallId = peer.inject(sipRequest({ method: 'INVITE', uri: `sip:${LINES.general}@127.0.0.1`, from: '<sip:+34699000009@c>',
      to: `<sip:${LINES.general}@127.0.0.1>`, via: `${CARRIER}:5060`, omit: ['Call-ID'], body: sdpOffer() }), { source: CARRIER });
    expect((await noCallId.response()).status).toBe(400);
    const garbage: InjectedTransaction = peer.inject('HELLO THERE\r\n\r\n', { source: CARRIER });
    await until(() => garbage.dropped || garbage.final);
    expect(await attempts()).toBe(before);
  });

  it('records the operator hanging up as the end of the call', async () => {
    const u = await t.pool.query(`insert into users (username, display_name, role, password_hash, device_uri)
      values ('op-bye', 'x', 'operator', 'x', 'sip:op-bye@10.9.9.9') returning id`);
    await t.app.telephony.inbound.setPresence(u.rows[0].id, 'available');
    const tx = peer.inject(invite('+34699000666', LINES.general), { source: CARRIER });
    const leg = await peer.nextRequest({ method: 'INVITE' });
    leg.respond(200, { body: sdpOffer({ port: 40002 }) });
    await tx.response(200);
    peer.inject(leg.inDialog('BYE'), { source: '10.9.9.9' });
    const byeToCaller = await peer.nextRequest({ method: 'BYE' });
    expect(byeToCaller.callId).toBe(tx.callId);
    byeToCaller.respond(200);
    await until(async () => (await t.pool.query(`select outcome from call_attempts where provider_call_id = $1`, [tx.callId])).rows[0]?.outcome === 'completed');
    // the record and the operator's desk are settled side by side: wait for the desk too
    await until(async () => (await t.app.telephony.inbound.desk.presence(u.rows[0].id)) === 'wrap_up');
  });
});
