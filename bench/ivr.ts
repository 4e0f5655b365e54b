/**
 * `ivr`: concurrent SIP IVR sessions on one app instance (the SIP renderer, drachtio-srf through the
 * control-protocol peer, the MediaPort) with one real rtpengine. At each level, N callers (in a
 * process of their own, sending RTP every 20 ms like phones) call at once; each hears a prompt,
 * presses four keys over RFC 2833 during it, and is hung up on. Figures: the largest level where
 * every session was answered, heard its prompt and had every key delivered; the time from the
 * gather instruction to its first RTP packet at the caller; lost keys; CPU per session (the app's
 * process and rtpengine, during the prompts). Floor: `play media` on one idle session to its first
 * packet, straight through the ng client.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { systemClock } from '../common/clock.ts';
import { validateFlow } from '../ivr/flow.ts';
import { rtpengineMedia, startEmbeddedRtpengine, type MediaPort, type RtpengineMedia } from '../ivr/media/index.ts';
import { promptLibrary, type PromptLibrary } from '../ivr/prompts/index.ts';
import { sipIvr } from '../ivr/sip/index.ts';
import { sdpOffer, sipRequest, startDrachtioPeer } from '../tests/fixtures/drachtio-peer.ts';
import { RtpCaller } from '../tests/helpers/rtp-caller.ts';
import { percentile, round, tempDataDir, writeResult, type BenchResult, type Figures } from './lib.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LEVELS = (process.env.IVR_BENCH_LEVELS || '50,100,150,200').split(',').map(Number);
const KEYS = '1234';
const CPU_WINDOW_MS = 3000;
/** Calls arrive spread over this long (a hundred calls in the same millisecond measure nothing but the burst). */
const RAMP_MS = 2000;
const silent = pino({ level: 'silent' });
const now = () => performance.timeOrigin + performance.now();

const FLOW = validateFlow({
  id: 'bench', name: 'Benchmark', start: 'menu', emergencyKey: '9',
  prompts: {
    'bench-menu': 'Marque ahora las cuatro cifras de su código, una detrás de otra, y espere la respuesta. Gracias por su paciencia.',
    'bench-fin': 'Gracias. Adiós.',
  },
  steps: {
    menu: { verb: 'gather', prompts: ['bench-menu'], numDigits: 4, timeoutS: 20, finishOnKey: null, retries: 0,
      branches: { [KEYS]: 'fin' }, onInvalid: 'fin', onTimeout: 'fin' },
    fin: { verb: 'say', prompt: 'bench-fin', next: 'colgar' },
    colgar: { verb: 'hangup' },
  },
});

function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }));
}

/** CPU time of a process from /proc, in ms (utime + stime at 100 ticks a second). */
async function procCpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const selfCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** The callers' process, one request at a time. */
function callerProcess() {
  const child = fork(path.join(HERE, 'ivr-callers.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let chain: Promise<unknown> = Promise.resolve();
  const ask = <T>(cmd: Record<string, unknown>): Promise<T> => {
    const next = chain.then(async () => {
      child.send(cmd);
      const [msg] = (await once(child, 'message')) as [T & { error?: string }];
      if (msg.error) throw new Error(`callers: ${msg.error}`);
      return msg;
    });
    chain = next.catch(() => undefined);
    return next;
  };
  return { ask, kill: () => child.kill() };
}

async function floor(media: RtpengineMedia, file: string): Promise<number[]> {
  const caller = await RtpCaller.open();
  const session = await media.open({ callId: `floor-${Date.now()}`, fromTag: 'floor', sdpOffer: caller.offer() });
  caller.answered(session.sdpAnswer);
  const samples: number[] = [];
  try {
    for (let i = 0; i < 30; i++) {
      await session.stop();
      await new Promise((r) => setTimeout(r, 60));
      const seen = caller.packets;
      const t0 = performance.now();
      await session.play(file);
      while (caller.packets === seen) await new Promise((r) => setImmediate(r));
      samples.push(caller.arrivals[seen]! - t0);
    }
  } finally {
    await session.close();
    await caller.close();
  }
  return samples;
}

interface Level { ok: boolean; answered: number; heard: number; ended: number; lost: number; firstPacketMs: number[];
  appCpuMs: number; rtpengineCpuMs: number; windowMs: number }

/** Wraps a MediaPort to count the keys each session hears. */
function counting(media: MediaPort, count: { digits: number }): MediaPort {
  return { ...media, branch: (s) => media.branch(s), close: () => media.close(),
    async open(call) { const s = await media.open(call); s.onDigit(() => { count.digits += 1; }); return s; } };
}

async function level(n: number, media: MediaPort, prompts: PromptLibrary, rtpenginePid: number,
  callers: ReturnType<typeof callerProcess>): Promise<Level> {
  const peer = await startDrachtioPeer();
  const srf = new Srf();
  srf.on('error', () => undefined);
  const connected = once(srf, 'connect');
  srf.connect({ host: '127.0.0.1', port: peer.port, secret: peer.secret });
  await connected;
  const count = { digits: 0 };
  const gatherAt = new Map<number, number>();
  const ended = new Set<number>();
  const ivr = sipIvr({ srf, media: counting(media, count), prompts, flows: new Map([[FLOW.id, FLOW]]), clock: systemClock, log: silent,
    routing: { connectFromIvr: async (_c, callId, line) => ({ action: 'wait', callId, line, message: '' }), operatorMissed: async () => undefined },
    deviceUri: (d) => d, ringTimeoutS: 5, waitPrompt: { id: 'bench-fin', text: 'Gracias. Adiós.' },
    onInstruction: (callId, ins) => { const i = Number(callId); if (ins.do === 'gather' && !gatherAt.has(i)) gatherAt.set(i, now()); } });
  srf.invite(async (req, res) => {
    const i = Number(req.get('X-Bench-Index'));
    await ivr.run({ req, res, sdpOffer: req.body, callId: String(i), line: 'info', flowId: FLOW.id,
      call: { provider: 'sip', providerCallId: req.get('Call-ID'), callerRaw: null, dialled: 'bench', receivedAt: new Date() },
      emit: (state) => { if (state === 'completed') ended.add(i); } });
  });
  await peer.routed(['invite']);
  let closing = false;
  void (async () => { while (!closing) (await peer.nextRequest({ method: 'BYE', timeoutMs: 60_000 })).respond(200); })().catch(() => undefined);

  const { offers } = await callers.ask<{ offers: string[] }>({ op: 'open', n });
  const txs = await Promise.all(offers.map(async (sdp, i) => {
    await new Promise((res) => setTimeout(res, (i * RAMP_MS) / n));
    return peer.inject(sipRequest({ method: 'INVITE', uri: 'sip:bench@127.0.0.1:5060', to: '<sip:bench@127.0.0.1>',
    from: `<sip:caller${i}@127.0.0.1>`, via: '127.0.0.1:5070', headers: { 'X-Bench-Index': String(i) }, body: sdp ?? sdpOffer() }));
  }));
  let answered = 0;
  await Promise.all(txs.map(async (tx, i) => {
    const ok = await tx.response(200, { timeoutMs: 20_000 }).catch(() => null);
    if (!ok) return;
    answered += 1;
    await callers.ask({ op: 'answered', i, sdp: ok.body });
  }));
  await callers.ask({ op: 'audio', on: true });
  type Report = { firstPacketAt: (number | null)[]; packets: number[] };
  const report = () => callers.ask<Report>({ op: 'report' });
  const deadline = Date.now() + 20_000;
  let r = await report();
  while (r.firstPacketAt.some((t) => t === null) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 200));
    r = await report();
  }
  const [cpu0, rtp0, t0] = [selfCpuMs(), await procCpuMs(rtpenginePid), now()];
  await new Promise((res) => setTimeout(res, CPU_WINDOW_MS));
  const [cpu1, rtp1, t1] = [selfCpuMs(), await procCpuMs(rtpenginePid), now()];
  await callers.ask({ op: 'press', digits: KEYS, spreadMs: 1000 });
  const endBy = Date.now() + 20_000;
  while (ended.size < n && Date.now() < endBy) await new Promise((res) => setTimeout(res, 100));
  await callers.ask({ op: 'audio', on: false });
  closing = true;
  srf.disconnect();
  await peer.close();
  const firstPacketMs = r.firstPacketAt.flatMap((t, i) => (t !== null && gatherAt.has(i) ? [t - gatherAt.get(i)!] : []));
  const heard = r.firstPacketAt.filter((t) => t !== null).length;
  const lost = n * KEYS.length - count.digits;
  return { ok: answered === n && heard === n && lost === 0 && ended.size === n, answered, heard, ended: ended.size, lost, firstPacketMs,
    appCpuMs: cpu1 - cpu0, rtpengineCpuMs: rtp1 - rtp0, windowMs: t1 - t0 };
}

export async function run(): Promise<BenchResult> {
  const dir = await tempDataDir('atenpro-bench-ivr-');
  const [ngPort, dtmfPort] = [await freeUdpPort(), await freeUdpPort()];
  const daemon = await startEmbeddedRtpengine({ ngPort, dtmfDest: { host: '127.0.0.1', port: dtmfPort }, mediaInterface: '127.0.0.1',
    portMin: 36000, portMax: 37999 });
  const media = await rtpengineMedia({ ng: daemon.ng, dtmf: { host: '127.0.0.1', port: dtmfPort }, sinkAddress: '127.0.0.1', timeoutMs: 2000, log: silent });
  const callers = callerProcess();
  const figures: Figures = {};
  try {
    const prompts = promptLibrary({ dir: path.join(dir, 'prompts'), overrideDir: path.join(dir, 'recorded') });
    await prompts.ensure(Object.entries(FLOW.prompts).map(([id, text]) => ({ id, text })));
    const floorSamples = await floor(media, await prompts.file({ id: 'bench-menu', text: FLOW.prompts['bench-menu']! }));
    figures.floor_first_packet_p99_ms = round(percentile(floorSamples, 99));
    let max = 0;
    const ran: number[] = [];
    for (const n of LEVELS) {
      ran.push(n);
      const l = await level(n, media, prompts, daemon.pid, callers);
      // a level where no prompt reached anyone has no latency to speak of: it shows as a miss
      const p = (q: number) => (l.firstPacketMs.length ? round(percentile(l.firstPacketMs, q)) : 1e6);
      Object.assign(figures, {
        [`first_packet_p50_ms_at_${n}`]: p(50), [`first_packet_p99_ms_at_${n}`]: p(99),
        [`lost_digits_count_at_${n}`]: l.lost, [`unanswered_count_at_${n}`]: n - l.answered, [`silent_count_at_${n}`]: n - l.heard,
        [`not_ended_count_at_${n}`]: n - l.ended,
        [`app_cpu_per_session_ms_per_s_at_${n}`]: round(l.appCpuMs / (l.windowMs / 1000) / n),
        [`rtpengine_cpu_per_session_ms_per_s_at_${n}`]: round(l.rtpengineCpuMs / (l.windowMs / 1000) / n),
      });
      console.log(`  ${n} sessions: ${l.ok ? 'ok' : 'FAILED'} (answered ${l.answered}, heard ${l.heard}, ended ${l.ended}, lost keys ${l.lost})`);
      if (!l.ok) break;
      max = n;
      await new Promise((res) => setTimeout(res, 1000)); // let the daemon drop the last level's calls
    }
    figures.max_concurrent_sessions_count = max;
    // the headline figures are those at 100 sessions (the target), or at the last level run without it
    const at = `at_${figures.first_packet_p99_ms_at_100 !== undefined ? 100 : ran.at(-1)}`;
    figures.first_packet_p99_ms = figures[`first_packet_p99_ms_${at}`]!;
    figures.lost_digits_count = figures[`lost_digits_count_${at}`]!;
    figures.cpu_per_session_ms_per_s = round(figures[`app_cpu_per_session_ms_per_s_${at}`]! + figures[`rtpengine_cpu_per_session_ms_per_s_${at}`]!);
    figures.ratio_first_packet_p99 = round(figures.first_packet_p99_ms / figures.floor_first_packet_p99_ms, 2);
  } finally {
    await callers.ask({ op: 'close' }).catch(() => undefined);
    callers.kill();
    await media.close();
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return writeResult('ivr', { levels: LEVELS.length, max_level: Math.max(...LEVELS), keys_per_session: KEYS.length, cpu_window_ms: CPU_WINDOW_MS,
    ramp_ms: RAMP_MS },
    figures, { max_concurrent_sessions_count: { min: 100 }, first_packet_p99_ms: { max: 100 }, lost_digits_count: { max: 0 } });
}
