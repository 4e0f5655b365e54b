import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../common/errors.ts';
import { rtpengineMedia, type Digit, type RtpengineMedia } from '../../ivr/media/index.ts';
import { promptLibrary, type PromptLibrary } from '../../ivr/prompts/index.ts';
import { RtpCaller, testMedia } from '../helpers/rtpengine.ts';
import { until } from './inbound-contract.ts';

/* The media port against the real rtpengine-daemon the test run started (tests/global-setup.ts). */

describe('SIP media on rtpengine', () => {
  let media: RtpengineMedia;
  let prompts: PromptLibrary;
  let dir: string;
  beforeAll(async () => {
    media = await testMedia();
    dir = await mkdtemp(path.join(os.tmpdir(), 'atenpro-prompts-'));
    prompts = promptLibrary({ dir: path.join(dir, 'generated'), overrideDir: path.join(dir, 'recorded') });
  });
  afterAll(async () => {
    await media.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function call(opts: { telephoneEvent?: boolean } = {}) {
    const caller = await RtpCaller.open();
    const session = await media.open({ callId: `${randomUUID()}@terminal`, fromTag: randomUUID().slice(0, 8),
      sdpOffer: caller.offer(Date.now(), opts) });
    caller.answered(session.sdpAnswer);
    return { caller, session };
  }

  it('answers her offer with an address of its own and plays a Spanish prompt to her', async () => {
    const { caller, session } = await call();
    try {
      expect(session.sdpAnswer).toMatch(/^m=audio \d+ RTP\/AVP .*\b0\b/m);
      expect(session.sdpAnswer).not.toContain(`m=audio ${caller.port} `);
      const file = await prompts.file({ id: 'prueba-bienvenida', text: 'Bienvenida. Pulse uno para hablar con una operadora.' });
      const { durationMs } = await session.play(file);
      expect(durationMs).toBeGreaterThan(1000); // the spoken sentence, not an empty file
      // PCMU at 20 ms a packet: a second of the prompt is about fifty packets
      await until(() => (caller.received.get(0) ?? 0) >= 40, 5000);
      await session.stop();
      const stopped = caller.packets;
      await new Promise((r) => setTimeout(r, 300));
      expect(caller.packets - stopped).toBeLessThan(8); // what was already on its way, then silence (300 ms more would be 15)
    } finally {
      await session.close();
      await caller.close();
    }
  });

  it('delivers the RFC 2833 keys she presses to the session, in order, each once', async () => {
    const { caller, session } = await call();
    const digits: Digit[] = [];
    session.onDigit((d) => digits.push(d));
    try {
      await caller.audio(5);
      const keys = '1234567890*#';
      await caller.press(keys);
      await until(() => digits.length >= keys.length, 5000);
      await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive by now
      expect(digits.join('')).toBe(keys);
    } finally {
      await session.close();
      await caller.close();
    }
  });

  it('hears keys pressed as tones in her audio (in-band) from a phone that sends no RFC 2833 events', async () => {
    const { caller, session } = await call({ telephoneEvent: false });
    const digits: Digit[] = [];
    session.onDigit((d) => digits.push(d));
    try {
      await caller.audio(5);
      await caller.tones('159#');
      await until(() => digits.length >= 4, 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(digits.join('')).toBe('159#');
    } finally {
      await session.close();
      await caller.close();
    }
  });

  it('keeps the keys of each call to its own session', async () => {
    const a = await call();
    const b = await call();
    const heard = { a: [] as string[], b: [] as string[] };
    a.session.onDigit((d) => heard.a.push(d));
    b.session.onDigit((d) => heard.b.push(d));
    try {
      await Promise.all([a.caller.press('159'), b.caller.press('#20')]);
      await until(() => heard.a.length >= 3 && heard.b.length >= 3, 5000);
      expect(heard).toEqual({ a: ['1', '5', '9'], b: ['#', '2', '0'] });
    } finally {
      for (const c of [a, b]) { await c.session.close(); await c.caller.close(); }
    }
  });

  it('delivers no key after the session is closed', async () => {
    const { caller, session } = await call();
    const digits: string[] = [];
    session.onDigit((d) => digits.push(d));
    await session.close();
    await session.close(); // idempotent
    expect(media.openSessions).toBe(0);
    await caller.press('7');
    await new Promise((r) => setTimeout(r, 200));
    expect(digits).toEqual([]);
    await caller.close();
  });

  it('says clearly that the media server is unavailable when it does not answer', async () => {
    const dead = await rtpengineMedia({ ng: { host: '127.0.0.1', port: 9 }, dtmf: { host: '127.0.0.1', port: 0 }, sinkAddress: '127.0.0.1',
      timeoutMs: 150, log: pino({ level: 'silent' }) });
    const caller = await RtpCaller.open();
    try {
      const err = await dead.open({ callId: 'x@y', fromTag: 'z', sdpOffer: caller.offer() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'provider_unavailable', retryable: true });
      expect((err as Error).message).toMatch(/did not answer offer within 150 ms/);
    } finally {
      await dead.close();
      await caller.close();
    }
  });

  it('reports a refusal by the daemon as unavailable media, with its reason', async () => {
    const { caller, session } = await call();
    try {
      const err = await session.play(path.join(dir, 'no-such-prompt.wav')).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'provider_unavailable', retryable: false });
    } finally {
      await session.close();
      await caller.close();
    }
  });
});

describe('prompt files', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'atenpro-prompts-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('synthesises 8 kHz mono 16-bit WAVs once, again only when the text changes, and prefers a recording', async () => {
    const lib = promptLibrary({ dir: path.join(dir, 'gen'), overrideDir: path.join(dir, 'rec') });
    const prompts = [{ id: 'p-uno', text: 'Pulse uno.' }, { id: 'p-dos', text: 'Pulse dos.' }];
    expect(await lib.ensure(prompts)).toEqual({ generated: ['p-uno', 'p-dos'], upToDate: [], recorded: [] });
    const wav = await readFile(path.join(dir, 'gen', 'p-uno.wav'));
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect({ channels: wav.readUInt16LE(22), rate: wav.readUInt32LE(24), bits: wav.readUInt16LE(34) }).toEqual({ channels: 1, rate: 8000, bits: 16 });
    const made = (await stat(path.join(dir, 'gen', 'p-uno.wav'))).mtimeMs;

    // a second library on the same directory (the next start of the app) finds them up to date
    const again = promptLibrary({ dir: path.join(dir, 'gen'), overrideDir: path.join(dir, 'rec') });
    expect(await again.ensure(prompts)).toEqual({ generated: [], upToDate: ['p-uno', 'p-dos'], recorded: [] });
    expect((await stat(path.join(dir, 'gen', 'p-uno.wav'))).mtimeMs).toBe(made);
    expect(await again.ensure([{ id: 'p-uno', text: 'Pulse uno, por favor.' }])).toMatchObject({ generated: ['p-uno'] });

    await mkdir(path.join(dir, 'rec'), { recursive: true });
    await writeFile(path.join(dir, 'rec', 'p-dos.wav'), wav);
    expect(await again.file({ id: 'p-dos', text: 'Pulse dos.' })).toBe(path.join(dir, 'rec', 'p-dos.wav'));
    expect(await again.ensure([{ id: 'p-uno', text: 'Pulse uno, por favor.' }, prompts[1]!]))
      .toEqual({ generated: [], upToDate: ['p-uno'], recorded: ['p-dos'] });
  });

  it('refuses a prompt id that could name a file outside its directory', async () => {
    const lib = promptLibrary({ dir: path.join(dir, 'gen'), overrideDir: path.join(dir, 'rec') });
    await expect(lib.file({ id: '../../etc/passwd', text: 'x' })).rejects.toThrow(/cannot name a file/);
  });
});
