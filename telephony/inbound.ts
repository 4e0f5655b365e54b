import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.ts';
import { maskPhone } from '../common/log.ts';
import { toE164 } from '../common/phone.ts';
import { auditRepo } from '../store/audit.repo.ts';
import { callsRepo, type CallAttempt } from '../store/calls.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Pool } from '../store/db.ts';
import { popRepo } from '../store/pop.repo.ts';
import { terminalsRepo } from '../store/terminals.repo.ts';
import { callStateStore, type LiveCall } from './call-state.ts';
import { lineOf } from './lines.ts';
import { operatorDesk, priorityOf, type Assignment, type Presence } from './operators/desk.ts';
import { operatorDirectory } from './operators/directory.ts';
import { FINAL_STATES, type CallEvent, type InboundCall, type InboundPlan, type Line, type OperatorTarget, type ProviderName,
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

export const WAIT_MESSAGE = 'Le atendemos enseguida. Por favor, no cuelgue.';

class StoreTimeout extends Error {}
const within = <T>(ms: number, p: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new StoreTimeout('store budget')), ms); })])
    .finally(() => clearTimeout(timer));
};

/** Caller identification -> record -> operator -> pop -> plan. Provider-neutral. */
export function inboundService(d: InboundDeps) {
  const desk = operatorDesk(d.redis, d.prefix);
  const calls = callStateStore(d.redis, d.prefix, d.cipher);
  const operators = operatorDirectory(d.pool, d.log);
  const pending = pendingRecords(d.redis, d.prefix, d.pool, d.log);
  const providers = new Map<ProviderName, VoiceProvider>();
  const outboundListeners: OutboundListener[] = [];
  const bridgeChannel = (instance: string) => `${d.prefix}:bridge:${instance}`;

  d.subscriber.on('message', (ch: string, raw: string) => {
    if (ch !== bridgeChannel(d.instanceId)) return;
    const { callId } = JSON.parse(raw) as { callId: string };
    void bridgeHere(callId).catch((err: Error) => d.log.error({ callId, err: err.message }, 'bridge failed'));
  });
  const ready = d.subscriber.subscribe(bridgeChannel(d.instanceId));

  async function identify(line: Line, caller: string | null): Promise<{ pop: Pop; terminalId: string | null }> {
    if (!caller) return { pop: unknownPop(line, null), terminalId: null };
    const row = await popRepo(d.pool).loadByMsisdn(caller);
    return row ? { pop: buildPop(row, line, caller, d.cipher), terminalId: row.terminal_id } : { pop: unknownPop(line, caller), terminalId: null };
  }

  /** Identification and the record, under the store budget when the line is the emergency one. */
  async function identifyAndRecord(call: InboundCall, callId: string, line: Line, caller: string | null) {
    const work = (async () => {
      const { pop, terminalId } = await identify(line, caller);
      const kind = line === 'emergency' ? 'C' : line === 'selftest' ? 'D' : 'A';
      const attempt = await callsRepo(d.pool).insert({ id: callId, direction: 'inbound', line, kind, provider: call.provider,
        providerCallId: call.providerCallId, caller, usuariaId: pop.usuariaId, terminalId, startedAt: call.receivedAt });
      return { pop, terminalId, attemptId: attempt.id };
    })();
    if (line !== 'emergency') return work;
    try {
      return await within(d.storeBudgetMs, work);
    } catch (err) {
      work.catch(() => undefined); // it may still land; the pending record is idempotent with it
      d.log.warn({ callId, err: (err as Error).message }, 'store unavailable: emergency routed with the caller number alone');
      await pending.add({ callId, provider: call.provider, providerCallId: call.providerCallId, line, caller, startedAt: call.receivedAt.toISOString() });
      return { pop: unknownPop(line, caller, 'Ficha no disponible: el almacén no responde. Atienda con el número.'), terminalId: null, attemptId: callId };
    }
  }

  async function offerTo(a: Assignment): Promise<OperatorTarget | null> {
    const assigned = await calls.assign(a.callId, a.operatorId);
    const target = await operators.target(a.operatorId);
    if (!assigned || !target) return null;
    const { call, pop } = assigned;
    const waitedMs = d.clock.now().getTime() - call.arrivedAt;
    d.metrics.wait.observe({ line: call.line }, waitedMs / 1000);
    await d.hub.publish(a.operatorId, 'call.offered', { callId: a.callId, line: call.line, waitedMs, pop });
    // two independent writes, at once: the pop is a read of her ficha by this operator, and the call is hers
    await Promise.all([
      call.usuariaId && auditRepo(d.pool).write({ actor: { type: 'user', id: a.operatorId }, action: 'ficha.pop', usuariaId: call.usuariaId,
        route: `${call.provider}:inbound`, detail: { callId: a.callId } }).catch((err: Error) => d.log.error({ err: err.message }, 'pop audit failed')),
      callsRepo(d.pool).setOperator(a.callId, a.operatorId).catch(() => undefined),
    ]);
    return target;
  }

  /** A waiting call got an operator: the instance holding the call bridges it. */
  async function route(a: Assignment): Promise<void> {
    const target = await offerTo(a);
    if (!target) return;
    if (a.owner === d.instanceId) await bridgeHere(a.callId);
    else await d.redis.publish(bridgeChannel(a.owner), JSON.stringify({ callId: a.callId }));
  }

  async function bridgeHere(callId: string): Promise<void> {
    const call = await calls.get(callId);
    if (!call?.operatorId) return;
    const target = await operators.target(call.operatorId);
    const provider = providers.get(call.provider);
    if (target && provider) await provider.bridge(call.providerCallId, target);
  }

  return {
    ready,
    desk,
    register(provider: VoiceProvider) { providers.set(provider.name, provider); },
    /** The dialer hears every new event of an outbound attempt, once, after it is recorded. */
    onOutboundEvent(listener: OutboundListener) { outboundListeners.push(listener); },
    /** Events that arrived before the attempt's provider id was known, recorded now (see dialer). */
    async replayPending(provider: ProviderName, providerCallId: string): Promise<void> {
      for (const ev of await pending.takeEvents(provider, providerCallId)) await record(ev, FINAL_STATES.includes(ev.state));
    },
    provider(name: ProviderName): VoiceProvider | undefined { return providers.get(name); },

    async accept(call: InboundCall): Promise<InboundPlan> {
      const line = lineOf(d.lines, call.dialled);
      const caller = toE164(call.callerRaw);
      const repeated = await calls.idOf(call.provider, call.providerCallId);
      if (repeated) return replan(repeated, line);
      const callId = randomUUID();
      const log = d.log.child({ callId, line });
      log.info({ caller: maskPhone(caller) }, 'inbound call');

      if (line === 'selftest') {
        await selftest(call, callId, caller);
        return { action: 'answer_and_end', callId, line, message: null };
      }
      const { pop } = await identifyAndRecord(call, callId, line, caller);
      d.metrics.calls.inc({ line, degraded: pop.degraded ? 'yes' : 'no' });
      const priority = priorityOf(line, pop.known);
      const now = d.clock.now().getTime();
      const live: LiveCall = { callId, provider: call.provider, providerCallId: call.providerCallId, line, owner: d.instanceId,
        priority, arrivedAt: now, usuariaId: pop.usuariaId, caller, operatorId: null, recorded: !pop.degraded };
      try {
        await calls.save(live, pop);
        const operatorId = await desk.offer(callId, d.instanceId, line, priority, now);
        if (!operatorId) return { action: 'wait', callId, line, message: WAIT_MESSAGE };
        const target = await offerTo({ callId, operatorId, owner: d.instanceId, line, enqueuedAt: now });
        if (target) return { action: 'connect', callId, line, operator: target };
        return { action: 'wait', callId, line, message: WAIT_MESSAGE };
      } catch (err) {
        if (line !== 'emergency') throw err;
        // Redis is down too: ring every operator we know of
        log.error({ err: (err as Error).message }, 'queue unavailable: emergency rings every operator');
        return { action: 'connect_any', callId, line, operators: await operators.all() };
      }
    },

    /** A provider event: recorded once, then the desk and the consoles follow it. */
    async event(ev: CallEvent): Promise<void> {
      const callId = await calls.idOf(ev.provider, ev.providerCallId);
      const call = callId ? await calls.get(callId) : null;
      const final = FINAL_STATES.includes(ev.state);
      await record(ev, final).catch(async (err: Error) => {
        d.log.warn({ callId, err: err.message }, 'call event kept until the store is back');
        await pending.addEvent(ev);
      });
      if (!call) return;
      // the hub keeps each operator's last message for a console that reconnects: it carries the pop too
      const current = async () => ({ callId: call.callId, line: call.line, pop: await calls.pop(call.callId) });
      if (!final) {
        if (call.operatorId) await d.hub.publish(call.operatorId, 'call.state', { ...(await current()), state: ev.state });
        return;
      }
      if (call.operatorId) {
        await desk.unavailable(call.operatorId, 'wrap_up');
        await d.hub.publish(call.operatorId, 'call.ended', { ...(await current()), state: ev.state, presence: 'wrap_up' });
      } else {
        await desk.leave(call.callId);
      }
      await calls.end(call);
    },

    /**
     * An outbound call answered by a person: the operator reserved for it gets her file as the call
     * connects, and from here on the call is followed like any other (state, end, wrap-up).
     */
    async offerOutbound(attempt: CallAttempt, providerCallId: string): Promise<void> {
      if (!attempt.operatorId || !attempt.usuariaId || (await calls.idOf(attempt.provider as ProviderName, providerCallId))) return;
      const row = await popRepo(d.pool).load(attempt.usuariaId);
      const pop = row ? buildPop(row, 'outbound', attempt.caller, d.cipher) : unknownPop('outbound', attempt.caller);
      await calls.save({ callId: attempt.id, provider: attempt.provider as ProviderName, providerCallId, line: 'outbound',
        owner: d.instanceId, priority: 1, arrivedAt: d.clock.now().getTime(), usuariaId: attempt.usuariaId, caller: attempt.caller,
        operatorId: attempt.operatorId, recorded: true }, pop);
      await offerTo({ callId: attempt.id, operatorId: attempt.operatorId, owner: d.instanceId, line: 'outbound', enqueuedAt: d.clock.now().getTime() });
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

    async setPresence(operatorId: string, presence: Presence): Promise<void> {
      if (presence === 'available') {
        // knowing her device now lets an emergency reach her even if the store fails later
        await operators.target(operatorId);
        const assignment = await desk.available(operatorId, d.clock.now().getTime());
        if (assignment) await route(assignment);
        else await d.hub.clear(operatorId);
      } else {
        await desk.unavailable(operatorId, presence);
      }
    },

    flushPending: () => pending.flush(),
  };

  /** Records the event once; outbound attempts are then handed to the dialer's listeners. */
  async function record(ev: CallEvent, final: boolean, parkIfUnknown = true): Promise<boolean> {
    const recorded = await callsRepo(d.pool).recordEvent(ev.provider, ev.providerCallId, { seq: ev.sequence, status: ev.state, at: ev.at,
      final, answered: ev.state === 'in_progress', detail: ev.detail ?? null });
    if (!recorded) {
      if (!parkIfUnknown) return false;
      await pending.addEvent(ev);
      // The dialer stores the provider's id, then takes the parked events. If it stored it between
      // our lookup and our parking, it may have taken nothing: look again and take them ourselves.
      // Either way each parked event is taken once (takeEvents reads and deletes in one step).
      if (await callsRepo(d.pool).byProviderId(ev.provider, ev.providerCallId)) {
        for (const parked of await pending.takeEvents(ev.provider, ev.providerCallId)) {
          await record(parked, FINAL_STATES.includes(parked.state), false);
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

  async function replan(callId: string, line: Line): Promise<InboundPlan> {
    const call = await calls.get(callId);
    const target = call?.operatorId ? await operators.target(call.operatorId) : null;
    return target ? { action: 'connect', callId, line, operator: target } : { action: 'wait', callId, line, message: WAIT_MESSAGE };
  }

  /** The terminal's autochequeo: recorded against the terminal, answered by no one. */
  async function selftest(call: InboundCall, callId: string, caller: string | null): Promise<void> {
    const match = caller ? await terminalsRepo(d.pool).findActiveByMsisdn(caller) : null;
    await callsRepo(d.pool).insert({ id: callId, direction: 'inbound', line: 'selftest', kind: 'D', provider: call.provider,
      providerCallId: call.providerCallId, caller, usuariaId: match?.usuariaId ?? null, terminalId: match?.terminalId ?? null,
      startedAt: call.receivedAt });
    if (match) await d.pool.query('update terminals set last_selftest_at = $2 where id = $1', [match.terminalId, call.receivedAt]);
  }
}

export type InboundService = ReturnType<typeof inboundService>;
