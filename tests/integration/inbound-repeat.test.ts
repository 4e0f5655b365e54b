import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundCall, VoiceProvider } from '../../telephony/port.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

// A provider retries a webhook it got no answer to: the repeat must find the first call, never
// record, queue or offer it a second time (the desk's admission and the record both key on the
// provider's call id).
let t: TestApp;
let second: string;
const provider: VoiceProvider = { name: 'sip', async bridge() {}, async hangup() {}, async placeCall() { return { providerCallId: 'x' }; } };

beforeAll(async () => {
  t = await startTestApp();
  t.app.telephony.inbound.register(provider);
});
afterAll(async () => { await t.close(); });

const call = (providerCallId: string, callerRaw: string | null, dialled = '+34900100100'): InboundCall =>
  ({ provider: 'sip', providerCallId, callerRaw, dialled, receivedAt: t.clock.now() });

async function operator(device: string) {
  const u = await signIn(t, 'operator');
  await t.pool.query('update users set device_uri = $2 where id = $1', [u.userId, device]);
  return u.userId;
}

describe('a repeated inbound webhook', () => {
  it('connects to the operator the first one got, with one record, one pop and one audit', async () => {
    const coord = (await signIn(t, 'coordinator')).token;
    const body = altaBody((await createCentre(t.pool)).id);
    const alta = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
    const first = await operator('sip:rep-a@10.0.0.21');
    second = await operator('sip:rep-b@10.0.0.22');
    await t.app.telephony.inbound.setPresence(first, 'available');
    const a = await t.app.telephony.inbound.accept(call('repeat-1@test', body.terminal.msisdn));
    const offered = await t.app.telephony.hub.lastOf(first);
    // another operator is free when the repeat comes: it must not be given to her
    await t.app.telephony.inbound.setPresence(second, 'available');
    const b = await t.app.telephony.inbound.accept(call('repeat-1@test', body.terminal.msisdn));

    expect(a).toMatchObject({ action: 'connect', operator: { operatorId: first } });
    expect(b).toEqual(a);
    // the other operator was not given the repeat, and the first one's console got no second pop
    expect(await t.app.telephony.inbound.desk.presence(second)).toBe('available');
    expect(await t.app.telephony.hub.lastOf(first)).toEqual(offered);
    const rows = await t.pool.query(`select id, operator_id from call_attempts where provider_call_id = 'repeat-1@test'`);
    expect(rows.rows).toEqual([{ id: a.callId, operator_id: first }]);
    const audit = await t.pool.query(`select actor_id from audit_log where action = 'ficha.pop' and usuaria_id = $1`, [alta.json().usuariaId]);
    expect(audit.rows).toEqual([{ actor_id: first }]);
  });

  it('keeps a waiting call once in the queue, under its first id', async () => {
    await t.app.telephony.inbound.setPresence(second, 'away'); // nobody is free now
    const a = await t.app.telephony.inbound.accept(call('repeat-2@test', '+34611000077', '+34900100200'));
    const b = await t.app.telephony.inbound.accept(call('repeat-2@test', '+34611000077', '+34900100200'));
    expect(a.action).toBe('wait');
    expect(b).toEqual(a);
    expect(await t.app.telephony.inbound.desk.waiting()).toEqual([a.callId]);
    const rows = await t.pool.query(`select id from call_attempts where provider_call_id = 'repeat-2@test'`);
    expect(rows.rows).toEqual([{ id: a.callId }]);
  });
});
