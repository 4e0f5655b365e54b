import type { ChainableCommander, Redis, Result } from 'ioredis';
import type { FieldCipher } from '../store/crypto.ts';
import type { Line, ProviderName } from './port.ts';
import type { Pop } from './screenpop/pop.ts';

/** A live call as every instance sees it. The pop inside is sealed: Redis persists to disk. */
export interface LiveCall {
  callId: string; provider: ProviderName; providerCallId: string; line: Line; owner: string; priority: number;
  arrivedAt: number; usuariaId: string | null; caller: string | null; operatorId: string | null; recorded: boolean;
}

/** What saving a live call writes: its hash (JSON and sealed pop) and the provider's id pointing at it. */
export interface LiveCallWrite { callKey: string; providerKey: string; json: string; sealedPop: string; ttlS: number }

const TTL_S = 6 * 3600;
/** Kept a little while after the end, so late provider events still find the call. */
const ENDED_TTL_S = 600;

// The call's operator is a field of its own (`op`, '' for none), so that the desk's scripts can
// give the call an operator in the same step as they give the operator the call.
const BY_PROVIDER = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
local f = redis.call('HMGET', ARGV[1] .. id, 'json', 'op', 'pop')
if not f[1] then return false end
return { id, f[1], f[2], f[3] }`;

const ASSIGN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'op', ARGV[1])
return redis.call('HMGET', KEYS[1], 'json', 'pop')`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    liveCallByProvider(providerKey: string, callKeyPrefix: string): Result<[string, string, string | null, string | null] | null, Context>;
    liveCallAssign(callKey: string, operatorId: string): Result<[string, string | null] | null, Context>;
  }
}

/** The live call and its sealed pop as kept in Redis, made whole. */
export function liveCallOf(json: string, op: string | null | undefined): LiveCall {
  const call = JSON.parse(json) as LiveCall;
  // a call saved before the operator had a field of its own carries her in the JSON
  return op === undefined || op === null ? { ...call, operatorId: call.operatorId ?? null } : { ...call, operatorId: op || null };
}

export function callStateStore(redis: Redis, prefix: string, cipher: FieldCipher) {
  const keyPrefix = `${prefix}:call:`;
  const key = (callId: string) => `${keyPrefix}${callId}`;
  const byProvider = (p: string, id: string) => `${prefix}:pcall:${p}:${id}`;
  const ctx = (callId: string) => `live-call:${callId}`;
  for (const [name, lua] of Object.entries({ liveCallByProvider: BY_PROVIDER, liveCallAssign: ASSIGN })) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 1, lua });
  }
  const openPop = (callId: string, sealed: string | null | undefined): Pop | null =>
    sealed ? cipher.open<Pop>(Buffer.from(sealed, 'base64'), ctx(callId)) : null;

  return {
    /**
     * What saving the call writes, for the desk's admission script (save and offer in one step):
     * its two keys, its fields and their lifetime.
     */
    admission(call: LiveCall, pop: Pop): LiveCallWrite {
      return { callKey: key(call.callId), providerKey: byProvider(call.provider, call.providerCallId), json: JSON.stringify(call),
        sealedPop: cipher.seal(pop, ctx(call.callId)).toString('base64'), ttlS: TTL_S };
    },
    async save(call: LiveCall, pop: Pop): Promise<void> {
      const r = this.admission(call, pop);
      await redis.multi()
        .hset(r.callKey, { json: r.json, op: call.operatorId ?? '', pop: r.sealedPop })
        .expire(r.callKey, TTL_S)
        .set(r.providerKey, call.callId, 'EX', TTL_S)
        .exec();
    },
    async update(callId: string, patch: Pick<Partial<LiveCall>, 'operatorId'>): Promise<void> {
      if (patch.operatorId !== undefined) await redis.hset(key(callId), 'op', patch.operatorId ?? '');
    },
    /** Gives the call to an operator; returns it, and its pop, as the offer needs them (one round trip). */
    async assign(callId: string, operatorId: string): Promise<{ call: LiveCall; pop: Pop | null } | null> {
      const r = await redis.liveCallAssign(key(callId), operatorId);
      if (!r) return null;
      return { call: liveCallOf(r[0], operatorId), pop: openPop(callId, r[1]) };
    },
    /** The fields the desk's scripts return for a call they assigned (see operators/desk.ts). */
    opened(callId: string, json: string, operatorId: string, sealedPop: string | null): { call: LiveCall; pop: Pop | null } {
      return { call: liveCallOf(json, operatorId), pop: openPop(callId, sealedPop) };
    },
    async get(callId: string): Promise<LiveCall | null> {
      const [json, op] = await redis.hmget(key(callId), 'json', 'op');
      return json ? liveCallOf(json, op) : null;
    },
    async pop(callId: string): Promise<Pop | null> {
      return openPop(callId, await redis.hget(key(callId), 'pop'));
    },
    async idOf(provider: ProviderName, providerCallId: string): Promise<string | null> {
      return redis.get(byProvider(provider, providerCallId));
    },
    /** The live call a provider's call id belongs to, with its pop, in one round trip; null when none. */
    async byProvider(provider: ProviderName, providerCallId: string): Promise<{ call: LiveCall; sealedPop: string | null } | null> {
      const r = await redis.liveCallByProvider(byProvider(provider, providerCallId), keyPrefix);
      return r ? { call: { ...liveCallOf(r[1], r[2]), callId: r[0] }, sealedPop: r[3] } : null;
    },
    openPop,
    /** Queues on `tx` what ending the call writes (both keys kept a little while for late events). */
    endIn(tx: ChainableCommander, call: LiveCall): ChainableCommander {
      return tx.expire(key(call.callId), ENDED_TTL_S).expire(byProvider(call.provider, call.providerCallId), ENDED_TTL_S);
    },
    /** The hash key prefix of live calls (the desk's scripts read and write them). */
    keyPrefix,
  };
}

export type CallStateStore = ReturnType<typeof callStateStore>;
