import { randomBytes } from 'node:crypto';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locationService } from '../../location/index.ts';
import { callStateStore } from '../../telephony/call-state.ts';
import { scaipIngress, sipAdapter } from '../../telephony/sip/index.ts';
import { sipRequest, startDrachtioPeer, type DrachtioPeer, connectSrf } from '../fixtures/drachtio-peer.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { LINES, until } from './inbound-contract.ts';

const CARRIER = '10.20.0.5';
let t: TestApp;
let peer: DrachtioPeer;
let srf: Srf;
let her: { usuariaId: string; msisdn: string; imei: string; terminalId: string };
let operatorId: string;

const imei = () => `35${String(Math.floor(Math.random() * 1e13)).padStart(13, '0')}`;
const newRef = () => randomBytes(6).toString('hex');
const mrq = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><mrq>${inner}</mrq>`;

/** A SIP MESSAGE from a terminal, as it reaches drachtio from the allowed network. */
function message(body: string, opts: { contentType?: string; from?: string } = {}) {
  return peer.inject(sipRequest({ method: 'MESSAGE', uri: 'sip:alarmas@127.0.0.1:5060', to: '<sip:alarmas@127.0.0.1>',
    from: `<sip:${opts.from ?? 'terminal'}@terminal.example>`, via: `${CARRIER}:5060`, body, contentType: opts.contentType ?? 'application/scaip+xml' }),
  { source: CARRIER });
}

async function counts() {
  const { rows: [r] } = await t.pool.query(`select (select count(*)::int from terminal_alarms) as alarms,
    (select count(*)::int from terminal_positions) as positions, (select count(*)::int from call_attempts) as calls,
    (select count(*)::int from incidents) as incidents, (select count(*)::int from terminals where last_selftest_at is not null) as selftests`);
  return r as { alarms: number; positions: number; calls: number; incidents: number; selftests: number };
}

beforeAll(async () => {
  t = await startTestApp();
  const coordinator = (await signIn(t, 'coordinator')).token;
  const centre = await createCentre(t.pool);
  const terminal = { msisdn: `+3466${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, imei: imei(), model: 'T-100' };
  const alta = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coordinator), payload: altaBody(centre.id, { terminal }) });
  expect(alta.statusCode, alta.body).toBe(201);
  const { rows: [row] } = await t.pool.query('select id from terminals where msisdn = $1', [terminal.msisdn]);
  her = { usuariaId: alta.json().usuariaId, msisdn: terminal.msisdn, imei: terminal.imei, terminalId: row.id };
  const { rows: [op] } = await t.pool.query(`insert into users (username, display_name, role, password_hash, device_uri)
    values ('op-scaip', 'x', 'operator', 'x', 'sip:op-scaip@10.9.9.9') returning id`);
  operatorId = op.id;

  peer = await startDrachtioPeer();
  srf = await connectSrf(peer);
  const log = pino({ level: 'silent' });
  const location = locationService({ pool: t.pool, cipher: t.cipher, clock: t.clock, log, retentionDays: 30 });
  const scaip = scaipIngress({ pool: t.pool, clock: t.clock, log: t.app.log as never, inbound: t.app.telephony.inbound, location,
    emergencyNumber: LINES.emergency, storeBudgetMs: 500 });
  t.app.telephony.inbound.register(sipAdapter(srf, t.app.telephony.inbound, { allowedSources: ['10.20.0.0/24'], trustedTrunks: [CARRIER],
    trunkHost: 'trunk.example', ringTimeoutS: 5 }, t.clock, log, { location, scaip }));
  await peer.routed(['invite', 'options', 'message']);
});

afterAll(async () => { srf.disconnect(); await peer.close(); await t.close(); });

describe('SCAIP alarms (SIP MESSAGE, application/scaip+xml)', () => {
  it('puts a panic through to an operator as an emergency, with the position it carries, and answers with the <mrs>', async () => {
    await t.app.telephony.inbound.setPresence(operatorId, 'available');
    const ref = newRef();
    const tx = message(mrq(`<ref>${ref}</ref><mty>ME</mty><cid>${her.imei}</cid><dty>0007</dty><stc>0010</stc>`
      + '<lge><geo>40.41680,-3.70380</geo></lge>'));
    const res = await tx.response();
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toBe('application/scaip+xml');
    expect(res.body).toContain(`<mrs><ref>${ref}</ref><snu>0</snu></mrs>`);

    const { rows: [alarm] } = await t.pool.query('select * from terminal_alarms where ref = $1', [ref]);
    expect(alarm).toMatchObject({ category: 'emergency', terminal_id: her.terminalId, usuaria_id: her.usuariaId, status_code: '0010' });
    const { rows: [call] } = await t.pool.query('select * from call_attempts where id = $1', [alarm.call_id]);
    expect(call).toMatchObject({ line: 'emergency', kind: 'C', usuaria_id: her.usuariaId, operator_id: operatorId });
    // no voice leg: answered by the operator and ended, which leaves her in wrap-up with the pop on screen
    await until(async () => (await t.app.telephony.inbound.desk.presence(operatorId)) === 'wrap_up');
    await until(async () => (await t.pool.query('select outcome from call_attempts where id = $1', [alarm.call_id])).rows[0].outcome === 'completed');
    const pop = await callStateStore(t.redis, t.config.redisPrefix, t.cipher).pop(alarm.call_id);
    expect(pop).toMatchObject({ known: true, line: 'emergency', usuariaId: her.usuariaId,
      position: { lat: 40.4168, lon: -3.7038, accuracyM: null, source: 'scaip' } });
    const { rows: audit } = await t.pool.query(`select * from audit_log where action = 'ficha.pop' and usuaria_id = $1`, [her.usuariaId]);
    expect(audit.length).toBe(1);

    // the device sends it again (no answer reached it): one alarm, one call
    const again = await message(mrq(`<ref>${ref}</ref><mty>ME</mty><cid>${her.imei}</cid><dty>0007</dty><stc>0010</stc>`)).response();
    expect(again.status).toBe(200);
    expect((await t.pool.query('select count(*)::int as n from terminal_alarms where ref = $1', [ref])).rows[0].n).toBe(1);
    expect((await t.pool.query(`select count(*)::int as n from call_attempts where line = 'emergency'`)).rows[0].n).toBe(1);
  });

  it('queues a panic while no operator is free, emergencies first, and gives it to the next one', async () => {
    await t.app.telephony.inbound.setPresence(operatorId, 'offline');
    const ref = newRef();
    // identified by its number this time: the controller id is her MSISDN without the plus
    const res = await message(mrq(`<ref>${ref}</ref><cid>${her.msisdn.slice(1)}</cid><dty>3</dty>`)).response();
    expect(res.status).toBe(200);
    expect((await t.app.telephony.inbound.desk.waiting()).length).toBe(1);
    await t.app.telephony.inbound.setPresence(operatorId, 'available');
    await until(async () => (await t.app.telephony.inbound.desk.presence(operatorId)) === 'wrap_up');
    const { rows: [alarm] } = await t.pool.query('select call_id from terminal_alarms where ref = $1', [ref]);
    const { rows: [call] } = await t.pool.query('select operator_id, outcome from call_attempts where id = $1', [alarm.call_id]);
    expect(call).toEqual({ operator_id: operatorId, outcome: 'completed' });
    expect((await t.app.telephony.inbound.desk.waiting()).length).toBe(0);
  });

  it('records a test transmission and a heartbeat as her terminal\'s self-test, and nothing for an operator', async () => {
    const before = await counts();
    t.clock.advance(60_000);
    const test = await message(mrq(`<ref>${newRef()}</ref><mty>ME</mty><cid>${her.imei}</cid><dty>0002</dty><stc>0102</stc>`)).response();
    expect(test.status).toBe(200);
    const after = async () => (await t.pool.query('select last_selftest_at from terminals where id = $1', [her.terminalId])).rows[0].last_selftest_at;
    expect(await after()).toEqual(t.clock.now());
    t.clock.advance(60_000);
    const ping = await message(mrq(`<ref>${newRef()}</ref><mty>PI</mty><cid>${her.imei}</cid><dty>0002</dty>`)).response();
    expect(ping.status).toBe(200);
    expect(ping.body).toContain('<snu>0</snu>');
    expect(await after()).toEqual(t.clock.now());
    // the test transmission is kept; heartbeats only move the self-test time
    expect(await counts()).toEqual({ ...before, alarms: before.alarms + 1, selftests: 1 });
    const { rows } = await t.pool.query(`select category from terminal_alarms where terminal_id = $1 and category = 'technical_control'`, [her.terminalId]);
    expect(rows.length).toBe(1);
  });

  it('opens one technical incident for a low battery, and links a later device fault to it', async () => {
    const battery = await message(mrq(`<ref>${newRef()}</ref><cid>${her.imei}</cid><dty>0007</dty><stc>0016</stc>`)).response();
    expect(battery.status).toBe(200);
    const fault = await message(mrq(`<ref>${newRef()}</ref><cid>${her.imei}</cid><dty>0002</dty><stc>0067</stc>`)).response();
    expect(fault.status).toBe(200);
    const { rows: incidents } = await t.pool.query(`select id from incidents where usuaria_id = $1 and kind = 'tecnica' and status = 'open'`, [her.usuariaId]);
    expect(incidents.length).toBe(1);
    const { rows: alarms } = await t.pool.query(`select incident_id from terminal_alarms where category = 'technical_incident'`);
    expect(alarms).toEqual([{ incident_id: incidents[0].id }, { incident_id: incidents[0].id }]);
  });

  it('refuses malformed XML, an unknown body, a wrong content type and an unknown device with 400, writes nothing, logs no personal data', async () => {
    const before = await counts();
    const logsBefore = t.logs.length;
    const malformed = await message(`<mrq><ref>1</ref><cid>${her.imei}</cid>`).response();
    expect(malformed.status).toBe(400);
    expect(malformed.body).toContain('<snu>2</snu>');
    const unknownBody = await message(`<alarm><cid>${her.imei}</cid></alarm>`).response();
    expect(unknownBody.status).toBe(400);
    const missing = await message(mrq(`<ref>abc</ref><dty>7</dty>`)).response();
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('<mrs><ref>abc</ref><snu>7</snu></mrs>');
    const wrongType = await message(mrq(`<ref>${newRef()}</ref><cid>${her.imei}</cid><dty>7</dty>`), { contentType: 'text/plain' }).response();
    expect(wrongType.status).toBe(400);
    const stranger = newRef();
    const unknown = await message(mrq(`<ref>${stranger}</ref><cid>34699111222</cid><dty>7</dty><stc>0010</stc><crd>gsm:+34699111222</crd>`),
      { from: '+34699111222' }).response();
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain(`<mrs><ref>${stranger}</ref><snu>3</snu></mrs>`);
    expect(await counts()).toEqual(before);

    const lines = t.logs.slice(logsBefore).join('\n');
    expect(lines).toContain('SCAIP message refused');
    expect(lines).toContain('unknown_device');
    expect(lines).toContain('not a SCAIP body');
    for (const secret of [her.imei, her.msisdn, '699111222']) expect(lines).not.toContain(secret);
  });
});
