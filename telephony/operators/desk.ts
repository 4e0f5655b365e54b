import type { Redis, Result } from 'ioredis';
import type { Line } from '../port.ts';

export type Presence = 'available' | 'busy' | 'wrap_up' | 'away' | 'offline';

/** Queue order: emergencies first, then general, then unknown callers on the information line. */
export function priorityOf(line: Line, identified: boolean): number {
  if (line === 'emergency') return 0;
  if (line === 'info' && !identified) return 2;
  return 1;
}

// score = priority * 1e13 + arrival ms: priority decides, arrival breaks ties (1e13 ms > year 2286)
const PRIORITY_WEIGHT = 1e13;

export interface WaitingCall { callId: string; owner: string; line: Line; priority: number; enqueuedAt: number }
export interface Assignment { callId: string; operatorId: string; owner: string; line: Line; enqueuedAt: number }

/**
 * Every decision is one Lua script, so that several app instances sharing Redis never give one
 * operator two calls or one call two operators.
 *   KEYS: 1 presence hash, 2 idle zset (available operators by idle-since), 3 queue zset,
 *         4 current-call hash (operator -> call), 5 call-info hash prefix
 */
const OFFER = `
local op = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if op then
  redis.call('ZREM', KEYS[2], op)
  redis.call('HSET', KEYS[1], op, 'busy')
  redis.call('HSET', KEYS[4], op, ARGV[1])
  return op
end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[5] .. ARGV[1], 'owner', ARGV[3], 'line', ARGV[4], 'priority', ARGV[5], 'enqueuedAt', ARGV[6])
return false`;

const AVAILABLE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == 'busy' then return false end
redis.call('HSET', KEYS[1], ARGV[1], 'available')
redis.call('HDEL', KEYS[4], ARGV[1])
local head = redis.call('ZPOPMIN', KEYS[3])
if head[1] then
  redis.call('HSET', KEYS[1], ARGV[1], 'busy')
  redis.call('HSET', KEYS[4], ARGV[1], head[1])
  local info = redis.call('HGETALL', KEYS[5] .. head[1])
  redis.call('DEL', KEYS[5] .. head[1])
  return { head[1], unpack(info) }
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return false`;

// progressive dialling: take the longest-idle operator for an outbound call, or nobody; never queue
const RESERVE = `
if redis.call('ZCARD', KEYS[2]) <= tonumber(ARGV[2]) then return false end
local op = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if not op then return false end
redis.call('ZREM', KEYS[2], op)
redis.call('HSET', KEYS[1], op, 'busy')
redis.call('HSET', KEYS[4], op, ARGV[1])
return op`;

const UNAVAILABLE = `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

const REQUEUE = `
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[5] .. ARGV[1], 'owner', ARGV[3], 'line', ARGV[4], 'priority', ARGV[5], 'enqueuedAt', ARGV[6])
return 1`;

// pairs waiting calls with available operators until one side runs out (after a requeue)
const DISPATCH = `
local pairs = {}
while true do
  local op = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  local call = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  if not op or not call then break end
  redis.call('ZREM', KEYS[2], op)
  redis.call('ZREM', KEYS[3], call)
  redis.call('HSET', KEYS[1], op, 'busy')
  redis.call('HSET', KEYS[4], op, call)
  local owner = redis.call('HGET', KEYS[5] .. call, 'owner')
  local line = redis.call('HGET', KEYS[5] .. call, 'line')
  local at = redis.call('HGET', KEYS[5] .. call, 'enqueuedAt')
  redis.call('DEL', KEYS[5] .. call)
  table.insert(pairs, call); table.insert(pairs, op); table.insert(pairs, owner); table.insert(pairs, line); table.insert(pairs, at)
end
return pairs`;

const LEAVE = `
local removed = redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[5] .. ARGV[1])
return removed`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    deskOffer(k1: string, k2: string, k3: string, k4: string, k5: string, callId: string, score: number, owner: string,
      line: string, priority: number, enqueuedAt: number): Result<string | null, Context>;
    deskAvailable(k1: string, k2: string, k3: string, k4: string, k5: string, operatorId: string, now: number): Result<string[] | null, Context>;
    deskUnavailable(k1: string, k2: string, k3: string, k4: string, k5: string, operatorId: string, state: string): Result<number, Context>;
    deskRequeue(k1: string, k2: string, k3: string, k4: string, k5: string, callId: string, score: number, owner: string,
      line: string, priority: number, enqueuedAt: number): Result<number, Context>;
    deskLeave(k1: string, k2: string, k3: string, k4: string, k5: string, callId: string): Result<number, Context>;
    deskDispatch(k1: string, k2: string, k3: string, k4: string, k5: string): Result<string[], Context>;
    deskReserve(k1: string, k2: string, k3: string, k4: string, k5: string, callId: string, keepFree: number): Result<string | null, Context>;
  }
}

/**
 * The operators' desk in Redis: who is available (longest idle first) and the calls waiting.
 * A call is never dropped for want of an operator: it waits here until one is free.
 */
export function operatorDesk(redis: Redis, prefix: string) {
  const keys = [`${prefix}:desk:presence`, `${prefix}:desk:idle`, `${prefix}:desk:queue`, `${prefix}:desk:current`,
    `${prefix}:desk:call:`] as const;
  for (const [name, lua] of Object.entries({ deskOffer: OFFER, deskAvailable: AVAILABLE, deskUnavailable: UNAVAILABLE,
    deskRequeue: REQUEUE, deskLeave: LEAVE, deskDispatch: DISPATCH, deskReserve: RESERVE })) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 5, lua });
  }
  const k = keys;

  return {
    /** An operator free now takes the call; otherwise it joins the queue. Returns the operator or null. */
    async offer(callId: string, owner: string, line: Line, priority: number, now: number): Promise<string | null> {
      return redis.deskOffer(k[0], k[1], k[2], k[3], k[4], callId, priority * PRIORITY_WEIGHT + now, owner, line, priority, now);
    },
    /** The operator becomes available; if a call waits, she takes the first one at once. A busy operator stays busy. */
    async available(operatorId: string, now: number): Promise<Assignment | null> {
      const r = await redis.deskAvailable(k[0], k[1], k[2], k[3], k[4], operatorId, now);
      if (!r) return null;
      const [callId, ...flat] = r;
      const info = Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));
      return { callId: callId!, operatorId, owner: info.owner!, line: info.line as Line, enqueuedAt: Number(info.enqueuedAt) };
    },
    async unavailable(operatorId: string, state: Exclude<Presence, 'available'>): Promise<void> {
      await redis.deskUnavailable(k[0], k[1], k[2], k[3], k[4], operatorId, state);
    },
    /** Puts an offered call back at its original place (the operator's phone did not answer). */
    async requeue(call: WaitingCall): Promise<void> {
      await redis.deskRequeue(k[0], k[1], k[2], k[3], k[4], call.callId, call.priority * PRIORITY_WEIGHT + call.enqueuedAt,
        call.owner, call.line, call.priority, call.enqueuedAt);
    },
    /**
     * An available operator for an outbound call, reserved for it; null when nobody is free, or when
     * taking one would leave fewer than `keepFree` operators for the calls that come in.
     */
    async reserve(callId: string, keepFree = 0): Promise<string | null> {
      return redis.deskReserve(k[0], k[1], k[2], k[3], k[4], callId, keepFree);
    },
    /** Gives every waiting call an available operator, while both last. */
    async dispatch(): Promise<Assignment[]> {
      const flat = await redis.deskDispatch(k[0], k[1], k[2], k[3], k[4]);
      const out: Assignment[] = [];
      for (let i = 0; i < flat.length; i += 5) {
        out.push({ callId: flat[i]!, operatorId: flat[i + 1]!, owner: flat[i + 2]!, line: flat[i + 3] as Line, enqueuedAt: Number(flat[i + 4]) });
      }
      return out;
    },
    /** The caller hung up while waiting. */
    async leave(callId: string): Promise<boolean> {
      return (await redis.deskLeave(k[0], k[1], k[2], k[3], k[4], callId)) === 1;
    },
    async presence(operatorId: string): Promise<Presence> {
      return ((await redis.hget(k[0], operatorId)) as Presence | null) ?? 'offline';
    },
    async presences(): Promise<Record<string, Presence>> {
      return (await redis.hgetall(k[0])) as Record<string, Presence>;
    },
    async currentCall(operatorId: string): Promise<string | null> {
      return redis.hget(k[3], operatorId);
    },
    async waiting(): Promise<string[]> {
      return redis.zrange(k[2], '0', '-1');
    },
  };
}

export type OperatorDesk = ReturnType<typeof operatorDesk>;
