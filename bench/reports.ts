/**
 * `reports`: the managers' dashboard over a year of calls of 100k usuarias (about 5 million call
 * attempts, written by the seed generator). Every request the dashboard makes when it opens, with
 * no filter and with a province filter, p50/p99 over HTTP (a manager's session), asked by a process
 * of its own as a browser would (reports-browser.ts) over a keep-alive connection to the listening
 * app; each against its floor: the same answer read back from a table that holds it precomputed,
 * through the same app, auth and session, over the range the dashboard opens on (the last twelve
 * months to date, dashboard.js). p99 is taken over 1,000 repetitions by default: the tenth slowest sample
 * (nearest rank), not the third of 200, which one scheduler or collector hiccup could decide. Then
 * the upkeep of the rollups per finished call inside its transactions, the cost of folding its
 * deltas afterwards, and the heaviest requests again while those deltas are still pending (a read
 * adds them to the rollups: migration 005).
 */
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { constants, PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { newToken, tokenHash } from '../access/secrets.ts';
import { loadConfig } from '../app/config.ts';
import { createRegistry } from '../app/health.routes.ts';
import { buildApp } from '../app/server.ts';
import { systemClock } from '../common/clock.ts';
import { createLogger } from '../common/log.ts';
import { REPORT_READERS } from '../reports/index.ts';
import type { Pool } from '../store/db.ts';
import { seedUsuarias } from '../store/seed/index.ts';
import { sessionsRepo, usersRepo } from '../store/users.repo.ts';
import type { Sampled } from './reports-browser.ts';
import { msSince, percentile, round, startStack, writeResult, type BenchResult, type Figures } from './lib.ts';

const DAY = 86_400_000;
/** What the dashboard asks for when it opens: every figure for the whole selection, and the drill-down table's. */
const TOTALS = ['census', 'calls', 'followups', 'answer-times', 'emergencies', 'contact-loss', 'selftest-overdue', 'outside-window'];
const DRILL = ['census', 'calls', 'followups', 'answer-times', 'emergencies', 'outside-window'];
/** Madrid: the province with the most usuarias, so the heaviest province filter. */
const PROVINCE = '28';

interface Request { key: string; url: string }

function requests(from: string, to: string): Request[] {
  const out: Request[] = [];
  for (const [scope, place, by] of [['all', '', 'province'], ['province', `&province=${PROVINCE}`, 'municipality']] as const) {
    const base = `from=${from}&to=${to}&grain=month${place}`;
    out.push({ key: `filters_${scope}`, url: `/api/reports/filters${scope === 'province' ? `?province=${PROVINCE}` : ''}` });
    for (const f of TOTALS) out.push({ key: `${f}_${scope}`, url: `/api/reports/${f}?${base}&by=none` });
    for (const f of DRILL) out.push({ key: `${f}_by_${by}_${scope}`, url: `/api/reports/${f}?${base}&by=${by}` });
  }
  return out;
}

/** A manager with a live session, without the sign-in ceremony. */
async function managerToken(pool: Pool): Promise<string> {
  const user = await usersRepo(pool).create({ username: `bench-${randomBytes(3).toString('hex')}`, displayName: 'Bench',
    role: 'manager', passwordHash: 'x' });
  const token = newToken('ses');
  await sessionsRepo(pool).create(user.id, tokenHash(token), 'session', new Date(Date.now() + DAY));
  return token;
}

/** The floor: the same response body, precomputed, read by key with one indexed query, through the same app, auth and connections as the figures. */
function floorRoute(app: FastifyInstance, pool: Pool): void {
  app.get<{ Params: { key: string } }>('/api/bench/precomputed/:key', { config: { access: { roles: REPORT_READERS } }, schema: { hide: true } },
    async (req, reply) => {
      const { rows } = await pool.query<{ body: string }>({ name: 'bench.precomputed',
        text: 'select body from bench_precomputed where key = $1', values: [req.params.key] });
      return reply.type('application/json; charset=utf-8').send(rows[0]!.body);
    });
}

/** A response body, read once through the app (not timed). */
async function body(app: FastifyInstance, url: string, token: string): Promise<string> {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
  return res.body;
}

/**
 * The dashboard's process (reports-browser.ts) asks the listening app: every request's URLs in
 * turn, `rounds` times after two rounds of warm-up. Over a socket, as a browser asks: measured
 * through `inject` in this process, the harness's own objects outlived the young generation (39 %
 * of a bare inject's allocation survived a scavenge here, 2.4 % over a socket), and the collector's
 * pauses of 10-20 ms that followed were the p99 of every small request.
 */
async function browse(app: FastifyInstance, token: string, requests: { key: string; urls: string[] }[], rounds: number): Promise<Sampled[]> {
  const { port } = app.server.address() as AddressInfo;
  const child = fork(fileURLToPath(new URL('./reports-browser.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
  try {
    child.send({ port, token, rounds, warmup: 2, requests });
    const [msg] = (await once(child, 'message')) as [{ sampled?: Sampled[]; error?: string }];
    if (!msg.sampled) throw new Error(`reports browser: ${msg.error}`);
    return msg.sampled;
  } finally {
    child.kill();
  }
}

const durations = (spans: [number, number][]) => spans.map(([start, end]) => end - start);

/**
 * V8's collections during the measurement (perf_hooks 'gc' entries): how many major ones, their
 * longest pause and all pauses in total, and how many samples of each side a pause of 2 ms or more
 * fell into. A p99 over 1,000 samples is their tenth slowest (nearest rank): these say how much of
 * it is the collector's, which pauses every request the app serves alike.
 */
function watchGc() {
  const pauses: { start: number; ms: number; major: boolean }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      pauses.push({ start: performance.timeOrigin + e.startTime, ms: e.duration, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async figures(spans: Record<'real' | 'floor', [number, number][]>): Promise<Figures> {
      await new Promise((resolve) => setTimeout(resolve, 50)); // entries are delivered after the fact
      observer.disconnect();
      const long = pauses.filter((p) => p.ms >= 2);
      const hit = (side: [number, number][]) => side.filter(([a, b]) => long.some((p) => p.start < b && p.start + p.ms > a)).length;
      const major = pauses.filter((p) => p.major);
      return { gc_major_count: major.length, gc_major_pause_max_ms: round(Math.max(0, ...major.map((p) => p.ms))),
        gc_pause_total_ms: round(pauses.reduce((a, p) => a + p.ms, 0)), gc_hit_real_samples_count: hit(spans.real),
        gc_hit_floor_samples_count: hit(spans.floor) };
    },
  };
}

/** p50/p99 of every request and of its floor, alternating which goes first. */
async function measureRequests(app: FastifyInstance, pool: Pool, token: string, reqs: Request[], reps: number): Promise<Figures> {
  await pool.query('create table if not exists bench_precomputed (key text primary key, body text not null)');
  for (const r of reqs) {
    await pool.query('insert into bench_precomputed (key, body) values ($1, $2) on conflict (key) do update set body = excluded.body',
      [r.key, await body(app, r.url, token)]);
  }
  await pool.query('analyze bench_precomputed');
  const gc = watchGc();
  const sampled = await browse(app, token, reqs.map((r) => ({ key: r.key, urls: [r.url, `/api/bench/precomputed/${r.key}`] })), reps);
  const samples = new Map(sampled.map((s) => [s.key, { real: durations(s.spans[0]!), floor: durations(s.spans[1]!) }]));
  const spans = { real: sampled.flatMap((s) => s.spans[0]!), floor: sampled.flatMap((s) => s.spans[1]!) };
  const figures: Figures = await gc.figures(spans);
  let worst = 0;
  let worstRatio = 0;
  for (const [key, s] of samples) {
    const p99 = percentile(s.real, 99);
    const floorP99 = percentile(s.floor, 99);
    const name = key.replaceAll('-', '_');
    Object.assign(figures, { [`${name}_p50_ms`]: round(percentile(s.real, 50)), [`${name}_p99_ms`]: round(p99),
      [`${name}_floor_p99_ms`]: round(floorP99), [`ratio_${name}_p99`]: round(p99 / floorP99, 2) });
    worst = Math.max(worst, p99);
    worstRatio = Math.max(worstRatio, p99 / floorP99);
  }
  return { p99_ms: round(worst), ratio_p99: round(worstRatio, 2), ...figures };
}

/**
 * The rollups' upkeep: finished calls written as the telephony layer writes them (started, then
 * ended, then filed: three statements, each its own transaction), with the report triggers on and
 * with them deferred and the snapshot given; the difference per call is what the rollups cost
 * inside the call's transactions (the snapshot and the appended deltas). Then the fold of those
 * deltas, outside any call: the app's folder is held off during the loop (its advisory lock) and
 * one fold takes them all, timed.
 */
async function measureUpkeep(pool: Pool, calls: number, whilePending: () => Promise<Figures>): Promise<Figures> {
  const { rows: people } = await pool.query<{ id: string; province_code: string; municipality: string; centre_id: string }>(
    `select u.id, u.province_code, u.municipality, e.centre_id from usuarias u join expedientes e on e.usuaria_id = u.id
     where e.status = 'activa' order by random() limit $1`, [Math.min(calls, 5000)]);
  const client = await pool.connect();
  const holder = await pool.connect();
  const times = { on: [] as number[], off: [] as number[] };
  let fold = { ms: 0, rows: 0 };
  let pending: Figures = {};
  try {
    await holder.query(`select pg_advisory_lock(hashtext('atenpro.report_fold'))`);
    for (let i = 0; i < calls; i++) {
      const p = people[i % people.length]!;
      const deferred = i % 2 === 1;
      const id = randomUUID();
      const started = new Date(Date.now() - 600_000);
      const t = process.hrtime.bigint();
      await client.query('begin');
      if (deferred) await client.query(`set local atenpro.reports_deferred = 'on'`);
      await client.query({ name: `bench.start.${deferred}`, text: deferred
        ? `insert into call_attempts (id, direction, line, kind, provider, provider_call_id, usuaria_id, started_at,
            rep_province, rep_municipality, rep_centre_id) values ($1::uuid, 'inbound', 'general', 'A', 'sip', $1::text, $2, $3, $4, $5, $6)`
        : `insert into call_attempts (id, direction, line, kind, provider, provider_call_id, usuaria_id, started_at)
            values ($1::uuid, 'inbound', 'general', 'A', 'sip', $1::text, $2, $3)`,
      values: deferred ? [id, p.id, started, p.province_code, p.municipality, p.centre_id] : [id, p.id, started] });
      await client.query('commit');
      await client.query('begin');
      if (deferred) await client.query(`set local atenpro.reports_deferred = 'on'`);
      await client.query({ name: 'bench.end', text: `update call_attempts set answered_at = started_at + interval '12 seconds',
        ended_at = started_at + interval '5 minutes', outcome = 'completed' where id = $1`, values: [id] });
      await client.query('commit');
      await client.query('begin');
      if (deferred) await client.query(`set local atenpro.reports_deferred = 'on'`);
      await client.query({ name: 'bench.file', text: `update call_attempts set disposition = '{"kind":"A","outcome":"atendida"}' where id = $1`,
        values: [id] });
      await client.query('commit');
      (deferred ? times.off : times.on).push(msSince(t));
    }
    const pendingFigures = await whilePending();
    // advisory locks are re-entrant: the session that holds the folder off folds itself
    const t = process.hrtime.bigint();
    const { rows } = await holder.query<{ n: number }>('select report_fold() as n');
    fold = { ms: msSince(t), rows: rows[0]!.n };
    pending = pendingFigures;
    await holder.query(`select pg_advisory_unlock(hashtext('atenpro.report_fold'))`);
  } finally {
    client.release();
    holder.release();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { upkeep_ms_per_call: round(Math.max(0, mean(times.on) - mean(times.off))), call_write_ms_per_call: round(mean(times.off)),
    call_write_with_rollups_p99_ms: round(percentile(times.on, 99)), fold_ms_per_call: round(fold.ms / times.on.length, 4),
    fold_rows: fold.rows, fold_ms: round(fold.ms), ...pending };
}

export async function run(): Promise<BenchResult> {
  const usuarias = Number(process.env.BENCH_USUARIAS ?? 100_000);
  const reps = Number(process.env.BENCH_REPS ?? 1000);
  const upkeepCalls = Number(process.env.BENCH_UPKEEP_CALLS ?? 4000);
  const stack = await startStack();
  try {
    console.log(`reports: seeding ${usuarias} usuarias and their year of calls...`);
    const seeded = await seedUsuarias(stack.pool, stack.cipher, { usuarias, seed: 42, callsYear: true,
      onProgress: (done, total) => { if (done % 10_000 < 1000) console.log(`reports: seeded ${done}/${total}`); } });
    await stack.pool.query('vacuum analyze');
    await stack.pool.query('checkpoint').catch(() => undefined); // needs pg_checkpoint on a shared server
    const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', REDIS_PREFIX: `bench-reports-${randomBytes(3).toString('hex')}`,
      DIALER_WORKERS: 'false' });
    const app = await buildApp({ config, pool: stack.pool, redis: stack.redis, cipher: stack.cipher, clock: systemClock,
      logger: createLogger('warn'), registry: createRegistry() });
    floorRoute(app, app.reportsReads);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const token = await managerToken(stack.pool);
      // the dashboard's default range (dashboard.js, defaultRange): the 1st of the month eleven months back to today
      const today = DateTime.now().setZone('Europe/Madrid');
      const to = today.toISODate()!;
      const from = today.startOf('month').minus({ months: 11 }).toISODate()!;
      console.log(`reports: ${seeded.calls} call attempts in ${round(seeded.ms / 1000, 1)} s; measuring the dashboard's requests...`);
      const requestFigures = await measureRequests(app, stack.pool, token, requests(from, to), reps);
      console.log('reports: measuring the rollups\' upkeep...');
      // the requests that read the deltas most, again with every delta of the upkeep loop still pending
      const upkeep = await measureUpkeep(stack.pool, upkeepCalls, async () => {
        const again = requests(from, to).filter((r) => ['calls_all', 'answer_times_all', 'calls_by_province_all'].includes(r.key.replaceAll('-', '_')));
        const figures: Figures = {};
        for (const s of await browse(app, token, again.map((r) => ({ key: r.key, urls: [r.url] })), reps)) {
          figures[`${s.key.replaceAll('-', '_')}_deltas_pending_p50_ms`] = round(percentile(durations(s.spans[0]!), 50));
        }
        return figures;
      });
      return await writeResult('reports', { usuarias, call_attempts: seeded.calls, reps, upkeep_calls: upkeepCalls }, {
        ...requestFigures, ...upkeep, seed_s: round(seeded.ms / 1000, 1),
      }, { p99_ms: { max: 300 }, ratio_p99: { max: 3 }, upkeep_ms_per_call: { max: 1 } });
    } finally {
      await app.close();
    }
  } finally {
    await stack.stop();
  }
}
