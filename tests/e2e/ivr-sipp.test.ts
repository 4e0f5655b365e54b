import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { subscribeDtmf, testRtpengine } from '../helpers/rtpengine.ts';
import { LINES, until } from '../integration/inbound-contract.ts';
import { lockDrachtio } from '../fixtures/sipp/drachtio-lock.ts';
import { freeUdpPort as freePortOn, killSipps, report, runSipp, SCENARIOS, udpPortTaken } from '../fixtures/sipp/sipp.ts';

/*
 * The information line's menu over a real drachtio-server, with sipp as the terminal (its key sent
 * as RFC 2833 RTP from a pcap) and as the operator's phone, and the run's real rtpengine as media.
 * Settings as in sip-drachtio.test.ts (DRACHTIO_HOST, DRACHTIO_PORT, DRACHTIO_SECRET, DRACHTIO_SIP_PORT,
 * DRACHTIO_SIP_HOST, SIPP_LOCAL_IP, SIPP_BIN), plus SIPP_DTMF_PCAP (default Debian's dtmf_2833_1.pcap).
 * It takes its turn on the drachtio-server with the other suites that use it (tests/fixtures/sipp/drachtio-lock.ts).
 */
const env = process.env;
const REASON = 'needs a drachtio-server: set DRACHTIO_HOST (and DRACHTIO_PORT, DRACHTIO_SECRET, DRACHTIO_SIP_PORT)';
const SIP_TARGET = `${env.DRACHTIO_SIP_HOST || env.DRACHTIO_HOST}:${env.DRACHTIO_SIP_PORT || 5060}`;
const LOCAL_IP = env.SIPP_LOCAL_IP || '127.0.0.1';
const DTMF_PCAP = env.SIPP_DTMF_PCAP || '/usr/share/sip-tester/dtmf_2833_1.pcap';

const freeUdpPort = () => freePortOn(LOCAL_IP);
const sipp = (args: string[], links: Record<string, string> = {}) => runSipp('ivr', args, { timeoutS: 30, links });

describe.skipIf(!env.DRACHTIO_HOST)(`the information line's IVR through a real drachtio-server, sipp and rtpengine (${REASON})`, () => {
  let t: TestApp;
  let prompts: string;
  let unlock: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    unlock = await lockDrachtio(env.DRACHTIO_HOST!, Number(env.DRACHTIO_PORT || 9022));
    const { ng } = testRtpengine();
    const dtmfPort = await freePortOn('127.0.0.1');
    prompts = await mkdtemp(path.join(os.tmpdir(), 'atenpro-e2e-prompts-'));
    const base = (await import('../../app/config.ts')).loadConfig({});
    t = await startTestApp({
      drachtio: { host: env.DRACHTIO_HOST, port: Number(env.DRACHTIO_PORT || 9022), secret: env.DRACHTIO_SECRET || '' },
      sip: { allowedSources: [`${LOCAL_IP}/32`], trustedTrunks: [], trunkHost: `${LOCAL_IP}:5090` },
      media: { ...base.media, rtpengineHost: ng.host, rtpenginePort: ng.port, dtmfHost: '127.0.0.1', dtmfPort,
        promptsDir: path.join(prompts, 'generated'), promptsOverrideDir: path.join(prompts, 'recorded') },
    });
    await subscribeDtmf(dtmfPort);
    await until(() => t.logs.some((l) => l.includes('connected to drachtio-server')), 10_000);
  }, 180_000);
  afterAll(async () => {
    killSipps();
    await t?.close();
    if (prompts) await rm(prompts, { recursive: true, force: true });
    await unlock?.();
  });

  it('answers with media, takes the key from the RTP and puts her through to an operator on the info line', async () => {
    const phonePort = await freeUdpPort();
    const op = await signIn(t, 'operator');
    await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, `sip:op@${LOCAL_IP}:${phonePort}`]);
    await t.app.telephony.inbound.setPresence(op.userId, 'available');
    const phone = sipp(['-sf', path.join(SCENARIOS, 'operator-phone.xml'), '-i', LOCAL_IP, '-p', String(phonePort), '-t', 'u1']);
    await until(() => udpPortTaken(phonePort, LOCAL_IP), 5000);
    const callId = `e2e-ivr-${Date.now()}@${LOCAL_IP}`;
    const terminal = await sipp([SIP_TARGET, '-sf', path.join(SCENARIOS, 'terminal-ivr.xml'), '-s', LINES.info,
      '-set', 'caller', '+34699000777', '-i', LOCAL_IP, '-p', String(await freeUdpPort()), '-t', 'u1',
      '-mi', LOCAL_IP, '-cid_str', callId], { 'dtmf.pcap': DTMF_PCAP });
    expect(terminal.code, report('terminal', terminal)).toBe(0);
    const operatorPhone = await phone;
    expect(operatorPhone.code, report('operator', operatorPhone)).toBe(0);
    await until(async () => (await t.pool.query('select outcome from call_attempts where provider_call_id = $1', [callId])).rows[0]?.outcome === 'completed');
    const row = (await t.pool.query('select line, operator_id from call_attempts where provider_call_id = $1', [callId])).rows[0];
    expect(row).toEqual({ line: 'info', operator_id: op.userId });
    // the operator came from the menu's key 1, not from a fallback that skips the IVR
    expect(t.logs.filter((l) => /IVR (media unavailable|could not answer|flow failed)/.test(l))).toEqual([]);
  }, 60_000);
});
