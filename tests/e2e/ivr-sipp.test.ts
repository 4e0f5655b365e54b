import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { subscribeDtmf, testRtpengine } from '../helpers/rtpengine.ts';
import { LINES, until } from '../integration/inbound-contract.ts';

/*
 * The information line's menu over a real drachtio-server, with sipp as the terminal (its key sent
 * as RFC 2833 RTP from a pcap) and as the operator's phone, and the run's real rtpengine as media.
 * Settings as in sip-drachtio.test.ts (DRACHTIO_HOST, DRACHTIO_PORT, DRACHTIO_SECRET, DRACHTIO_SIP_PORT,
 * DRACHTIO_SIP_HOST, SIPP_LOCAL_IP, SIPP_BIN), plus SIPP_DTMF_PCAP (default Debian's dtmf_2833_1.pcap).
 */
const env = process.env;
const REASON = 'needs a drachtio-server: set DRACHTIO_HOST (and DRACHTIO_PORT, DRACHTIO_SECRET, DRACHTIO_SIP_PORT)';
const SIP_TARGET = `${env.DRACHTIO_SIP_HOST || env.DRACHTIO_HOST}:${env.DRACHTIO_SIP_PORT || 5060}`;
const LOCAL_IP = env.SIPP_LOCAL_IP || '127.0.0.1';
const SIPP = env.SIPP_BIN || 'sipp';
const DTMF_PCAP = env.SIPP_DTMF_PCAP || '/usr/share/sip-tester/dtmf_2833_1.pcap';
const SCENARIOS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sipp');

const freeUdpPort = (): Promise<number> => new Promise((resolve) => {
  const s = createSocket('udp4');
  s.bind(0, LOCAL_IP, () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** Runs sipp once in a directory of its own; resolves with its exit code and the tail of its output. */
async function sipp(args: string[]): Promise<{ code: number | null; output: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'atenpro-sipp-ivr-'));
  const child = spawn(SIPP, [...args, '-m', '1', '-timeout', '30s', '-nostdin'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => { output = (output + b).slice(-4000); });
  child.stderr!.on('data', (b: Buffer) => { output = (output + b).slice(-4000); });
  const code = await new Promise<number | null>((resolve) => { child.once('error', () => resolve(null)); child.once('close', resolve); });
  await rm(dir, { recursive: true, force: true });
  return { code, output };
}

describe.skipIf(!env.DRACHTIO_HOST)(`the information line's IVR through a real drachtio-server, sipp and rtpengine (${REASON})`, () => {
  let t: TestApp;
  let prompts: string;

  beforeAll(async () => {
    const { ng } = testRtpengine();
    const dtmfPort = await freeUdpPort();
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
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await rm(prompts, { recursive: true, force: true });
  });

  it('answers with media, takes the key from the RTP and puts her through to an operator on the info line', async () => {
    const phonePort = await freeUdpPort();
    const op = await signIn(t, 'operator');
    await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, `sip:op@${LOCAL_IP}:${phonePort}`]);
    await t.app.telephony.inbound.setPresence(op.userId, 'available');
    const phone = sipp(['-sf', path.join(SCENARIOS, 'operator-phone.xml'), '-i', LOCAL_IP, '-p', String(phonePort), '-t', 'u1']);
    await new Promise((r) => setTimeout(r, 500));
    const callId = `e2e-ivr-${Date.now()}@${LOCAL_IP}`;
    const terminal = await sipp([SIP_TARGET, '-sf', path.join(SCENARIOS, 'terminal-ivr.xml'), '-s', LINES.info,
      '-set', 'caller', '+34699000777', '-set', 'dtmf', DTMF_PCAP, '-i', LOCAL_IP, '-p', String(await freeUdpPort()), '-t', 'u1',
      '-mi', LOCAL_IP, '-cid_str', callId]);
    expect(terminal.code, terminal.output).toBe(0);
    expect((await phone).code).toBe(0);
    await until(async () => (await t.pool.query('select outcome from call_attempts where provider_call_id = $1', [callId])).rows[0]?.outcome === 'completed');
    const row = (await t.pool.query('select line, operator_id from call_attempts where provider_call_id = $1', [callId])).rows[0];
    expect(row).toEqual({ line: 'info', operator_id: op.userId });
  });
});
