import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../app/health.routes.ts';
import { buildApp } from '../../app/server.ts';
import { createLogger } from '../../common/log.ts';
import { callStateStore } from '../../telephony/call-state.ts';
import { loadConfig, type Config } from '../../app/config.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { redisUrl } from '../helpers/redis.ts';
import { lockDrachtio } from '../fixtures/sipp/drachtio-lock.ts';
import { freeUdpPort as freePortOn, killSipps, received, report, runSipp, SCENARIOS, sippFound, udpPortTaken } from '../fixtures/sipp/sipp.ts';
import { subscribeDtmf, testRtpengine } from '../helpers/rtpengine.ts';
import { LINES, until } from '../integration/inbound-contract.ts';

/*
 * The SIP path against a real drachtio-server, with sipp playing the terminal and the operator's phone.
 *
 *   DRACHTIO_HOST       address of the drachtio-server's admin (control) port; the suite is skipped without it
 *   DRACHTIO_PORT       its admin port (default 9022)
 *   DRACHTIO_SECRET     its admin secret
 *   DRACHTIO_SIP_PORT   the port it takes SIP on over UDP (default 5060)
 *   DRACHTIO_SIP_HOST   the address it takes SIP on (default DRACHTIO_HOST)
 *   SIPP_LOCAL_IP       the address sipp binds to and the app allows SIP from (default 127.0.0.1)
 *   SIPP_BIN            the sipp binary (default `sipp`, Debian's sip-tester)
 *
 * No app must be connected to that drachtio-server but the two this suite starts: drachtio hands each
 * INVITE to one of its connected apps, and both of these share the test database and Redis prefix.
 * The suites of this run that use it take turns (tests/fixtures/sipp/drachtio-lock.ts).
 * Both use the run's rtpengine (tests/global-setup.ts), each with a DTMF port and prompts of its own:
 * left to themselves, each would start an rtpengine of its own on the same ng port.
 */
const env = process.env;
const REASON = 'needs a drachtio-server: set DRACHTIO_HOST (and DRACHTIO_PORT, DRACHTIO_SECRET, DRACHTIO_SIP_PORT)';
const SIP_HOST = env.DRACHTIO_SIP_HOST || env.DRACHTIO_HOST || '';
const SIP_PORT = Number(env.DRACHTIO_SIP_PORT || 5060);
const LOCAL_IP = env.SIPP_LOCAL_IP || '127.0.0.1';
const SIPP = env.SIPP_BIN || 'sipp';
const sipp = (name: string, args: string[]) => runSipp(name, args, { timeoutS: 20 });
const freeUdpPort = () => freePortOn(LOCAL_IP);

/** An operator's phone: sipp as a UAS on a free port, answering one call. */
async function operatorPhone() {
  const port = await freeUdpPort();
  const done = sipp('operator', ['-sf', path.join(SCENARIOS, 'operator-phone.xml'), '-i', LOCAL_IP, '-p', String(port), '-t', 'u1']);
  await until(() => udpPortTaken(port, LOCAL_IP), 5000);
  return { port, done };
}

/** A terminal calling a centre line through drachtio; the Call-ID is the call's provider id in the record. */
function terminalCall(scenario: 'terminal-call' | 'terminal-waits' | 'terminal-bad-cancel' | 'terminal-location', caller: string, line: string,
  extra: string[] = []) {
  const callId = `e2e-${randomBytes(6).toString('hex')}-%u@%s`;
  const done = freeUdpPort().then((port) => sipp('terminal', [`${SIP_HOST}:${SIP_PORT}`, '-sf', path.join(SCENARIOS, `${scenario}.xml`),
    '-s', line, '-set', 'caller', caller, ...extra, '-i', LOCAL_IP, '-p', String(port), '-t', 'u1', '-cid_str', callId]));
  return { providerCallId: callId.replace('%u', '1').replace('%s', LOCAL_IP), done };
}

const prompts: string[] = [];

/** The IVR media settings of one instance: the run's rtpengine, a DTMF port subscribed to its relay, prompts in a temp dir. */
async function mediaOfInstance(): Promise<Config['media']> {
  const { ng } = testRtpengine();
  const dtmfPort = await freePortOn('127.0.0.1');
  await subscribeDtmf(dtmfPort);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'atenpro-e2e-prompts-'));
  prompts.push(dir);
  return { ...loadConfig({}).media, rtpengineHost: ng.host, rtpenginePort: ng.port, dtmfHost: '127.0.0.1', dtmfPort,
    promptsDir: path.join(dir, 'generated'), promptsOverrideDir: path.join(dir, 'recorded') };
}

/** A second instance of the service on the same database and Redis prefix, as production runs two. */
async function secondInstance(t: TestApp): Promise<{ app: FastifyInstance; logs: string[]; close(): Promise<void> }> {
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  const config = { ...t.config, instanceId: `${t.config.instanceId}-b`, media: await mediaOfInstance() };
  const app = await buildApp({ config, pool: t.pool, redis, cipher: t.cipher, clock: t.clock, logger: createLogger('info', sink),
    registry: createRegistry() });
  await app.ready();
  return { app, logs, async close() { await app.close(); redis.disconnect(); } };
}

async function connected(logs: string[], who: string): Promise<void> {
  const trouble = () => logs.filter((l) => l.includes('drachtio connection')).at(-1);
  await until(() => {
    if (logs.some((l) => l.includes('drachtio connection failed'))) throw new Error(`${who} could not connect to drachtio: ${trouble()}`);
    return logs.some((l) => l.includes('connected to drachtio-server'));
  }, 10_000).catch((err: Error) => {
    throw err.message.includes('could not connect') ? err
      : new Error(`${who} did not connect to drachtio at ${env.DRACHTIO_HOST}:${env.DRACHTIO_PORT || 9022} in 10 s: ${trouble() ?? 'no answer'}`);
  });
}

describe.skipIf(!env.DRACHTIO_HOST)(`SIP through a real drachtio-server with sipp (${REASON})`, () => {
  let t: TestApp;
  let b: Awaited<ReturnType<typeof secondInstance>>;
  let coordinator: string;
  let centreId: string;
  let unlock: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (!(await sippFound())) throw new Error(`sipp not found (${SIPP}): install Debian's sip-tester or set SIPP_BIN`);
    unlock = await lockDrachtio(env.DRACHTIO_HOST!, Number(env.DRACHTIO_PORT || 9022));
    t = await startTestApp({
      drachtio: { host: env.DRACHTIO_HOST, port: Number(env.DRACHTIO_PORT || 9022), secret: env.DRACHTIO_SECRET || '' },
      sip: { allowedSources: [`${LOCAL_IP}/32`], trustedTrunks: [], trunkHost: `${LOCAL_IP}:5090` },
      media: await mediaOfInstance(),
    });
    b = await secondInstance(t);
    await connected(t.logs, 'the first instance');
    await connected(b.logs, 'the second instance');
    // srf sends its routes (invite, options) right after it authenticates
    await new Promise((r) => setTimeout(r, 300));
    coordinator = (await signIn(t, 'coordinator')).token;
    centreId = (await createCentre(t.pool)).id;
  }, 180_000);

  afterAll(async () => {
    killSipps();
    await b?.close();
    await t?.close();
    for (const dir of prompts) await rm(dir, { recursive: true, force: true });
    await unlock?.();
  });

  const usuaria = async () => {
    const body = altaBody(centreId);
    const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coordinator), payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return { usuariaId: res.json().usuariaId as string, msisdn: body.terminal.msisdn as string };
  };
  const operator = async (port: number) => {
    const u = await signIn(t, 'operator');
    await t.pool.query('update users set device_uri = $2 where id = $1', [u.userId, `sip:op-${u.userId.slice(0, 8)}@${LOCAL_IP}:${port}`]);
    return u.userId;
  };
  const attempt = async (providerCallId: string) => (await t.pool.query(
    'select usuaria_id, caller, line, operator_id, answered_at, outcome from call_attempts where provider_call_id = $1',
    [providerCallId])).rows[0];

  it('connects a terminal calling the emergency line to the free operator, and records the call', async () => {
    const u = await usuaria();
    const phone = await operatorPhone();
    const operatorId = await operator(phone.port);
    await t.app.telephony.inbound.setPresence(operatorId, 'available');

    const call = terminalCall('terminal-call', u.msisdn, LINES.emergency);
    const [caller, op] = await Promise.all([call.done, phone.done]);
    expect(caller.code, report('terminal', caller)).toBe(0);
    expect(op.code, report('operator', op)).toBe(0);

    await until(async () => (await attempt(call.providerCallId))?.outcome === 'completed');
    const row = await attempt(call.providerCallId);
    expect(row).toMatchObject({ usuaria_id: u.usuariaId, caller: u.msisdn, line: 'emergency', operator_id: operatorId, outcome: 'completed' });
    expect(row.answered_at).not.toBeNull();
    expect(await t.app.telephony.inbound.desk.presence(operatorId)).toBe('wrap_up');
  }, 60_000);

  it('tells a caller she is queued (182) while nobody is free, and connects her when an operator becomes free', async () => {
    const u = await usuaria();
    expect(await t.app.telephony.inbound.desk.waiting()).toHaveLength(0);
    const call = terminalCall('terminal-waits', u.msisdn, LINES.general);
    await until(async () => (await t.app.telephony.inbound.desk.waiting()).length === 1, 10_000);
    expect(await attempt(call.providerCallId)).toMatchObject({ usuaria_id: u.usuariaId, line: 'general', operator_id: null });

    // drachtio gave the INVITE to one of the two instances: the operator becomes free on the other one,
    // which must hand the call to its holder to bridge
    const [callId] = await t.app.telephony.inbound.desk.waiting();
    const heldByFirst = t.logs.some((l) => l.includes(callId!) && l.includes('inbound call'));
    const heldBySecond = b.logs.some((l) => l.includes(callId!) && l.includes('inbound call'));
    expect(heldByFirst !== heldBySecond, 'exactly one instance took the INVITE').toBe(true);
    const other = heldByFirst ? b.app : t.app;

    const phone = await operatorPhone();
    const operatorId = await operator(phone.port);
    await other.telephony.inbound.setPresence(operatorId, 'available');
    const [caller, op] = await Promise.all([call.done, phone.done]);
    expect(caller.code, report('terminal', caller)).toBe(0);
    expect(op.code, report('operator', op)).toBe(0);

    await until(async () => (await attempt(call.providerCallId))?.outcome === 'completed');
    const row = await attempt(call.providerCallId);
    expect(row).toMatchObject({ usuaria_id: u.usuariaId, line: 'general', operator_id: operatorId, outcome: 'completed' });
    expect(row.answered_at).not.toBeNull();
  }, 60_000);

  it('drops a queued call whose INVITE drachtio ended behind the app, instead of ringing each free operator with it', async () => {
    const dead = terminalCall('terminal-bad-cancel', '+34699000888', LINES.general);
    const r = await dead.done;
    expect(r.code, report('terminal', r)).toBe(0); // it got its 481: drachtio has ended the INVITE with 500
    expect(await t.app.telephony.inbound.desk.waiting(), 'the app was not told').toHaveLength(1);

    // the first operator to become free answers a call whose caller is gone: srf hangs up on her
    const phone1 = await operatorPhone();
    const first = await operator(phone1.port);
    await t.app.telephony.inbound.setPresence(first, 'available');
    const p1 = await phone1.done;
    expect(p1.code, report('first operator', p1)).toBe(0);
    await until(async () => (await attempt(dead.providerCallId))?.outcome === 'failed');
    expect(await t.app.telephony.inbound.desk.waiting()).toHaveLength(0);
    expect(await t.app.telephony.inbound.desk.presence(first)).toBe('wrap_up');

    // the next caller gets the next operator
    const phone2 = await operatorPhone();
    const second = await operator(phone2.port);
    await t.app.telephony.inbound.setPresence(second, 'available');
    const call = terminalCall('terminal-call', '+34699000999', LINES.general);
    const [caller, p2] = await Promise.all([call.done, phone2.done]);
    expect(caller.code, report('terminal', caller)).toBe(0);
    expect(p2.code, report('second operator', p2)).toBe(0);
    await until(async () => (await attempt(call.providerCallId))?.outcome === 'completed');
    expect(await attempt(call.providerCallId)).toMatchObject({ operator_id: second, outcome: 'completed' });
  }, 90_000);

  it('takes her position from an INVITE with a PIDF-LO (RFC 6442, multipart/mixed) onto the pop, and offers the operator the SDP alone', async () => {
    const u = await usuaria();
    const phone = await operatorPhone();
    const operatorId = await operator(phone.port);
    await t.app.telephony.inbound.setPresence(operatorId, 'available');

    const call = terminalCall('terminal-location', u.msisdn, LINES.emergency, ['-set', 'lat', '40.4168', '-set', 'lon', '-3.7038', '-set', 'radius', '35']);
    const [caller, op] = await Promise.all([call.done, phone.done]);
    expect(caller.code, report('terminal', caller)).toBe(0);
    expect(op.code, report('operator', op)).toBe(0);
    await until(async () => (await attempt(call.providerCallId))?.outcome === 'completed');
    expect(await attempt(call.providerCallId)).toMatchObject({ usuaria_id: u.usuariaId, line: 'emergency', operator_id: operatorId });

    const calls = callStateStore(t.redis, t.config.redisPrefix, t.cipher);
    const pop = await calls.pop((await calls.idOf('sip', call.providerCallId))!);
    expect(pop?.position).toMatchObject({ lat: 40.4168, lon: -3.7038, accuracyM: 35, source: 'sip_invite' });
    const { rows: [stored] } = await t.pool.query(`select count(*)::int as n from terminal_positions where usuaria_id = $1 and source = 'sip_invite'`,
      [u.usuariaId]);
    expect(stored.n).toBe(1);
    // the operator's phone got an INVITE with an SDP body and nothing of the PIDF-LO
    const invite = op.traces.slice(op.traces.indexOf('INVITE sip:'));
    expect(invite).toMatch(/Content-Type: application\/sdp/i);
    expect(invite).not.toMatch(/pidf|Geolocation|loc-boundary/i);
  }, 60_000);

  it('answers a SCAIP MESSAGE (application/scaip+xml) with its <mrs> and records the test transmission; a malformed one gets 400', async () => {
    const u = await usuaria();
    const scaip = async (mrq: string) => sipp('scaip', [`${SIP_HOST}:${SIP_PORT}`, '-sf', path.join(SCENARIOS, 'scaip-message.xml'),
      '-set', 'mrq', mrq, '-i', LOCAL_IP, '-p', String(await freeUdpPort()), '-t', 'u1']);
    const ref = randomBytes(6).toString('hex');
    // a test transmission (device type 0002, status 0102), the device named by her number without the plus
    const ok = await scaip(`<?xml version="1.0" encoding="UTF-8"?><mrq><ref>${ref}</ref><mty>ME</mty><cid>${u.msisdn.slice(1)}</cid>`
      + '<dty>0002</dty><stc>0102</stc></mrq>');
    expect(ok.code, report('scaip', ok)).toBe(0);
    const answer = received(ok).at(-1);
    expect(answer?.status, report('scaip', ok)).toBe(200);
    expect(answer?.text).toMatch(/Content-Type: application\/scaip\+xml/i);
    expect(answer?.text).toContain(`<mrs><ref>${ref}</ref><snu>0</snu></mrs>`);
    const { rows: [alarm] } = await t.pool.query('select category, usuaria_id from terminal_alarms where ref = $1', [ref]);
    expect(alarm).toEqual({ category: 'technical_control', usuaria_id: u.usuariaId });

    const before = (await t.pool.query('select count(*)::int as n from terminal_alarms')).rows[0].n;
    const bad = await scaip('<mrq><ref>abc</ref>');
    expect(bad.code, report('scaip', bad)).toBe(0);
    expect(received(bad).at(-1)?.status, report('scaip', bad)).toBe(400);
    expect(received(bad).at(-1)?.text).toContain('<snu>2</snu>');
    expect((await t.pool.query('select count(*)::int as n from terminal_alarms')).rows[0].n).toBe(before);
  }, 60_000);

  it('gives both instances IVR media on the run\'s rtpengine, without either starting one of its own', () => {
    for (const logs of [t.logs, b.logs]) {
      expect(logs.filter((l) => /IVR media unavailable|rtpengine is not installed/.test(l))).toEqual([]);
    }
  });

  it('answers an OPTIONS ping with 200', async () => {
    const r = await sipp('options', [`${SIP_HOST}:${SIP_PORT}`, '-sf', path.join(SCENARIOS, 'options-ping.xml'), '-i', LOCAL_IP,
      '-p', String(await freeUdpPort()), '-t', 'u1']);
    expect(r.code, report('options', r)).toBe(0);
  }, 60_000);
});
