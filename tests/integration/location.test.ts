import { randomUUID } from 'node:crypto';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locationService, type LocationService } from '../../location/index.ts';
import { callStateStore } from '../../telephony/call-state.ts';
import { sipAdapter } from '../../telephony/sip/index.ts';
import { sdpOffer, sipRequest, startDrachtioPeer, type DrachtioPeer, connectSrf } from '../fixtures/drachtio-peer.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { LINES, until } from './inbound-contract.ts';

const CARRIER = '10.20.0.5';
const CRLF = '\r\n';
let t: TestApp;
let peer: DrachtioPeer;
let srf: Srf;
let location: LocationService;
let her: { usuariaId: string; msisdn: string; imei: string };
let operatorId: string;
let coordinator: string;

const number = () => `+3466${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const pidf = (shape: string) => `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml"
  xmlns:gs="http://www.opengis.net/pidflo/1.0" entity="pres:t@terminal.example"><tuple id="a"><status><gp:geopriv><gp:location-info>${shape}
  </gp:location-info><gp:usage-rules/></gp:geopriv></status></tuple></presence>`;

/** An INVITE per RFC 6442: Geolocation header, multipart/mixed body with the SDP and the PIDF-LO. */
function inviteWithLocation(from: string, sdp: string, locationXml: string) {
  const boundary = 'loc-boundary';
  const body = [`--${boundary}`, 'Content-Type: application/sdp', '', sdp, `--${boundary}`, 'Content-Type: application/pidf+xml',
    'Content-ID: <pos1@terminal.example>', '', locationXml, `--${boundary}--`, ''].join(CRLF);
  return peer.inject(sipRequest({ method: 'INVITE', uri: `sip:${LINES.emergency}@127.0.0.1:5060`, to: `<sip:${LINES.emergency}@127.0.0.1>`,
    callId: `${randomUUID()}@carrier`, from: `<sip:${from}@carrier.example>`, via: `${CARRIER}:5060`, body,
    contentType: `multipart/mixed; boundary=${boundary}`, headers: { Geolocation: '<cid:pos1@terminal.example>', 'Geolocation-Routing': 'no' } }),
  { source: CARRIER });
}

beforeAll(async () => {
  t = await startTestApp();
  coordinator = (await signIn(t, 'coordinator')).token;
  const centre = await createCentre(t.pool);
  const terminal = { msisdn: number(), imei: `35${String(Math.floor(Math.random() * 1e13)).padStart(13, '0')}`, model: 'T-100' };
  const alta = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coordinator), payload: altaBody(centre.id, { terminal }) });
  expect(alta.statusCode, alta.body).toBe(201);
  her = { usuariaId: alta.json().usuariaId, msisdn: terminal.msisdn, imei: terminal.imei };
  const { rows: [op] } = await t.pool.query(`insert into users (username, display_name, role, password_hash, device_uri)
    values ('op-loc', 'x', 'operator', 'x', 'sip:op-loc@10.9.9.9') returning id`);
  operatorId = op.id;

  peer = await startDrachtioPeer();
  srf = await connectSrf(peer);
  location = locationService({ pool: t.pool, cipher: t.cipher, clock: t.clock, log: pino({ level: 'silent' }), retentionDays: 30 });
  t.app.telephony.inbound.register(sipAdapter(srf, t.app.telephony.inbound, { allowedSources: ['10.20.0.0/24'], trustedTrunks: [CARRIER],
    trunkHost: 'trunk.example', ringTimeoutS: 5 }, t.clock, t.app.log as never, { location, locationBudgetMs: 2000 }));
  await peer.routed(['invite', 'options']);
});

afterAll(async () => { srf.disconnect(); await peer.close(); await t.close(); });

async function answerAndHangUp(tx: ReturnType<typeof inviteWithLocation>, sdp: string) {
  const leg = await peer.nextRequest({ method: 'INVITE' });
  // the B2BUA offers the caller's SDP part alone, untouched, as application/sdp
  expect(leg.message.body).toBe(sdp);
  expect(leg.header('content-type')).toBe('application/sdp');
  leg.respond(200, { body: sdpOffer({ port: 40010 }) });
  await tx.response(200);
  // hang up once the bridge is up (the caller's ACK in, both dialogs known to the app)
  await until(async () => (await t.pool.query('select answered_at from call_attempts where provider_call_id = $1', [tx.callId])).rows[0]?.answered_at != null);
  peer.inject(tx.inDialog('BYE'), { source: CARRIER });
  (await peer.nextRequest({ method: 'BYE' })).respond(200);
  const callId = await callStateStore(t.redis, t.config.redisPrefix, t.cipher).idOf('sip', tx.callId);
  await until(async () => (await t.app.telephony.inbound.desk.presence(operatorId)) === 'wrap_up');
  await t.app.telephony.inbound.setPresence(operatorId, 'available');
  return callStateStore(t.redis, t.config.redisPrefix, t.cipher).pop(callId!);
}

describe('position in a SIP INVITE (RFC 6442, PIDF-LO)', () => {
  it('puts the position of a Circle on the pop, and the call through with its SDP part alone', async () => {
    await t.app.telephony.inbound.setPresence(operatorId, 'available');
    const sdp = sdpOffer({ port: 30020 });
    const tx = inviteWithLocation(her.msisdn, sdp, pidf(`<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>40.4168 -3.7038</gml:pos>
      <gs:radius uom="urn:ogc:def:uom:EPSG::9001">35</gs:radius></gs:Circle>`));
    const pop = await answerAndHangUp(tx, sdp);
    expect(pop?.position).toEqual({ lat: 40.4168, lon: -3.7038, accuracyM: 35, at: t.clock.now().toISOString(), source: 'sip_invite' });
  });

  it('lets a call with a malformed PIDF-LO through, with no position', async () => {
    const other = number();
    const sdp = sdpOffer({ port: 30022 });
    const before = (await t.pool.query('select count(*)::int as n from terminal_positions')).rows[0].n;
    const tx = inviteWithLocation(other, sdp, '<presence><tuple><status><geopriv>');
    const pop = await answerAndHangUp(tx, sdp);
    expect(pop).toMatchObject({ caller: other, position: null });
    expect((await t.pool.query('select count(*)::int as n from terminal_positions')).rows[0].n).toBe(before);
    expect(t.logs.join('\n')).toContain('PIDF-LO unreadable');
  });
});

describe('positions from the terminal platform (HTTP, service token)', () => {
  let token: string;
  beforeAll(async () => {
    const admin = (await signIn(t, 'admin')).token;
    const created = await t.app.inject({ method: 'POST', url: '/api/service-tokens', headers: bearer(admin),
      payload: { name: 'plataforma-terminales', scopes: ['location:write'] } });
    expect(created.statusCode, created.body).toBe(201);
    token = created.json().token;
  });
  const report = (payload: Record<string, unknown>, headers: Record<string, string> = bearer(token)) =>
    t.app.inject({ method: 'POST', url: '/api/terminals/location', headers, payload });
  const valid = () => ({ msisdn: her.msisdn, lat: 28.1235, lon: -15.4363, accuracyM: 12, at: new Date(t.clock.now().getTime() - 120_000).toISOString() });

  it('refuses a report without a valid token (401), or with a token of another scope (403), and stores nothing', async () => {
    const before = (await t.pool.query('select count(*)::int as n from terminal_positions')).rows[0].n;
    expect((await report(valid(), {})).statusCode).toBe(401);
    expect((await report(valid(), bearer('svc_no-existe'))).statusCode).toBe(401);
    expect((await report(valid(), bearer(coordinator))).statusCode).toBe(403);
    expect((await t.pool.query('select count(*)::int as n from terminal_positions')).rows[0].n).toBe(before);
  });

  it('validates the report: ranges, a time in the future, a terminal that is nobody\'s', async () => {
    expect((await report({ ...valid(), lat: 91 })).statusCode).toBe(400);
    expect((await report({ ...valid(), lon: -181 })).statusCode).toBe(400);
    expect((await report({ ...valid(), accuracyM: -1 })).statusCode).toBe(400);
    const future = await report({ ...valid(), at: new Date(t.clock.now().getTime() + 3600_000).toISOString() });
    expect(future.statusCode).toBe(400);
    expect(future.json().message).toContain('posterior');
    expect((await report({ lat: 1, lon: 1, at: valid().at })).statusCode).toBe(400);
    expect((await report({ ...valid(), msisdn: '+34699000999' })).statusCode).toBe(404);
  });

  it('stores a valid report sealed: no coordinates in clear in the table', async () => {
    const res = await report({ ...valid(), msisdn: undefined, imei: her.imei });
    expect(res.statusCode, res.body).toBe(201);
    const { rows: [row] } = await t.pool.query('select * from terminal_positions where id = $1', [res.json().id]);
    expect(row).toMatchObject({ usuaria_id: her.usuariaId, source: 'platform' });
    const raw = JSON.stringify(row) + Buffer.from(row.position_enc).toString('latin1');
    for (const clear of ['28.1235', '-15.4363', '15.4363']) expect(raw).not.toContain(clear);
    // bound to its row: the same ciphertext moved to another row does not open
    expect(() => t.cipher.open(row.position_enc, `terminal_positions.position:${randomUUID()}`)).toThrow();
  });

  it('audits every read of her positions', async () => {
    const operator = await signIn(t, 'operator');
    const res = await t.app.inject({ method: 'GET', url: `/api/usuarias/${her.usuariaId}/location?limit=5`, headers: bearer(operator.token) });
    expect(res.statusCode).toBe(200);
    // newest first: the one the INVITE carried, then the platform's report of two minutes before
    expect(res.json().positions).toMatchObject([{ lat: 40.4168, lon: -3.7038, accuracyM: 35, source: 'sip_invite' },
      { lat: 28.1235, lon: -15.4363, accuracyM: 12, source: 'platform' }]);
    const { rows } = await t.pool.query(`select actor_id, detail from audit_log where action = 'location.read' and usuaria_id = $1`, [her.usuariaId]);
    expect(rows).toEqual([{ actor_id: operator.userId, detail: { positions: res.json().positions.length } }]);
    expect((await t.app.inject({ method: 'GET', url: `/api/usuarias/${her.usuariaId}/location` })).statusCode).toBe(401);
  });
});

describe('retention', () => {
  it('deletes positions older than the retention and keeps the rest, as time moves on', async () => {
    const { rows: [terminal] } = await t.pool.query('select id as "terminalId", usuaria_id as "usuariaId" from terminals where msisdn = $1', [her.msisdn]);
    const day = 24 * 3600_000;
    const now = t.clock.now().getTime();
    const old = await location.record(t.pool, terminal, 'platform', { lat: 40, lon: -3, accuracyM: null, at: new Date(now - 20 * day) });
    const recent = await location.record(t.pool, terminal, 'platform', { lat: 41, lon: -3, accuracyM: null, at: new Date(now - 5 * day) });
    const kept = async (id: string) => (await t.pool.query('select 1 from terminal_positions where id = $1', [id])).rowCount === 1;
    await location.purgeExpired();
    expect([await kept(old), await kept(recent)]).toEqual([true, true]);
    t.clock.advance(11 * day);
    await location.purgeExpired();
    expect([await kept(old), await kept(recent)]).toEqual([false, true]);
    t.clock.advance(20 * day);
    await location.purgeExpired();
    expect(await kept(recent)).toBe(false);
    t.clock.set(new Date(now));
  });
});
