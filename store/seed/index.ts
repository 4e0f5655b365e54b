/**
 * Synthetic data for demos and benchmarks: never real people. The same seed on an empty database
 * yields the same usuarias (ids, ciphertexts and the dates' anchor apart); running it again
 * appends new ones, with DNIs, MSISDNs and correlativos that continue where the data stops.
 */
import type { FieldCipher } from '../crypto.ts';
import { withTransaction, type Pool, type Queryable } from '../db.ts';
import { BatchBuilder, writeBatch, type PreparedBatch } from './batch.ts';
import { generateCallYear } from './call-year.ts';
import { CallBatchBuilder, writeCallBatch } from './calls-batch.ts';
import { isoDate } from './dates.ts';
import { allCentres, centreCode } from './geography.ts';
import type { SeedZone } from './zones.ts';
import { generateUsuaria, type GenerateContext } from './generate.ts';
import { syntheticDni, terminalMsisdn } from './identity.ts';

export interface SeedOptions {
  usuarias: number;
  seed?: number;
  /** Anchor for every generated date; defaults to now. */
  now?: Date;
  batchSize?: number;
  /** Batches written concurrently, each in its own transaction (default 2, one per core here). */
  writers?: number;
  onProgress?: (done: number, total: number) => void;
  /** Also write each new usuaria's year of calls up to `now` (store/seed/call-year.ts). */
  callsYear?: boolean;
}

export interface SeedResult { usuarias: number; centres: number; ms: number; calls: number }

/** Creates the social services centre of every known municipality once; returns code -> id. */
export async function ensureCentres(db: Queryable): Promise<Map<string, string>> {
  const centres = allCentres();
  await db.query({
    name: 'seed.centres',
    text: `insert into social_services_centres (code, name, entidad_local, province_code, municipality)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
           on conflict (code) do nothing`,
    values: [centres.map((c) => c.code), centres.map((c) => c.name), centres.map((c) => c.entidadLocal),
      centres.map((c) => c.provinceCode), centres.map((c) => c.municipality)],
  });
  const { rows } = await db.query<{ id: string; code: string }>(
    'select id, code from social_services_centres where code = any($1::text[])', [centres.map((c) => c.code)]);
  return new Map(rows.map((r) => [r.code, r.id]));
}

async function isSuperuser(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ su: boolean }>('select rolsuper as su from pg_roles where rolname = current_user');
  return rows[0]?.su === true;
}

async function counts(db: Queryable): Promise<{ usuarias: number; terminals: number }> {
  const { rows } = await db.query<{ usuarias: number; terminals: number }>(
    'select (select count(*) from usuarias)::int as usuarias, (select count(*) from terminals)::int as terminals');
  return rows[0]!;
}

/**
 * Appends `usuarias` synthetic usuarias, each with an active expediente and terminal and her
 * fichas. One transaction per batch; the next batch is generated and sealed while the previous
 * one is being written.
 */
export async function seedUsuarias(pool: Pool, cipher: FieldCipher, opts: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const total = opts.usuarias;
  const size = opts.batchSize ?? 1000;
  const writers = opts.writers ?? 2;
  const now = opts.now ?? new Date();
  const ctx: GenerateContext = { seed: opts.seed ?? 1, today: isoDate(now), nowMs: now.getTime() };
  const centreIds = await ensureCentres(pool);
  // the ordinals continue after what is there, so an appending run starts on fresh DNIs and MSISDNs
  const base = await counts(pool);
  let spareUsuaria = base.usuarias + total;
  let spareTerminal = base.terminals + total;
  const spare = { dni: () => syntheticDni(spareUsuaria++), msisdn: () => terminalMsisdn(spareTerminal++) };
  const write = { centreIds, spare, skipForeignKeyChecks: await isSuperuser(pool) };

  // yields every few usuarias so the previous batch's statements keep flowing meanwhile
  const prepare = async (from: number): Promise<{ batch: PreparedBatch; calls: CallBatchBuilder | null }> => {
    const builder = new BatchBuilder(cipher);
    const calls = opts.callsYear ? new CallBatchBuilder() : null;
    for (let i = from; i < Math.min(from + size, total); i++) {
      const u = generateUsuaria(ctx, { usuaria: base.usuarias + i, terminal: base.terminals + i });
      builder.add(u);
      calls?.add(u.id, generateCallYear({ seed: ctx.seed, nowMs: ctx.nowMs }, u, base.usuarias + i),
        u.contacts.map((c) => c.priority).sort((a, b) => a - b),
        { province: u.provinceCode, municipality: u.municipality, zone: u.agenda.zone as SeedZone,
          centreId: centreIds.get(centreCode(u.provinceCode, u.municipalityIndex))! });
      if (i % 50 === 49) await new Promise(setImmediate);
    }
    return { batch: builder.build(), calls };
  };

  // two transactions in flight let Postgres use both cores while the next batch is generated
  const inFlight = new Set<Promise<void>>();
  let done = 0;
  let callCount = 0;
  for (let from = 0; from < total; from += size) {
    const { batch, calls } = await prepare(from);
    while (inFlight.size >= writers) await Promise.race(inFlight);
    const count = batch.usuarias.size;
    // the calls go in their own transaction, so the province counters the usuarias lock are not held meanwhile
    const writing = withTransaction(pool, (tx) => writeBatch(tx, batch, write)).then(async () => {
      if (calls) await withTransaction(pool, (tx) => writeCallBatch(tx, calls, write.skipForeignKeyChecks));
      callCount += calls?.calls ?? 0;
      done += count;
      opts.onProgress?.(done, total);
    });
    inFlight.add(writing);
    // a failure is rethrown by the race or the final wait; this only drops the finished write
    writing.then(() => inFlight.delete(writing), () => undefined);
  }
  await Promise.all(inFlight);
  if (opts.callsYear) await afterCalls(pool);
  // the batches deferred the census and terminal counters (migration 010); report_rebuild does them too
  else await pool.query('select report_rebuild_stocks()');
  return { usuarias: total, centres: centreIds.size, ms: Math.round(performance.now() - started), calls: callCount };
}

/**
 * The managers' rollups from scratch (the batches deferred them: migration 005), and fresh planner
 * statistics for the tables that just grew by millions of rows.
 */
async function afterCalls(pool: Pool): Promise<void> {
  await pool.query('select report_rebuild()');
  for (const table of ['call_attempts', 'agenda_items', 'followup_occasions', 'incidents', 'expedientes', 'terminals', 'usuarias']) {
    await pool.query(`analyze ${table}`);
  }
}

/** `n` MSISDNs of active terminals chosen at random, for lookups in benchmarks and demos. */
export async function sampleMsisdns(db: Queryable, n: number): Promise<string[]> {
  const { rows } = await db.query<{ msisdn: string }>(
    `select msisdn from terminals where status = 'active' order by random() limit $1`, [n]);
  return rows.map((r) => r.msisdn);
}
