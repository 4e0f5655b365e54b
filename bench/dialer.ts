/**
 * `dialer`: plan every next follow-up of 100k usuarias (compute, write the occasion and item rows,
 * enqueue a delayed job per item), then 10k outbound attempts settled by provider status callbacks
 * (each event delivered twice, some ringing after the final), against their floor: a bare
 * `insert ... on conflict do nothing` of one call_events-like row per callback, same concurrency.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { loadConfig } from '../app/config.ts';
import { createRegistry } from '../app/health.routes.ts';
import { buildApp } from '../app/server.ts';
import { systemClock } from '../common/clock.ts';
import { createLogger } from '../common/log.ts';
import { seedUsuarias } from '../store/seed/index.ts';
import { Rng } from '../store/seed/prng.ts';
import type { Pool } from '../store/db.ts';
import type { CallEvent } from '../telephony/port.ts';
import { msSince, round, startStack, writeResult, type BenchResult } from './lib.ts';

const CONCURRENCY = 32;
// every seeded usuaria's next follow-up falls within about a month and a half: all of them get a job
const HORIZON_HOURS = 24 * 60;
// events of one attempt stay within this many places of each other, so duplicates often run at once
const JITTER = 64;
const OUT_OF_ORDER_SHARE = 0.25;

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (!m) throw new Error('no used_memory in INFO memory');
  return Number(m[1]);
}

/** Runs `fn` over `items` with at most `limit` in flight; returns the wall time in ms. */
async function drive<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
  return msSince(start);
}

interface Placed { attemptId: string; itemId: string; providerCallId: string }

/** Outbound attempts as the dialer leaves them once the provider took the call: item `dialling`, attempt with its call id. */
async function placeAttempts(pool: Pool, n: number, tag: string): Promise<Placed[]> {
  const { rows } = await pool.query<{ id: string; usuaria_id: string; msisdn: string | null }>(
    `select i.id, i.usuaria_id, (select t.msisdn from terminals t where t.usuaria_id = i.usuaria_id and t.status = 'active') as msisdn
     from agenda_items i where i.status = 'planned' order by i.id limit $1`, [n]);
  if (rows.length < n) throw new Error(`only ${rows.length} planned items to place ${n} attempts for`);
  const placed = rows.map((r, k) => ({ attemptId: randomUUID(), itemId: r.id, providerCallId: `CA${tag}${String(k).padStart(28, '0')}`,
    usuariaId: r.usuaria_id, msisdn: r.msisdn }));
  const started = new Date(Date.now() - 60_000);
  await pool.query(`insert into call_attempts (id, direction, line, kind, provider, provider_call_id, caller, usuaria_id, agenda_item_id, started_at)
    select a, 'outbound', 'outbound', 'B', 'twilio', p, m, u, i, $6 from unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[]) as x(a, p, m, u, i)`,
  [placed.map((p) => p.attemptId), placed.map((p) => p.providerCallId), placed.map((p) => p.msisdn), placed.map((p) => p.usuariaId),
    placed.map((p) => p.itemId), started]);
  await pool.query(`update agenda_items i set status = 'dialling', call_attempt_id = x.a, claimed_at = $3, updated_at = $3
    from unnest($1::uuid[], $2::uuid[]) as x(i, a) where i.id = x.i`,
  [placed.map((p) => p.itemId), placed.map((p) => p.attemptId), started]);
  return placed.map(({ attemptId, itemId, providerCallId }) => ({ attemptId, itemId, providerCallId }));
}

/**
 * Per attempt a ringing (sequence 1) and a final no-answer (sequence 2), each delivered twice; for
 * a quarter of them the ringing arrives after the final. Events of one attempt stay close together.
 */
function callbacks(placed: Placed[], rng: Rng): CallEvent[] {
  const keyed: { key: number; ev: CallEvent }[] = [];
  const at = new Date();
  placed.forEach((p, k) => {
    const ringing: CallEvent = { provider: 'twilio', providerCallId: p.providerCallId, sequence: 1, state: 'ringing', at };
    const final: CallEvent = { provider: 'twilio', providerCallId: p.providerCallId, sequence: 2, state: 'no_answer', at, durationS: 0 };
    const order = rng.chance(OUT_OF_ORDER_SHARE) ? [final, ringing, final, ringing] : [ringing, final, ringing, final];
    order.forEach((ev, j) => keyed.push({ key: k * 4 + j + rng.int(0, JITTER), ev: { ...ev } }));
  });
  return keyed.sort((a, b) => a.key - b.key).map((x) => x.ev);
}

async function countOf(pool: Pool, sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from (${sql}) x`, values);
  return rows[0]!.n;
}

export async function run(): Promise<BenchResult> {
  const usuarias = Number(process.env.BENCH_USUARIAS ?? 100_000);
  const attempts = Math.min(Number(process.env.BENCH_CALLBACKS ?? 10_000), usuarias);
  const stack = await startStack();
  try {
    console.log(`dialer: seeding ${usuarias} usuarias...`);
    const seeded = await seedUsuarias(stack.pool, stack.cipher, { usuarias, seed: 42 });
    await stack.pool.query('vacuum analyze');
    await stack.pool.query('checkpoint').catch(() => undefined); // needs pg_checkpoint on a shared server

    const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', REDIS_PREFIX: `bench-dialer-${randomBytes(3).toString('hex')}`,
      DIALER_WORKERS: 'false', DIALER_HORIZON_HOURS: String(HORIZON_HOURS) });
    const app = await buildApp({ config, pool: stack.pool, redis: stack.redis, cipher: stack.cipher, clock: systemClock,
      logger: createLogger('warn'), registry: createRegistry() });
    await app.ready();
    try {
      const queue = app.dialer.queue;
      await queue.waitUntilReady();

      // --- planning ---
      const memBefore = await usedMemory(stack.redis);
      console.log('dialer: planning...');
      const t0 = process.hrtime.bigint();
      const planned = await app.dialer.planAll();
      const planMs = msSince(t0);
      const memAfter = await usedMemory(stack.redis);
      const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed');
      const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
      const items = await countOf(stack.pool, `select 1 from agenda_items where status = 'planned'`);
      const itemDuplicates = await countOf(stack.pool, `select occasion_id from agenda_items group by occasion_id having count(*) > 1`)
        + await countOf(stack.pool, `select usuaria_id from followup_occasions where status = 'open' group by usuaria_id having count(*) > 1`);
      console.log(`dialer: planned ${planned} in ${round(planMs / 1000, 2)} s; ${items} items, ${jobs} jobs ${JSON.stringify(counts)}`);
      if (planned !== usuarias || items !== usuarias || jobs !== usuarias || itemDuplicates !== 0) {
        throw new Error(`planning went wrong: ${planned} planned, ${items} items, ${jobs} jobs, ${itemDuplicates} duplicates for ${usuarias} usuarias`);
      }

      // --- callbacks ---
      const rng = new Rng(11);
      const placed = await placeAttempts(stack.pool, attempts, randomBytes(2).toString('hex'));
      const events = callbacks(placed, rng);
      await stack.pool.query(`create table bench_floor_events (id bigserial primary key, call_attempt_id uuid not null,
        seq integer not null, status text not null, at timestamptz not null, detail jsonb, unique (call_attempt_id, seq, status))`);
      await stack.pool.query('vacuum analyze call_attempts, agenda_items');
      const attemptOf = new Map(placed.map((p) => [p.providerCallId, p.attemptId]));
      const floorMs = await drive(events, CONCURRENCY, (ev) => stack.pool.query({ name: 'bench.floor',
        text: `insert into bench_floor_events (call_attempt_id, seq, status, at, detail) values ($1, $2, $3, $4, $5)
          on conflict (call_attempt_id, seq, status) do nothing`,
        values: [attemptOf.get(ev.providerCallId), ev.sequence, ev.state, ev.at, null] }));
      console.log(`dialer: ${events.length} callbacks for ${attempts} attempts...`);
      let errors = 0;
      const callbackMs = await drive(events, CONCURRENCY, (ev) => app.telephony.inbound.event(ev).catch((err: Error) => {
        if (errors++ < 5) console.error(`callback failed: ${err.message}`);
      }));

      // --- exactly once ---
      const ids = placed.map((p) => p.attemptId);
      const itemIds = placed.map((p) => p.itemId);
      const finals = `('completed', 'busy', 'no_answer', 'failed', 'canceled', 'rejected')`;
      const multipleFinals = await countOf(stack.pool, `select call_attempt_id from call_events where call_attempt_id = any($1::uuid[])
        and status in ${finals} group by call_attempt_id having count(*) > 1`, [ids]);
      const eventDuplicates = await countOf(stack.pool, `select 1 from call_events where call_attempt_id = any($1::uuid[])
        group by call_attempt_id, seq, status having count(*) > 1`, [ids]);
      // each failed first attempt must have exactly one retry of its occasion
      const retries = await stack.pool.query<{ n: number; item: string }>(`select f.id as item, (select count(*)::int from agenda_items r
        where r.occasion_id = f.occasion_id and r.attempt = f.attempt + 1) as n from agenda_items f where f.id = any($1::uuid[])`, [itemIds]);
      const settledTwice = retries.rows.filter((r) => r.n > 1).length;
      const unsettled = retries.rows.filter((r) => r.n === 0).length;
      const wrongState = await countOf(stack.pool, `select 1 from agenda_items where id = any($1::uuid[])
        and (status <> 'failed' or outcome <> 'no_answer')`, [itemIds])
        + await countOf(stack.pool, `select 1 from call_attempts where id = any($1::uuid[]) and (outcome is distinct from 'no_answer')`, [ids]);
      const missingEvents = attempts * 2 - await countOf(stack.pool, `select 1 from call_events where call_attempt_id = any($1::uuid[])`, [ids]);
      const after = await queue.getJobCounts('waiting', 'delayed', 'prioritized');
      const jobsAfter = Object.values(after).reduce((a, b) => a + b, 0);
      const duplicateOutcomes = multipleFinals + eventDuplicates + settledTwice;
      const lostOutcomes = unsettled + wrongState + missingEvents + Math.max(0, usuarias + attempts - jobsAfter) + errors;
      console.log(`dialer: ${multipleFinals} attempts with several finals, ${eventDuplicates} duplicate events, ${settledTwice} items settled twice, `
        + `${unsettled} unsettled, ${wrongState} in a wrong state, ${missingEvents} events missing, ${jobsAfter} jobs, ${errors} errors`);

      const callbacksPerS = events.length / (callbackMs / 1000);
      const floorPerS = events.length / (floorMs / 1000);
      return await writeResult('dialer', { usuarias, attempts, callbacks: events.length, concurrency: CONCURRENCY, horizon_hours: HORIZON_HOURS,
        out_of_order_share: OUT_OF_ORDER_SHARE }, {
        plan_s: round(planMs / 1000, 2),
        planned_per_s: round(planned / (planMs / 1000), 0),
        planned_count: items,
        jobs_count: jobs,
        redis_bytes_per_job: round((memAfter - memBefore) / jobs, 0),
        callbacks_per_s: round(callbacksPerS, 0),
        floor_callbacks_per_s: round(floorPerS, 0),
        ratio_callbacks: round(floorPerS / callbacksPerS, 2),
        duplicate_outcomes: duplicateOutcomes,
        lost_outcomes: lostOutcomes,
        seed_s: round(seeded.ms / 1000, 1),
      }, { plan_s: { max: 30 }, callbacks_per_s: { min: 1000 }, duplicate_outcomes: { max: 0 } });
    } finally {
      await app.close();
    }
  } finally {
    await stack.stop();
  }
}
