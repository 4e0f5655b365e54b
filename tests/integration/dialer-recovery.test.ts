import Srf from 'drachtio-srf';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { sipAdapter } from '../../telephony/sip/index.ts';
import { sdpOffer, startDrachtioPeer, type DrachtioPeer, connectSrf } from '../fixtures/drachtio-peer.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { until } from './inbound-contract.ts';

let t: TestApp;
let peer: DrachtioPeer;
let srf: Srf;
let coord: string;
let centreId: string;

beforeAll(async () => {
  t = await startTestApp({ dialer: { ...loadConfig({}).dialer, provider: 'sip', workers: true, callsPerSecond: 50, keepFreeOperators: 0, ringTimeoutS: 20 } });
  t.clock.set('2026-11-17T09:30:00Z'); // Tuesday 10:30 in Madrid, inside altaBody's window
  peer = await startDrachtioPeer();
  srf = await connectSrf(peer);
  t.app.telephony.inbound.register(sipAdapter(srf, t.app.telephony.inbound,
    { allowedSources: ['127.0.0.1/32'], trustedTrunks: [], trunkHost: 'trunk.example', ringTimeoutS: 20 }, t.clock, pino({ level: 'silent' })));
  coord = (await signIn(t, 'coordinator')).token;
  centreId = (await createCentre(t.pool)).id;
});
afterAll(async () => { srf.disconnect(); await peer.close(); await t.close(); });

async function usuaria() {
  const body = altaBody(centreId);
  const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
  return { id: res.json().usuariaId as string, msisdn: body.terminal.msisdn as string };
}
async function operatorAvailable() {
  const op = await signIn(t, 'operator');
  await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, `sip:${op.userId.slice(0, 8)}@10.6.0.2`]);
  await t.app.telephony.inbound.setPresence(op.userId, 'available');
  return op.userId;
}
const firstItem = async (usuariaId: string) =>
  (await t.pool.query('select status, outcome from agenda_items where usuaria_id = $1 order by created_at limit 1', [usuariaId])).rows[0];

describe('SIP outcomes of outbound calls', () => {
  it.each([
    [486, 'busy'], [480, 'no_answer'], [408, 'no_answer'], [487, 'canceled'], [603, 'rejected'], [500, 'failed'],
  ])('maps a final %i from the trunk to %s, and frees the reserved operator', async (status, outcome) => {
    const operatorId = await operatorAvailable();
    const u = await usuaria();
    await t.app.dialer.planAll();
    // the reserved operator's phone rings first, with no offer: she is on the line before the usuaria is called
    const operatorLeg = await peer.nextRequest({ method: 'INVITE' });
    expect(operatorLeg.uri).toMatch(/^sip:[0-9a-f]{8}@10\.6\.0\.2$/);
    expect(operatorLeg.body).toBe('');
    operatorLeg.respond(200, { body: sdpOffer({ port: 41000 }) });
    const invite = await peer.nextRequest({ method: 'INVITE' });
    expect(invite.uri).toBe(`sip:${u.msisdn}@trunk.example`);
    expect(invite.header('From')).toContain('+34900100900'); // the neutral number, nothing that names the service
    expect(invite.body).toContain('m=audio 41000'); // the operator's offer
    invite.respond(status);
    // the operator's leg is acknowledged and ended: nobody is left holding a dead line
    expect((await peer.nextRequest({ method: 'BYE' })).callId).toBe(operatorLeg.callId);
    await until(async () => (await firstItem(u.id))?.status === 'failed');
    expect(await firstItem(u.id)).toEqual({ status: 'failed', outcome });
    await until(async () => (await t.app.telephony.inbound.desk.presence(operatorId)) === 'available');
  });
});

describe('a SIP follow-up she answers', () => {
  it('connects her to the operator already on the line, pops her file, and ends both legs together', async () => {
    const operatorId = await operatorAvailable();
    const u = await usuaria();
    await t.app.dialer.planAll();
    const operatorLeg = await peer.nextRequest({ method: 'INVITE' });
    operatorLeg.respond(200, { body: sdpOffer({ port: 41002 }) });
    const herLeg = await peer.nextRequest({ method: 'INVITE' });
    herLeg.respond(200, { body: sdpOffer({ port: 42002 }) });
    // earlier tests' ACKs and her own come first: take the one on the operator's leg
    let ack = await peer.nextRequest({ method: 'ACK' });
    while (ack.callId !== operatorLeg.callId) ack = await peer.nextRequest({ method: 'ACK' });
    expect(ack.body).toContain('m=audio 42002'); // her answer reaches the operator's phone
    // the longest-idle operator was reserved (maybe one freed by an earlier test): the one on the call
    const { rows: [attempt] } = await t.pool.query('select operator_id from call_attempts where usuaria_id = $1', [u.id]);
    expect([operatorId, attempt.operator_id]).toContain(attempt.operator_id);
    await until(async () => (await t.app.telephony.hub.lastOf(attempt.operator_id))?.type === 'call.offered');
    expect(await t.app.telephony.hub.lastOf(attempt.operator_id)).toMatchObject({ line: 'outbound', pop: { usuariaId: u.id } });
    peer.inject(herLeg.inDialog('BYE'), { source: '127.0.0.1' });
    expect((await peer.nextRequest({ method: 'BYE' })).callId).toBe(operatorLeg.callId);
    await until(async () => (await t.pool.query(`select outcome from call_attempts where provider_call_id = $1`, [herLeg.callId])).rows[0]?.outcome === 'completed');
    expect(await firstItem(u.id)).toEqual({ status: 'dialling', outcome: null }); // the operator's disposition decides contact
  });
});

describe('Redis loses its jobs', () => {
  it('restores every pending item once after the keys are flushed, and never twice', async () => {
    t.clock.set('2026-11-16T09:30:00Z'); // Monday: tomorrow's windows are ahead, so their jobs wait delayed
    const ids = [await usuaria(), await usuaria(), await usuaria()].map((u) => u.id);
    await t.app.dialer.planAll();
    const planned = (await t.pool.query(`select id from agenda_items where status = 'planned' and usuaria_id = any($1)`, [ids])).rows;
    expect(planned).toHaveLength(3);
    const counts = async () => (await t.app.dialer.queue.getJobCounts('delayed', 'waiting')) as Record<string, number>;
    expect((await counts()).delayed).toBeGreaterThanOrEqual(3);

    // FLUSHALL, limited to this deployment's keys (other test files share this Redis)
    const keys = await t.redis.keys(`${t.config.redisPrefix}:bull:*`);
    if (keys.length) await t.redis.del(...keys);
    expect((await counts()).delayed).toBe(0);

    expect(await t.app.dialer.reconcile()).toBeGreaterThanOrEqual(3);
    for (const { id } of planned) expect(await t.app.dialer.queue.getJob(`item-${id}`)).toBeTruthy();
    const after = (await counts()).delayed;
    expect(await t.app.dialer.reconcile()).toBe(0);
    expect((await counts()).delayed).toBe(after);
    t.clock.set('2026-11-17T09:30:00Z');
  });
});
