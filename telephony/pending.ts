import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { callsRepo } from '../store/calls.repo.ts';
import type { Pool } from '../store/db.ts';
import { eventRecord, type CallEvent, type Line, type ProviderName } from './port.ts';

export interface PendingCall { callId: string; provider: ProviderName; providerCallId: string; line: Line; caller: string | null; startedAt: string }

/**
 * Calls answered while the store was down, and their events, kept until the store is back.
 * In Redis when it answers, else in this process; writing them is idempotent (provider call id).
 */
export function pendingRecords(redis: Redis, prefix: string, pool: Pool, log: Logger) {
  const callsKey = `${prefix}:pending:calls`;
  const eventsKey = (p: string, id: string) => `${prefix}:pending:events:${p}:${id}`;
  const memory = { calls: new Map<string, PendingCall>(), events: new Map<string, CallEvent[]>() };

  async function write(c: PendingCall, events: CallEvent[]): Promise<void> {
    const repo = callsRepo(pool);
    const attempt = await repo.insert({ id: c.callId, direction: 'inbound', line: c.line, kind: c.line === 'emergency' ? 'C' : 'A',
      provider: c.provider, providerCallId: c.providerCallId, caller: c.caller, usuariaId: null, terminalId: null, startedAt: new Date(c.startedAt) });
    for (const e of events) await repo.applyEvent(attempt.id, eventRecord(e));
  }

  return {
    async add(c: PendingCall): Promise<void> {
      try {
        await redis.hset(callsKey, c.callId, JSON.stringify(c));
      } catch {
        memory.calls.set(c.callId, c);
      }
    },
    async addEvent(e: CallEvent): Promise<void> {
      try {
        await redis.rpush(eventsKey(e.provider, e.providerCallId), JSON.stringify(e));
        await redis.expire(eventsKey(e.provider, e.providerCallId), 7 * 24 * 3600);
      } catch {
        const k = `${e.provider}:${e.providerCallId}`;
        memory.events.set(k, [...(memory.events.get(k) ?? []), e]);
      }
    },
    /** Takes (and forgets) the events kept for one call. */
    async takeEvents(provider: ProviderName, providerCallId: string): Promise<CallEvent[]> {
      const key = eventsKey(provider, providerCallId);
      const [[, raw]] = (await redis.multi().lrange(key, 0, -1).del(key).exec()) as [[unknown, string[]], unknown];
      const mem = memory.events.get(`${provider}:${providerCallId}`) ?? [];
      memory.events.delete(`${provider}:${providerCallId}`);
      return [...raw.map((r) => { const e = JSON.parse(r) as CallEvent; return { ...e, at: new Date(e.at) }; }), ...mem];
    },
    /** Writes what it can; what fails stays for the next round. Returns how many calls were written. */
    async flush(): Promise<number> {
      let written = 0;
      for (const [id, c] of memory.calls) {
        try {
          await write(c, memory.events.get(`${c.provider}:${c.providerCallId}`) ?? []);
          memory.calls.delete(id);
          memory.events.delete(`${c.provider}:${c.providerCallId}`);
          written++;
        } catch { /* store still down */ }
      }
      const stored = await redis.hgetall(callsKey).catch(() => ({} as Record<string, string>));
      for (const [id, json] of Object.entries(stored)) {
        const c = JSON.parse(json) as PendingCall;
        try {
          const raw = await redis.lrange(eventsKey(c.provider, c.providerCallId), 0, -1);
          await write(c, raw.map((r) => JSON.parse(r) as CallEvent));
          await redis.multi().hdel(callsKey, id).del(eventsKey(c.provider, c.providerCallId)).exec();
          written++;
        } catch (err) {
          log.debug({ err: (err as Error).message }, 'pending call not written yet');
        }
      }
      return written;
    },
  };
}

export type PendingRecords = ReturnType<typeof pendingRecords>;
