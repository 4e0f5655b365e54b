import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { expect } from 'vitest';
import { loadFlows, type FlowCatalog } from '../../ivr/index.ts';
import type { RtpengineMedia } from '../../ivr/media/index.ts';
import { promptLibrary, type PromptLibrary } from '../../ivr/prompts/index.ts';
import { realTimers, sipIvr, type IvrRouting, type IvrTimers, type SipIvr, type SipIvrDeps } from '../../ivr/sip/index.ts';
import { ivrRepo } from '../../store/ivr.repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { Line } from '../../telephony/port.ts';
import type { IvrDriver } from '../integration/ivr-contract.ts';
import type { RtpCaller } from './rtp-caller.ts';
import { startDrachtioPeer, type DrachtioPeer, connectSrf } from '../fixtures/drachtio-peer.ts';
import type { TestApp } from './app.ts';
import { testMedia } from './rtpengine.ts';

/*
 * A SIP IVR on the real rtpengine, driven through the drachtio control-protocol peer, with probes on
 * each call: the prompts it played, where it waits, where it was routed. Prompts play for real but
 * the call moves on after `promptMs` of each (a flow says a minute of text); a gather waits until
 * the test says "time out".
 */

export const WAIT_PROMPT = { id: 'espera-operador', text: 'Le atendemos enseguida. Por favor, no cuelgue.' };

export interface CallProbe {
  /** Prompt ids of the flow played, in order (the queue's wait message left out). */
  heard: string[];
  /** Instructions started so far, and the one whose gather now waits for keys (0: none). */
  instructions: number;
  waitingAt: number;
  /** performance.now() when each instruction started, and when its first prompt was asked to play. */
  instructionAt: number[];
  firstPlayAt: number[];
  line: Line | null;
  routed: boolean;
  ended: boolean;
  fireTimeout: (() => void) | null;
}

export interface IvrRig {
  peer: DrachtioPeer;
  srf: Srf;
  media: RtpengineMedia;
  prompts: PromptLibrary;
  flows: FlowCatalog;
  /** The probe of an IVR call by our call id (created at its first sign of life). */
  probe(callId: string): CallProbe;
  /** Changes a probe and wakes whoever waits on it. */
  update(callId: string, change: (p: CallProbe) => void): void;
  /** Resolves when `done` holds for a probe, checked at every change. */
  until(callId: string, done: (p: CallProbe) => boolean, timeoutMs?: number): Promise<CallProbe>;
  /** An IVR on this rig: routing goes through `routing`, with the line noted on the probe. */
  ivr(routing: IvrRouting, opts?: { ringTimeoutS?: number; onOutcomes?: SipIvrDeps['onOutcomes'] }): SipIvr;
  close(): Promise<void>;
}

export async function startIvrRig(t: TestApp, opts: { promptMs?: number } = {}): Promise<IvrRig> {
  const peer = await startDrachtioPeer();
  const srf = await connectSrf(peer);
  const media = await testMedia();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'atenpro-ivr-prompts-'));
  const prompts = promptLibrary({ dir: path.join(dir, 'generated'), overrideDir: path.join(dir, 'recorded') });
  const flows = loadFlows();
  const probes = new Map<string, CallProbe>();
  const watchers = new Set<() => void>();
  const changed = () => { for (const w of [...watchers]) w(); };
  const probe = (callId: string): CallProbe => {
    let p = probes.get(callId);
    if (!p) {
      p = { heard: [], instructions: 0, waitingAt: 0, instructionAt: [], firstPlayAt: [], line: null, routed: false, ended: false, fireTimeout: null };
      probes.set(callId, p);
    }
    return p;
  };
  const promptMs = opts.promptMs ?? 40;
  const timers: IvrTimers = {
    sleep(ms, kind, signal, callId) {
      if (kind === 'hold') return realTimers.sleep(ms, kind, signal, callId);
      if (kind !== 'gather') return realTimers.sleep(Math.min(ms, promptMs), kind, signal, callId);
      const p = probe(callId);
      p.waitingAt = p.instructions;
      const fired = new Promise<void>((resolve) => {
        p.fireTimeout = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      changed();
      return fired.finally(() => { p.fireTimeout = null; p.waitingAt = 0; });
    },
  };
  return {
    peer, srf, media, prompts, flows, probe,
    update(callId, change) { change(probe(callId)); changed(); },
    until(callId, done, timeoutMs = 10_000) {
      return new Promise<CallProbe>((resolve, reject) => {
        const check = () => {
          const p = probe(callId);
          if (!done(p)) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(p);
        };
        const timer = setTimeout(() => { watchers.delete(check); reject(new Error(`call ${callId}: still ${JSON.stringify(probe(callId))}`)); }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    ivr(routing, o = {}) {
      const outcomes = ivrRepo(t.pool);
      return sipIvr({ srf, media, prompts, flows, clock: t.clock, log: pino({ level: 'silent' }), timers,
        deviceUri: (device) => device, ringTimeoutS: o.ringTimeoutS ?? 5, waitPrompt: WAIT_PROMPT,
        recordOutcomes: (rec) => outcomes.record(rec), onOutcomes: o.onOutcomes,
        routing: {
          async connectFromIvr(call, callId, line) {
            probe(callId).line = line;
            const plan = await routing.connectFromIvr(call, callId, line);
            probe(callId).routed = true;
            changed();
            return plan;
          },
          operatorMissed: (callId) => routing.operatorMissed(callId),
        },
        onInstruction(callId) {
          const p = probe(callId);
          p.instructions += 1;
          p.instructionAt.push(performance.now());
          changed();
        },
        onPrompt(callId, prompt) {
          const p = probe(callId);
          if (p.firstPlayAt.length < p.instructions) p.firstPlayAt.push(performance.now());
          if ('id' in prompt && prompt.id !== WAIT_PROMPT.id) p.heard.push(prompt.id);
          changed();
        },
      });
    },
    async close() {
      srf.disconnect();
      await peer.close();
      await media.close();
      await rm(dir, { recursive: true, force: true });
    },
  } satisfies IvrRig & { close(): Promise<void> };
}

export const newCallId = () => `${randomUUID()}@terminal.example`;

/** A SIP call a contract driver runs a flow on: our call id, her media, and how she hangs up and panics. */
export interface DrivenCall { callId: string; caller: RtpCaller; hangup(): void; panic(): boolean }

/**
 * The provider-neutral IVR contract's driver over SIP: keys as RFC 2833 through rtpengine. `start`
 * brings the call up (hers coming in, or ours going out) and says how to end it.
 */
export function sipContractDriver(rig: () => IvrRig, pool: Queryable, start: (flowId: string) => Promise<DrivenCall>): IvrDriver {
  let call: DrivenCall;
  const probe = () => rig().probe(call.callId);
  const settled = (before: number) => rig().until(call.callId,
    (p) => p.ended || p.routed || (p.instructions > before && p.waitingAt === p.instructions));
  return {
    async startCall(flowId) {
      call = await start(flowId);
      await settled(0);
    },
    async press(digits) {
      const before = probe().instructions;
      await call.caller.press(digits);
      await settled(before);
    },
    async timeout() {
      const before = probe().instructions;
      if (!probe().fireTimeout) throw new Error('no gather is waiting');
      probe().fireTimeout!();
      await settled(before);
    },
    async hangup() {
      call.hangup();
      await rig().until(call.callId, (p) => p.ended);
    },
    async panic() {
      expect(call.panic()).toBe(true);
      await rig().until(call.callId, (p) => p.routed);
    },
    heard: () => [...probe().heard],
    outcome: () => ivrRepo(pool).latest(call.callId),
    connectedTo: () => probe().line,
    ended: () => probe().ended || probe().routed,
  };
}
