import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../common/clock.ts';
import type { Queryable } from '../store/db.ts';
import { ivrRepo } from '../store/ivr.repo.ts';
import { flowOf, type FlowCatalog } from './catalog.ts';
import { advance, start, type Input, type Instruction, type Session } from './engine.ts';

/**
 * IVR sessions as every app instance sees them: the engine's session in Redis under its id
 * (with a TTL), so whichever instance receives the next webhook continues it. Each step is a
 * compare-and-set on a turn number: a webhook that comes twice (provider retry, two instances)
 * advances the session once, and the repeat gets what the first one rendered. Outcomes are written
 * to Postgres against the call attempt, under a time budget: a slow store never holds up the
 * caller, least of all on her way to an emergency operator.
 */
export type Direction = 'inbound' | 'outbound';

export interface StoredSession {
  session: Session;
  /** Our call id: the CallAttempt the outcomes belong to. */
  callId: string;
  provider: string;
  providerCallId: string;
  direction: Direction;
  /** How many inputs were applied; a URL for the next input carries this number. */
  turn: number;
  /** Outcomes already recorded (the next one's sequence number). */
  outcomeSeq: number;
}

export interface Turn { stored: StoredSession; instruction: Instruction | null; outcomes: string[] }
/** `stale`: this turn was already taken; `rendered` is what it produced (null if not yet stored). */
/** `foreign`: the session belongs to another call (a reference lifted from one call, used in another). */
export type Advanced = { kind: 'advanced'; turn: Turn } | { kind: 'stale'; stored: StoredSession; rendered: string | null } | { kind: 'gone' }
  | { kind: 'foreign' };

export interface IvrSessionsDeps {
  redis: Redis; prefix: string; pool: Queryable; flows: FlowCatalog; clock: Clock; log: { error(obj: object, msg: string): void };
  /** How long a session lives without a step (a call in an IVR is minutes long). */
  ttlS?: number;
  /** At most this long is waited for the store when recording outcomes. */
  storeBudgetMs?: number;
  /** Told of outcomes once they are stored (an outbound control call settles on them). */
  onOutcomes?: (callAttemptId: string, outcomes: string[], at: Date) => void;
}

const DEFAULT_TTL_S = 2 * 3600;
const CAS = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end return 0`;

export function ivrSessions(d: IvrSessionsDeps) {
  const ttl = d.ttlS ?? DEFAULT_TTL_S;
  const budget = d.storeBudgetMs ?? 200;
  const key = (id: string) => `${d.prefix}:ivr:s:${id}`;
  const renderedKey = (id: string, turn: number) => `${d.prefix}:ivr:r:${id}:${turn}`;
  const callKey = (provider: string, providerCallId: string) => `${d.prefix}:ivr:p:${provider}:${providerCallId}`;

  async function recordOutcomes(prev: StoredSession, outcomes: string[]): Promise<void> {
    if (outcomes.length === 0) return;
    const at = d.clock.now();
    const write = ivrRepo(d.pool).record({ callAttemptId: prev.callId, sessionId: prev.session.id, flowId: prev.session.flowId,
      firstSeq: prev.outcomeSeq, outcomes, at }).then(() => d.onOutcomes?.(prev.callId, outcomes, at));
    const logged = write.catch((err: Error) => {
      d.log.error({ callId: prev.callId, ivrSession: prev.session.id, err: err.message }, 'ivr outcome not recorded');
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([logged, new Promise<void>((resolve) => { timer = setTimeout(resolve, budget); })]).finally(() => clearTimeout(timer));
  }

  async function load(sessionId: string): Promise<{ raw: string; stored: StoredSession } | null> {
    const raw = await d.redis.get(key(sessionId));
    return raw ? { raw, stored: JSON.parse(raw) as StoredSession } : null;
  }

  async function step(sessionId: string, turn: number | 'current', input: Input, providerCallId?: string): Promise<Advanced> {
    const current = await load(sessionId);
    if (!current) return { kind: 'gone' };
    const { raw, stored } = current;
    if (providerCallId !== undefined && providerCallId !== stored.providerCallId) return { kind: 'foreign' };
    if (turn !== 'current' && turn !== stored.turn) {
      return { kind: 'stale', stored, rendered: await d.redis.get(renderedKey(sessionId, turn + 1)) };
    }
    const result = advance(flowOf(d.flows, stored.session.flowId), stored.session, input, d.clock.now());
    const next: StoredSession = { ...stored, session: result.session, turn: stored.turn + 1, outcomeSeq: stored.outcomeSeq + result.outcomes.length };
    const swapped = await d.redis.eval(CAS, 1, key(sessionId), raw, JSON.stringify(next), String(ttl));
    if (swapped !== 1) {
      // another request took this turn first
      return { kind: 'stale', stored, rendered: await d.redis.get(renderedKey(sessionId, stored.turn + 1)) };
    }
    await recordOutcomes(stored, result.outcomes);
    return { kind: 'advanced', turn: { stored: next, instruction: result.instruction, outcomes: result.outcomes } };
  }

  return {
    /** Starts `flowId` for a call; a second start for the same provider call finds the first session. */
    async start(p: { flowId: string; callId: string; provider: string; providerCallId: string; direction: Direction }):
      Promise<{ kind: 'started'; turn: Turn } | { kind: 'stale'; stored: StoredSession; rendered: string | null }> {
      const flow = flowOf(d.flows, p.flowId);
      const sessionId = randomUUID();
      const claimed = await d.redis.set(callKey(p.provider, p.providerCallId), sessionId, 'EX', ttl, 'NX');
      if (claimed !== 'OK') {
        const existing = await d.redis.get(callKey(p.provider, p.providerCallId));
        const current = existing ? await load(existing) : null;
        if (current) return { kind: 'stale', stored: current.stored, rendered: await d.redis.get(renderedKey(existing!, 0)) };
      }
      const result = start(flow, sessionId, d.clock.now());
      const stored: StoredSession = { session: result.session, callId: p.callId, provider: p.provider, providerCallId: p.providerCallId,
        direction: p.direction, turn: 0, outcomeSeq: 0 };
      await d.redis.multi().set(key(sessionId), JSON.stringify({ ...stored, outcomeSeq: result.outcomes.length }), 'EX', ttl)
        .set(callKey(p.provider, p.providerCallId), sessionId, 'EX', ttl).exec();
      await recordOutcomes(stored, result.outcomes);
      return { kind: 'started', turn: { stored: { ...stored, outcomeSeq: result.outcomes.length }, instruction: result.instruction,
        outcomes: result.outcomes } };
    },

    /** Applies the caller's input at `turn` (the number the URL carried), for the call `providerCallId`. */
    advance: (sessionId: string, turn: number, input: Input, providerCallId: string) => step(sessionId, turn, input, providerCallId),

    /** Her terminal's panic, whatever turn the session is at: it never waits for the flow. */
    async panic(sessionId: string, providerCallId: string): Promise<Advanced> {
      let result: Advanced = { kind: 'gone' };
      for (let i = 0; i < 3; i++) {
        result = await step(sessionId, 'current', { type: 'panic' }, providerCallId);
        if (result.kind !== 'stale') break;
      }
      return result;
    },

    async get(sessionId: string): Promise<StoredSession | null> {
      return (await load(sessionId))?.stored ?? null;
    },

    /** Keeps what a turn rendered, for a repeated request of the same turn. */
    async remember(sessionId: string, turn: number, rendered: string): Promise<void> {
      await d.redis.set(renderedKey(sessionId, turn), rendered, 'EX', ttl);
    },

    /** What a turn rendered, if it was kept. */
    async rendered(sessionId: string, turn: number): Promise<string | null> {
      return d.redis.get(renderedKey(sessionId, turn));
    },

    /** The caller hung up (a final call event): the session ends and a hang-up outcome is recorded. */
    async callEnded(provider: string, providerCallId: string): Promise<void> {
      const sessionId = await d.redis.get(callKey(provider, providerCallId));
      if (!sessionId) return;
      for (let i = 0; i < 3; i++) {
        const result = await step(sessionId, 'current', { type: 'hangup' });
        if (result.kind !== 'stale') return;
      }
    },
  };
}

export type IvrSessions = ReturnType<typeof ivrSessions>;
