/**
 * Where an inbound call's time goes, for `BENCH_INBOUND_PROFILE=1 npm run bench -- inbound`
 * (`BENCH_INBOUND_PROFILE=cpu`: only the event loop and the V8 CPU profile, nothing wrapped).
 * Wraps, from the outside and only for the benchmark, the pool's queries (by statement name),
 * Redis commands, the inbound service's entry points, the hub's publish and each HTTP route,
 * and watches the event loop's delay. Nothing here changes what the app does.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Pool } from '../store/db.ts';
import { percentile, round } from './lib.ts';

type Spans = Map<string, number[]>;

export interface Profiler { reset(): void; report(title: string, seconds: number): void; stop(): Promise<void> }

const TICKS_PER_S = 100;

/** CPU seconds used so far by this process's descendants, by command: postgres, redis-server, node (the driver). */
export function cpuOfProcesses(): Record<string, number> {
  const procs = new Map<number, { ppid: number; name: string; cpu: number }>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = comm.startsWith('postgres') ? 'postgres' : comm.startsWith('redis') ? 'redis-server' : comm;
      procs.set(Number(pid), { ppid: Number(fields[1]), name, cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S });
    } catch { /* gone meanwhile */ }
  }
  const ours = (pid: number): boolean => {
    for (let p = procs.get(pid)?.ppid; p && p > 1; p = procs.get(p)?.ppid) if (p === process.pid) return true;
    return false;
  };
  const out: Record<string, number> = {};
  for (const [pid, p] of procs) if (ours(pid)) out[p.name] = (out[p.name] ?? 0) + p.cpu;
  return out;
}

/** The whole machine's busy share since the last reading, from /proc/stat. */
export function machineBusy(): { busy: number; total: number } {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = v.map(Number);
  const idle = n[3]! + n[4]!;
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Round trips the app makes: queries on the pool, and writes on its Redis connection (ioredis
 * writes a pipeline or a transaction in one go, so a write is a round trip). Counting only.
 */
export function roundTrips(pool: Pool, redis: Redis): () => { pg: number; redis: number } {
  let pg = 0;
  let writes = 0;
  const query = pool.query.bind(pool) as (...a: unknown[]) => unknown;
  (pool as unknown as { query: unknown }).query = (...a: unknown[]) => { pg++; return query(...a); };
  let counted: unknown = null;
  const watch = () => {
    const stream = (redis as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
    if (stream === counted) return;
    const write = stream.write.bind(stream);
    stream.write = (...a: unknown[]) => { writes++; return write(...a); };
    counted = stream;
  };
  watch();
  return () => { watch(); return { pg, redis: writes }; };
}

/**
 * `wrap`: time the app's queries, Redis commands, entry points and routes, and sample what
 * Postgres's sessions wait for; without it only the event loop and the CPU profile are taken, so
 * the app runs as it is.
 */
export function profileApp(app: FastifyInstance, pool: Pool, redis: Redis, { wrap }: { wrap: boolean }): Profiler {
  let spans: Spans = new Map();
  // what the store's sessions are doing, sampled: how the time inside Postgres splits
  const activity = new Map<string, number>();
  const sampler = wrap ? new pg.Client({ connectionString: (pool as unknown as { options: { connectionString: string } }).options.connectionString })
    : null;
  let sampling: NodeJS.Timeout | null = null;
  let busy = false;
  void sampler?.connect().then(() => {
    sampling = setInterval(() => {
      if (busy) return;
      busy = true;
      void sampler.query(`select coalesce(wait_event_type || ':' || wait_event, 'cpu') as w, left(regexp_replace(query, '\\s+', ' ', 'g'), 40) as q
        from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and backend_type = 'client backend'`).then(({ rows }) => {
        for (const r of rows as { w: string; q: string }[]) activity.set(`${r.w}  ${r.q}`, (activity.get(`${r.w}  ${r.q}`) ?? 0) + 1);
      }, () => undefined).finally(() => { busy = false; });
    }, 20);
  });
  const add = (name: string, ms: number) => {
    let list = spans.get(name);
    if (!list) spans.set(name, (list = []));
    list.push(ms);
  };
  if (wrap) wrapCalls(app, pool, redis, add);

  // BENCH_INBOUND_CPUPROF=<dir>: a V8 CPU profile of the app process per rate, for Chrome DevTools
  const cpuProfileDir = process.env.BENCH_INBOUND_CPUPROF;
  const inspector = new Session();
  if (cpuProfileDir) {
    inspector.connect();
    inspector.post('Profiler.enable');
    inspector.post('Profiler.setSamplingInterval', { interval: 200 });
  }
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let cpu = process.cpuUsage();
  let procs = cpuOfProcesses();
  let box = machineBusy();

  return {
    reset() {
      spans = new Map(); activity.clear(); loop.reset(); cpu = process.cpuUsage(); procs = cpuOfProcesses(); box = machineBusy();
      if (cpuProfileDir) inspector.post('Profiler.start');
    },
    async stop() {
      if (sampling) clearInterval(sampling);
      await sampler?.end().catch(() => undefined);
    },
    report(title, seconds) {
      const used = process.cpuUsage(cpu);
      if (cpuProfileDir) {
        inspector.post('Profiler.stop', (err, res) => {
          if (!err) writeFileSync(`${cpuProfileDir}/inbound-${title.replace(/\W+/g, '')}.cpuprofile`, JSON.stringify(res.profile));
        });
      }
      const nowProcs = cpuOfProcesses();
      const nowBox = machineBusy();
      const share = (name: string) => `${name} ${round(((nowProcs[name] ?? 0) - (procs[name] ?? 0)) / seconds * 100, 0)}%`;
      console.log(`\n  machine ${round((nowBox.busy - box.busy) / (nowBox.total - box.total) * 100, 0)}% busy; CPU of one core: ` +
        `${share('postgres')}, ${share('redis-server')}, driver ${share('node')}`);
      console.log(`\n  profile ${title}: app process CPU ${round((used.user + used.system) / 1e3 / seconds / 10, 1)}% of one core, ` +
        `event loop delay p50 ${round(loop.percentile(50) / 1e6, 2)} ms, p99 ${round(loop.percentile(99) / 1e6, 2)} ms, ` +
        `max ${round(loop.max / 1e6, 1)} ms`);
      const rows = [...spans].map(([name, ms]) => ({ name, n: ms.length, mean: ms.reduce((s, x) => s + x, 0) / ms.length,
        p99: percentile(ms, 99) })).sort((a, b) => b.n * b.mean - a.n * a.mean);
      console.log(`  ${'span'.padEnd(52)} ${'count'.padStart(7)} ${'mean ms'.padStart(9)} ${'p99 ms'.padStart(9)}`);
      for (const r of rows) {
        console.log(`  ${r.name.slice(0, 52).padEnd(52)} ${String(r.n).padStart(7)} ${r.mean.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(9)}`);
      }
      const samples = [...activity.values()].reduce((a, b) => a + b, 0);
      console.log(`  postgres sessions, sampled every 20 ms (${samples} active samples): what they wait for, and on what`);
      for (const [k, n] of [...activity].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`    ${String(n).padStart(6)}  ${k}`);
    },
  };
}

/** Times, from the outside, the pool's queries (by statement name), Redis commands, the inbound service's entry points, the hub's publish and each route. */
function wrapCalls(app: FastifyInstance, pool: Pool, redis: Redis, add: (name: string, ms: number) => void): void {
  const timed = <A extends unknown[], R>(name: string | ((...a: A) => string), fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t = performance.now();
      try {
        return await fn(...a);
      } finally {
        add(typeof name === 'string' ? name : name(...a), performance.now() - t);
      }
    };

  const query = pool.query.bind(pool) as (...a: unknown[]) => Promise<unknown>;
  const statement = (q: unknown) => {
    if (typeof q === 'object' && q && 'name' in q && (q as { name?: string }).name) return `pg ${(q as { name: string }).name}`;
    const text = typeof q === 'string' ? q : String((q as { text?: string }).text ?? '');
    return `pg ${text.replace(/\s+/g, ' ').trim().slice(0, 48)}`;
  };
  (pool as unknown as { query: unknown }).query = timed((q: unknown, ...rest: unknown[]) => statement(q), (...a: unknown[]) => query(...a));

  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string; args: unknown[] }, stream?: unknown) => {
    const t = performance.now();
    const name = command.name === 'evalsha' || command.name === 'eval' ? 'redis eval(desk)' : `redis ${command.name}`;
    const p = send(command as never, stream as never);
    // a command inside MULTI resolves only with EXEC: time it all the same
    void Promise.resolve(p).then(() => add(name, performance.now() - t), () => add(name, performance.now() - t));
    return p;
  }) as typeof redis.sendCommand;

  const inbound = app.telephony.inbound as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const m of ['accept', 'event', 'setPresence']) inbound[m] = timed(`inbound.${m}`, inbound[m]!.bind(inbound));
  const hub = app.telephony.hub as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  hub.publish = timed((_op: unknown, type: unknown) => `hub.publish ${String(type)}`, hub.publish!.bind(hub));

  const started = new WeakMap<object, number>();
  app.addHook('onRequest', async (req) => { started.set(req, performance.now()); });
  app.addHook('onResponse', async (req) => {
    const t = started.get(req);
    if (t !== undefined) add(`http ${req.routeOptions.url ?? req.url}`, performance.now() - t);
  });
}
