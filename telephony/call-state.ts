import type { Redis } from 'ioredis';
import type { FieldCipher } from '../store/crypto.ts';
import type { Line, ProviderName } from './port.ts';
import type { Pop } from './screenpop/pop.ts';

/** A live call as every instance sees it. The pop inside is sealed: Redis persists to disk. */
export interface LiveCall {
  callId: string; provider: ProviderName; providerCallId: string; line: Line; owner: string; priority: number;
  arrivedAt: number; usuariaId: string | null; caller: string | null; operatorId: string | null; recorded: boolean;
}

const TTL_S = 6 * 3600;

export function callStateStore(redis: Redis, prefix: string, cipher: FieldCipher) {
  const key = (callId: string) => `${prefix}:call:${callId}`;
  const byProvider = (p: string, id: string) => `${prefix}:pcall:${p}:${id}`;
  const ctx = (callId: string) => `live-call:${callId}`;

  return {
    async save(call: LiveCall, pop: Pop): Promise<void> {
      await redis.multi()
        .hset(key(call.callId), { json: JSON.stringify(call), pop: cipher.seal(pop, ctx(call.callId)).toString('base64') })
        .expire(key(call.callId), TTL_S)
        .set(byProvider(call.provider, call.providerCallId), call.callId, 'EX', TTL_S)
        .exec();
    },
    async update(callId: string, patch: Partial<LiveCall>): Promise<LiveCall | null> {
      const current = await this.get(callId);
      if (!current) return null;
      const next = { ...current, ...patch };
      await redis.hset(key(callId), 'json', JSON.stringify(next));
      return next;
    },
    /** Gives the call to an operator; returns it, and its pop, as the offer needs them (one read). */
    async assign(callId: string, operatorId: string): Promise<{ call: LiveCall; pop: Pop | null } | null> {
      const [json, sealed] = await redis.hmget(key(callId), 'json', 'pop');
      if (!json) return null;
      const call: LiveCall = { ...(JSON.parse(json) as LiveCall), operatorId };
      await redis.hset(key(callId), 'json', JSON.stringify(call));
      return { call, pop: sealed ? cipher.open<Pop>(Buffer.from(sealed, 'base64'), ctx(callId)) : null };
    },
    async get(callId: string): Promise<LiveCall | null> {
      const json = await redis.hget(key(callId), 'json');
      return json ? (JSON.parse(json) as LiveCall) : null;
    },
    async pop(callId: string): Promise<Pop | null> {
      const sealed = await redis.hget(key(callId), 'pop');
      return sealed ? cipher.open<Pop>(Buffer.from(sealed, 'base64'), ctx(callId)) : null;
    },
    async idOf(provider: ProviderName, providerCallId: string): Promise<string | null> {
      return redis.get(byProvider(provider, providerCallId));
    },
    async end(call: LiveCall): Promise<void> {
      // kept a little while so late provider events still find the call
      await redis.multi().expire(key(call.callId), 600).expire(byProvider(call.provider, call.providerCallId), 600).exec();
    },
  };
}

export type CallStateStore = ReturnType<typeof callStateStore>;
