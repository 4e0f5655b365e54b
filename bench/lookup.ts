/**
 * `lookup`: the caller identification query over 100k usuarias, against its floor (a bare
 * indexed select on the same index), both on one connection, interleaved, same numbers.
 */
import type pg from 'pg';
import { msSince, percentile, round, startStack, writeResult, type BenchResult } from './lib.ts';
import { terminalsRepo } from '../store/terminals.repo.ts';
import { sampleMsisdns, seedUsuarias } from '../store/seed/index.ts';
import { Rng } from '../store/seed/prng.ts';

const UNKNOWN_SHARE = 0.05;
const WARMUP = 1000;

const FLOOR_QUERY = `select id from terminals where msisdn = $1 and status = 'active'`;

/** Known numbers with ~5% unknown ones mixed in (+347 is never a seeded terminal). */
function numbers(known: string[], n: number, rng: Rng): { e164: string; known: boolean }[] {
  return Array.from({ length: n }, (_, i) => rng.chance(UNKNOWN_SHARE)
    ? { e164: `+347${rng.int(1, 4)}${rng.digits(7)}`, known: false }
    : { e164: known[i % known.length]!, known: true });
}

async function measure(client: pg.PoolClient, calls: { e164: string; known: boolean }[]) {
  const repo = terminalsRepo(client);
  const query: number[] = [];
  const floor: number[] = [];
  const lookup = async (e164: string, known: boolean) => {
    const t = process.hrtime.bigint();
    const match = await repo.findActiveByMsisdn(e164);
    query.push(msSince(t));
    if ((match !== null) !== known) throw new Error(`lookup of a ${known ? 'known' : 'unknown'} number went wrong`);
  };
  const bare = async (e164: string) => {
    const t = process.hrtime.bigint();
    await client.query({ name: 'bench.floor', text: FLOOR_QUERY, values: [e164] });
    floor.push(msSince(t));
  };
  // alternate which goes first so neither always finds the index page the other just read
  for (let i = 0; i < calls.length; i++) {
    const { e164, known } = calls[i]!;
    if (i % 2 === 0) { await lookup(e164, known); await bare(e164); } else { await bare(e164); await lookup(e164, known); }
  }
  return { query, floor };
}

export async function run(): Promise<BenchResult> {
  const usuarias = Number(process.env.BENCH_USUARIAS ?? 100_000);
  const lookups = Number(process.env.BENCH_LOOKUPS ?? 10_000);
  const stack = await startStack();
  try {
    console.log(`lookup: seeding ${usuarias} usuarias...`);
    const seeded = await seedUsuarias(stack.pool, stack.cipher, { usuarias, seed: 42 });
    // a live database has planner statistics and a visibility map; a just-seeded one not yet.
    // The checkpoint writes the seed's dirty pages now rather than during the measurement.
    await stack.pool.query('vacuum analyze terminals, usuarias, expedientes, risk_assessments, agenda_policies');
    await stack.pool.query('checkpoint').catch(() => undefined); // needs pg_checkpoint on a shared server
    const rng = new Rng(7);
    const known = await sampleMsisdns(stack.pool, Math.min(lookups, usuarias));
    const client = await stack.pool.connect();
    try {
      await measure(client, numbers(known, WARMUP, rng));
      const { query, floor } = await measure(client, numbers(known, lookups, rng));
      const p99 = percentile(query, 99);
      const floorP99 = percentile(floor, 99);
      return await writeResult('lookup', { usuarias, lookups, unknown_share: UNKNOWN_SHARE, warmup: WARMUP }, {
        p50_ms: round(percentile(query, 50)),
        p99_ms: round(p99),
        floor_p50_ms: round(percentile(floor, 50)),
        floor_p99_ms: round(floorP99),
        ratio_p99: round(p99 / floorP99, 2),
        seed_s: round(seeded.ms / 1000, 1),
      }, { p99_ms: { max: 2 }, ratio_p99: { max: 5 } });
    } finally {
      client.release();
    }
  } finally {
    await stack.stop();
  }
}
