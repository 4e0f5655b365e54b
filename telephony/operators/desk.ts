import type { ChainableCommander, Redis, Result } from 'ioredis';
import type { LiveCallWrite } from '../call-state.ts';
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

/** Where the desk's scripts find a live call (telephony/call-state.ts) and an operator's last console message. */
export interface DeskLinks { callKeyPrefix: string; lastKey(operatorId: string): string }

export type Admission = { kind: 'repeat'; callId: string } | { kind: 'offered'; operatorId: string } | { kind: 'queued' };

/** A waiting call an operator took on going available, with its live call's fields as the script read them. */
export interface TakenCall { assignment: Assignment; json: string | null; sealedPop: string | null }

export interface WaitingCall { callId: string; owner: string; line: Line; priority: number; enqueuedAt: number }
export interface Assignment { callId: string; operatorId: string; owner: string; line: Line; enqueuedAt: number }

/**
 * Every decision is one Lua script, so that several app instances sharing Redis never give one
 * operator two calls or one call two operators.
 *   KEYS: 1 presence hash, 2 idle zset (available operators by idle-since), 3 queue zset,
 *         4 current-call hash (operator -> call), 5 call-info hash prefix
 */
// a new call: saved with its sealed pop (KEYS 6 and 7: call hash, provider id -> call id) and, in the
// same step, given to the longest-idle operator or queued. A provider id seen before is a repeat.
const ADMIT = `
local seen = redis.call('GET', KEYS[7])
if seen then return { 'repeat', seen } end
redis.call('SET', KEYS[7], ARGV[1], 'EX', ARGV[9])
redis.call('HSET', KEYS[6], 'json', ARGV[7], 'op', '', 'pop', ARGV[8])
redis.call('EXPIRE', KEYS[6], ARGV[9])
local op = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if op then
  redis.call('ZREM', KEYS[2], op)
  redis.call('HSET', KEYS[1], op, 'busy')
  redis.call('HSET', KEYS[4], op, ARGV[1])
  redis.call('HSET', KEYS[6], 'op', op)
  return { 'offered', op }
end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[5] .. ARGV[1], 'owner', ARGV[3], 'line', ARGV[4], 'priority', ARGV[5], 'enqueuedAt', ARGV[6])
return { 'queued' }`;

// KEYS 6: live-call hash prefix (the call taken gets her as its operator, and comes back with its
// JSON and sealed pop); 7: her last console message, forgotten when she is free with nothing to take
const AVAILABLE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == 'busy' then return { 'busy' } end
redis.call('HSET', KEYS[1], ARGV[1], 'available')
redis.call('HDEL', KEYS[4], ARGV[1])
local head = redis.call('ZPOPMIN', KEYS[3])
if head[1] then
  redis.call('HSET', KEYS[1], ARGV[1], 'busy')
  redis.call('HSET', KEYS[4], ARGV[1], head[1])
  local info = redis.call('HMGET', KEYS[5] .. head[1], 'owner', 'line', 'enqueuedAt')
  redis.call('DEL', KEYS[5] .. head[1])
  local call = KEYS[6] .. head[1]
  local f = { false, false }
  if redis.call('EXISTS', call) == 1 then
    redis.call('HSET', call, 'op', ARGV[1])
    f = redis.call('HMGET', call, 'json', 'pop')
  end
  return { 'offered', head[1], info[1], info[2], info[3], f[1], f[2] }
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('DEL', KEYS[7])
return { 'available' }`;

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
    deskAdmit(k1: string, k2: string, k3: string, k4: string, k5: string, callKey: string, providerKey: string, callId: string,
      score: number, owner: string, line: string, priority: number, enqueuedAt: number, json: string, sealedPop: string,
      ttlS: number): Result<string[], Context>;
    deskAvailable(k1: string, k2: string, k3: string, k4: string, k5: string, callKeyPrefix: string, lastKey: string, operatorId: string,
      now: number): Result<(string | null)[], Context>;
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
export function operatorDesk(redis: Redis, prefix: string, live: DeskLinks) {
  const keys = [`${prefix}:desk:presence`, `${prefix}:desk:idle`, `${prefix}:desk:queue`, `${prefix}:desk:current`,
    `${prefix}:desk:call:`] as const;
  for (const [name, lua] of Object.entries({ deskUnavailable: UNAVAILABLE,
    deskRequeue: REQUEUE, deskLeave: LEAVE, deskDispatch: DISPATCH, deskReserve: RESERVE })) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 5, lua });
  }
  for (const [name, lua] of Object.entries({ deskAdmit: ADMIT, deskAvailable: AVAILABLE })) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 7, lua });
  }
  const k = keys;

  return {
    /**
     * A new call, saved (`w`, from the live-call store) and offered in one step: to the operator
     * free now, or to the queue. A provider call id already saved makes it a repeat of that call.
     */
    async admit(w: LiveCallWrite, callId: string, owner: string, line: Line, priority: number, now: number): Promise<Admission> {
      const [kind, id] = await redis.deskAdmit(k[0], k[1], k[2], k[3], k[4], w.callKey, w.providerKey, callId, priority * PRIORITY_WEIGHT + now,
        owner, line, priority, now, w.json, w.sealedPop, w.ttlS);
      if (kind === 'repeat') return { kind, callId: id! };
      return kind === 'offered' ? { kind, operatorId: id! } : { kind: 'queued' };
    },
    /**
     * The operator becomes available; if a call waits, she takes the first one at once, and it
     * comes with its live call (JSON and sealed pop) already hers. A busy operator stays busy.
     */
    async available(operatorId: string, now: number): Promise<{ presence: 'available' | 'busy'; taken: TakenCall | null }> {
      const r = await redis.deskAvailable(k[0], k[1], k[2], k[3], k[4], live.callKeyPrefix, live.lastKey(operatorId), operatorId, now);
      if (r[0] !== 'offered') return { presence: r[0] === 'busy' ? 'busy' : 'available', taken: null };
      const [, callId, owner, line, enqueuedAt, json, sealedPop] = r;
      return { presence: 'busy', taken: { assignment: { callId: callId!, operatorId, owner: owner!, line: line as Line, enqueuedAt: Number(enqueuedAt) },
        json: json ?? null, sealedPop: sealedPop ?? null } };
    },
    async unavailable(operatorId: string, state: Exclude<Presence, 'available'>): Promise<void> {
      await redis.deskUnavailable(k[0], k[1], k[2], k[3], k[4], operatorId, state);
    },
    /** As `unavailable`, queued on the caller's transaction. */
    unavailableIn(tx: ChainableCommander, operatorId: string, state: Exclude<Presence, 'available'>): ChainableCommander {
      return tx.deskUnavailable(k[0], k[1], k[2], k[3], k[4], operatorId, state);
    },
    /** As `leave`, queued on the caller's transaction. */
    leaveIn(tx: ChainableCommander, callId: string): ChainableCommander {
      return tx.deskLeave(k[0], k[1], k[2], k[3], k[4], callId);
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
