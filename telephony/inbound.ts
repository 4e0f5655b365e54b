import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.ts';
import { maskPhone } from '../common/log.ts';
import { toE164 } from '../common/phone.ts';
import { callsRepo, type CallAttempt } from '../store/calls.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Pool } from '../store/db.ts';
import { popRepo } from '../store/pop.repo.ts';
import { callStateStore, type LiveCall } from './call-state.ts';
import { callerIdentification } from './identification.ts';
import { lineOf } from './lines.ts';
import { operatorDesk, priorityOf, type Assignment, type Presence } from './operators/desk.ts';
import { operatorDirectory } from './operators/directory.ts';
import { eventRecord, FINAL_STATES, type CallEvent, type InboundCall, type InboundPlan, type Line, type OperatorTarget, type ProviderName,
  type VoiceProvider } from './port.ts';
import type { InboundMetrics } from './metrics.ts';
import { pendingRecords } from './pending.ts';
import type { ScreenpopHub } from './screenpop/hub.ts';
import { buildPop, unknownPop, type Pop } from './screenpop/pop.ts';

export interface InboundDeps {
  pool: Pool; redis: Redis; subscriber: Redis; prefix: string; instanceId: string; hub: ScreenpopHub; cipher: FieldCipher;
  clock: Clock; lines: Map<string, Line>; log: Logger;
  /** An emergency never waits longer than this for the store (ARCHITECTURE.md: emergencies fail open). */
  storeBudgetMs: number;
  metrics: InboundMetrics;
}

export type OutboundListener = (attempt: CallAttempt, ev: CallEvent) => Promise<void>;
/** Hears the final event of every call (e.g. an IVR session learns that the caller hung up). */
export type CallEndedListener = (ev: CallEvent) => Promise<void>;

/** The flow the information line starts with, where the provider can run it (ivr/flows/informacion.ts). */
export const INFO_FLOW = 'informacion';

export const WAIT_MESSAGE = 'Le atendemos enseguida. Por favor, no cuelgue.';

/** A live call and its pop, as the caller already holds them. */
type Known = { call: LiveCall; pop: Pop | null };

/** Sends a transaction; a command that failed inside it fails the whole, as it would on its own. */
async function exec(tx: ChainableCommander): Promise<void> {
  for (const [err] of (await tx.exec()) ?? []) if (err) throw err;
}

/** Caller identification -> record -> operator -> pop -> plan. Provider-neutral. */
export function inboundService(d: InboundDeps) {
  const calls = callStateStore(d.redis, d.prefix, d.cipher);
  const desk = operatorDesk(d.redis, d.prefix, { callKeyPrefix: calls.keyPrefix, lastKey: d.hub.lastKey });
  const operators = operatorDirectory(d.pool, d.log);
  const pending = pendingRecords(d.redis, d.prefix, d.pool, d.log);
  const identification = callerIdentification({ pool: d.pool, cipher: d.cipher, log: d.log, pending, storeBudgetMs: d.storeBudgetMs });
  const providers = new Map<ProviderName, VoiceProvider>();
  const outboundListeners: OutboundListener[] = [];
  const endedListeners: CallEndedListener[] = [];
  const ivrProviders = new Set<ProviderName>();
  const bridgeChannel = (instance: string) => `${d.prefix}:bridge:${instance}`;

  d.subscriber.on('message', (ch: string, raw: string) => {
    if (ch !== bridgeChannel(d.instanceId)) return;
    const { callId } = JSON.parse(raw) as { callId: string };
    void bridgeHere(callId).catch((err: Error) => d.log.error({ callId, err: err.message }, 'bridge failed'));
  });
  const ready = d.subscriber.subscribe(bridgeChannel(d.instanceId));

  /**
   * The call is the operator's: her console gets the pop, then the attempt gets her and the pop is
   * audited. `known` is the live call and its pop when the caller already holds them (already
   * hers in Redis); without it they are read as she is given the call.
   */
  async function offerTo(a: Assignment, known?: Known | null): Promise<{ target: OperatorTarget; call: LiveCall } | null> {
    const assigned = known === undefined ? await calls.assign(a.callId, a.operatorId) : known;
    const target = await operators.target(a.operatorId);
    if (!assigned || !target) return null;
    const { call, pop } = assigned;
    const waitedMs = d.clock.now().getTime() - call.arrivedAt;
    d.metrics.wait.observe({ line: call.line }, waitedMs / 1000);
    await d.hub.publish(a.operatorId, 'call.offered', { callId: a.callId, line: call.line, waitedMs, pop });
    // the pop is a read of her ficha by this operator, and the call is hers: one statement
    await callsRepo(d.pool).setOperatorAudited(a.callId, a.operatorId, { action: 'ficha.pop', usuariaId: call.usuariaId,
      route: `${call.provider}:inbound`, detail: { callId: a.callId } }).catch((err: Error) => {
      if (call.usuariaId) d.log.error({ callId: a.callId, err: err.message }, 'pop audit failed');
    });
    return { target, call: { ...call, operatorId: a.operatorId } };
  }

  /** A waiting call got an operator: the instance holding the call bridges it. */
  async function route(a: Assignment, known?: Known | null): Promise<void> {
    const offered = await offerTo(a, known);
    if (!offered) return;
    if (a.owner === d.instanceId) await bridge(offered.call, offered.target);
    else await d.redis.publish(bridgeChannel(a.owner), JSON.stringify({ callId: a.callId }));
  }

  async function bridgeHere(callId: string): Promise<void> {
    const call = await calls.get(callId);
    if (!call?.operatorId) return;
    const target = await operators.target(call.operatorId);
    if (target) await bridge(call, target);
  }

  async function bridge(call: LiveCall, target: OperatorTarget): Promise<void> {
    await providers.get(call.provider)?.bridge(call.providerCallId, target);
  }

  return {
    ready,
    desk,
    register(provider: VoiceProvider) { providers.set(provider.name, provider); },
    /** The dialer hears every new event of an outbound attempt, once, after it is recorded. */
    onOutboundEvent(listener: OutboundListener) { outboundListeners.push(listener); },
    /** Events that arrived before the attempt's provider id was known, recorded now (see dialer). */
    async replayPending(provider: ProviderName, providerCallId: string): Promise<void> {
      for (const ev of await pending.takeEvents(provider, providerCallId)) await record(ev);
    },
    provider(name: ProviderName): VoiceProvider | undefined { return providers.get(name); },

    async accept(call: InboundCall): Promise<InboundPlan> {
      const line = lineOf(d.lines, call.dialled);
      const caller = toE164(call.callerRaw);
      // a repeated webhook is found by the record (same provider call id) and by the desk's admission
      const callId = randomUUID();
      const log = d.log.child({ callId, line });
      log.info({ caller: maskPhone(caller) }, 'inbound call');

      if (line === 'selftest') {
        await identification.selftest(call, callId, caller);
        return { action: 'answer_and_end', callId, line, message: null };
      }
      const { pop, attemptId } = await identification.identifyAndRecord(call, callId, line, caller);
      if (attemptId === callId) d.metrics.calls.inc({ line, degraded: pop.degraded ? 'yes' : 'no' });
      if (line === 'info' && ivrProviders.has(call.provider)) return { action: 'ivr', callId: attemptId, line, flow: INFO_FLOW };
      return toOperator(call, attemptId, line, caller, pop, log);
    },

    /** Providers that can run IVR flows; the information line starts its menu only on these. */
    enableIvr(name: ProviderName) { ivrProviders.add(name); },

    /**
     * A call in an IVR flow (recorded already, as `callId`) asks for an operator on `line`: the
     * flow's connect, or the emergency key on line 'emergency'. From here it is routed exactly as
     * an inbound call on that line, emergencies failing open.
     */
    async connectFromIvr(call: InboundCall, callId: string, line: Line): Promise<InboundPlan> {
      const caller = toE164(call.callerRaw);
      const log = d.log.child({ callId, line });
      const pop = await identification.identify(line, caller, log);
      return toOperator(call, callId, line, caller, pop, log);
    },

    onCallEnded(listener: CallEndedListener) { endedListeners.push(listener); },

    /** A provider event: recorded once, then the desk and the consoles follow it. */
    async event(ev: CallEvent): Promise<void> {
      const final = FINAL_STATES.includes(ev.state);
      // the live call and the record are independent: both at once
      const [live] = await Promise.all([calls.byProvider(ev.provider, ev.providerCallId), record(ev).catch(async (err: Error) => {
        d.log.warn({ provider: ev.provider, err: err.message }, 'call event kept until the store is back');
        await pending.addEvent(ev);
      })]);
      const call = live?.call ?? null;
      const callId = call?.callId ?? null;
      if (final) {
        for (const listener of endedListeners) {
          await listener(ev).catch((err: Error) => d.log.error({ callId, err: err.message }, 'call-ended listener failed'));
        }
      }
      if (!live || !call) return;
      // the hub keeps each operator's last message for a console that reconnects: it carries the pop too
      const current = () => ({ callId: call.callId, line: call.line, pop: calls.openPop(call.callId, live.sealedPop) });
      if (!final) {
        if (call.operatorId) await d.hub.publish(call.operatorId, 'call.state', { ...current(), state: ev.state });
        return;
      }
      // the desk, her console and the live call follow the end in one transaction (one round trip)
      const tx = d.redis.multi();
      if (call.operatorId) {
        desk.unavailableIn(tx, call.operatorId, 'wrap_up');
        d.hub.publishIn(tx, call.operatorId, 'call.ended', { ...current(), state: ev.state, presence: 'wrap_up' });
      } else {
        desk.leaveIn(tx, call.callId);
      }
      await exec(calls.endIn(tx, call));
    },

    /**
     * An outbound call answered by a person: the operator reserved for it gets her file as the call
     * connects, and from here on the call is followed like any other (state, end, wrap-up).
     */
    async offerOutbound(attempt: CallAttempt, providerCallId: string): Promise<void> {
      if (!attempt.operatorId || !attempt.usuariaId || (await calls.idOf(attempt.provider as ProviderName, providerCallId))) return;
      const row = await popRepo(d.pool).load(attempt.usuariaId);
      const pop = row ? buildPop(row, 'outbound', attempt.caller, d.cipher) : unknownPop('outbound', attempt.caller);
      const live: LiveCall = { callId: attempt.id, provider: attempt.provider as ProviderName, providerCallId, line: 'outbound',
        owner: d.instanceId, priority: 1, arrivedAt: d.clock.now().getTime(), usuariaId: attempt.usuariaId, caller: attempt.caller,
        operatorId: attempt.operatorId, recorded: true };
      await calls.save(live, pop);
      await offerTo({ callId: attempt.id, operatorId: attempt.operatorId, owner: d.instanceId, line: 'outbound', enqueuedAt: live.arrivedAt },
        { call: live, pop });
    },

    /** The operator's phone did not answer: she is marked away and the call goes back first in line. */
    async operatorMissed(callId: string): Promise<void> {
      const call = await calls.get(callId);
      if (!call?.operatorId) return;
      await desk.unavailable(call.operatorId, 'away');
      await d.hub.publish(call.operatorId, 'presence', { presence: 'away', reason: 'missed' });
      await calls.update(callId, { operatorId: null });
      await desk.requeue({ callId, owner: call.owner, line: call.line, priority: call.priority, enqueuedAt: call.arrivedAt });
      for (const a of await desk.dispatch()) await route(a);
    },

    /** Frees an operator held for a call that never reached her phone (an outbound call nobody answered). */
    async release(operatorId: string): Promise<void> {
      await desk.unavailable(operatorId, 'wrap_up');
      await this.setPresence(operatorId, 'available');
    },

    /** Where her phone rings, as calls are routed to it (users.device_uri, kept fresh by the directory). */
    async deviceOf(operatorId: string): Promise<string | null> {
      return (await operators.target(operatorId))?.device ?? null;
    },

    /** Returns her presence now: 'busy' when going available gave her a waiting call (or she was on one). */
    async setPresence(operatorId: string, presence: Presence): Promise<Presence> {
      if (presence !== 'available') {
        await desk.unavailable(operatorId, presence);
        return presence;
      }
      // knowing her device now lets an emergency reach her even if the store fails later
      await operators.target(operatorId);
      // free with nothing waiting, the desk forgets her last call message in the same step
      const { presence: now, taken } = await desk.available(operatorId, d.clock.now().getTime());
      if (taken) {
        const { assignment: a, json, sealedPop } = taken;
        await route(a, json ? calls.opened(a.callId, json, operatorId, sealedPop) : null);
      }
      return now;
    },

    flushPending: () => pending.flush(),
  };

  /** Records the event once; outbound attempts are then handed to the dialer's listeners. */
  async function record(ev: CallEvent, parkIfUnknown = true): Promise<boolean> {
    const recorded = await callsRepo(d.pool).recordEvent(ev.provider, ev.providerCallId, eventRecord(ev));
    if (!recorded) {
      if (!parkIfUnknown) return false;
      await pending.addEvent(ev);
      // The dialer stores the provider's id, then takes the parked events. If it stored it between
      // our lookup and our parking, it may have taken nothing: look again and take them ourselves.
      // Either way each parked event is taken once (takeEvents reads and deletes in one step).
      if (await callsRepo(d.pool).byProviderId(ev.provider, ev.providerCallId)) {
        for (const parked of await pending.takeEvents(ev.provider, ev.providerCallId)) {
          await record(parked, false);
        }
      }
      return false;
    }
    const { attempt, fresh } = recorded;
    if (fresh && attempt.direction === 'outbound') {
      for (const listener of outboundListeners) await listener(attempt, ev);
    }
    return true;
  }

  /** The live call, then the desk: an operator now, or the queue; an emergency with Redis down rings everyone. */
  async function toOperator(call: InboundCall, callId: string, line: Line, caller: string | null, pop: Pop, log: Logger): Promise<InboundPlan> {
    const priority = priorityOf(line, pop.known);
    const now = d.clock.now().getTime();
    const live: LiveCall = { callId, provider: call.provider, providerCallId: call.providerCallId, line, owner: d.instanceId,
      priority, arrivedAt: now, usuariaId: pop.usuariaId, caller, operatorId: null, recorded: !pop.degraded };
    try {
      // saved and offered in one step: to the operator free now, or to the queue
      const admitted = await desk.admit(calls.admission(live, pop), callId, d.instanceId, line, priority, now);
      if (admitted.kind === 'repeat') return replan(admitted.callId, line);
      if (admitted.kind === 'queued') return { action: 'wait', callId, line, message: WAIT_MESSAGE };
      const { operatorId } = admitted;
      const offered = await offerTo({ callId, operatorId, owner: d.instanceId, line, enqueuedAt: now }, { call: { ...live, operatorId }, pop });
      if (offered) return { action: 'connect', callId, line, operator: offered.target };
      return { action: 'wait', callId, line, message: WAIT_MESSAGE };
    } catch (err) {
      if (line !== 'emergency') throw err;
      // Redis is down too: ring every operator we know of
      log.error({ err: (err as Error).message }, 'queue unavailable: emergency rings every operator');
      return { action: 'connect_any', callId, line, operators: await operators.all() };
    }
  }

  async function replan(callId: string, line: Line): Promise<InboundPlan> {
    const call = await calls.get(callId);
    const target = call?.operatorId ? await operators.target(call.operatorId) : null;
    return target ? { action: 'connect', callId, line, operator: target } : { action: 'wait', callId, line, message: WAIT_MESSAGE };
  }

}

export type InboundService = ReturnType<typeof inboundService>;
