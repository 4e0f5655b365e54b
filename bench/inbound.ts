/**
 * `inbound`: signed Twilio `incoming` webhooks at steady open-loop rates against the whole app
 * over HTTP, 100k usuarias, 20 operators on their websocket consoles cycling as fast as they can.
 * Per call: the webhook's reply time, and webhook send -> `call.offered` received by a console
 * (queue wait included: that is what a caller gets). The floor, in the same run just before the
 * middle rate, driven the same way: the same signed webhooks to a bare server that checks the
 * signature, runs the identification query and publishes one fixed pop-sized message through the
 * screen-pop hub to a console's websocket (inbound-floor.ts). Per rate also the CPU each call
 * costs the app, Postgres, Redis and the driver, and the app's round trips per call.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { hashPassword } from '../access/secrets.ts';
import { loadConfig } from '../app/config.ts';
import { createRegistry } from '../app/health.routes.ts';
import { buildApp } from '../app/server.ts';
import { systemClock } from '../common/clock.ts';
import { createLogger } from '../common/log.ts';
import type { Pool } from '../store/db.ts';
import type { FieldCipher } from '../store/crypto.ts';
import { popRepo } from '../store/pop.repo.ts';
import { sampleMsisdns, seedUsuarias } from '../store/seed/index.ts';
import { usersRepo } from '../store/users.repo.ts';
import { buildPop } from '../telephony/screenpop/pop.ts';
import type { CallRecord, DriverInit, DriverTotals, FloorCommand, FloorResult, PhaseCommand, PhaseResult } from './inbound-driver.ts';
import { startFloor } from './inbound-floor.ts';
import { cpuOfProcesses, machineBusy, profileApp, roundTrips, type Profiler } from './inbound-profile.ts';
import { freePort, percentile, round, startStack, writeResult, type BenchResult, type Figures } from './lib.ts';

const OPERATORS = 20;
// 500 calls before the first measured rate: with 100, the app was still compiling its hot paths in
// the 50/s phase (9.3 ms of CPU per call there, against 4.9 ms at 200/s)
const WARMUP = { rate: 50, durationS: 10 };
const LINES = { emergency: '+34900100100', general: '+34900100200' };
const PASSWORD = 'bench-inbound-operadora-2026';

// --- a stand-in for api.twilio.com's Calls resource (bridging a queued call updates it) -------

async function startCallsApi(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      const sid = /\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(req.url ?? '')?.[1] ?? `CA${randomBytes(16).toString('hex')}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sid, status: 'in-progress' }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests: () => requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

// --- the far side, in its own process -------------------------------------------------------

interface Driver {
  phase(cmd: Omit<PhaseCommand, 'type'>): Promise<PhaseResult>;
  floor(cmd: Omit<FloorCommand, 'type'>): Promise<FloorResult>;
  totals(): Promise<DriverTotals>;
  stop(): Promise<void>;
}

async function startDriver(init: Omit<DriverInit, 'type'>): Promise<Driver> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./inbound-driver.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
  const next = <T>(type: string) => new Promise<T>((resolve, reject) => {
    const onMessage = (m: { type: string; message?: string }) => {
      if (m.type === 'error') reject(new Error(`inbound driver: ${m.message}`));
      else if (m.type === type) resolve(m as T);
      else return;
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onExit = (code: number | null) => reject(new Error(`inbound driver exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  const ready = next('ready');
  child.send({ type: 'init', ...init } satisfies DriverInit);
  await ready;
  return {
    async phase(cmd) {
      const done = next<PhaseResult>('phase-done');
      child.send({ type: 'phase', ...cmd } satisfies PhaseCommand);
      return done;
    },
    async floor(cmd) {
      const done = next<FloorResult>('floor-done');
      child.send({ type: 'floor', ...cmd } satisfies FloorCommand);
      return done;
    },
    async totals() {
      const done = next<DriverTotals>('totals');
      child.send({ type: 'totals' });
      return done;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// --- the floor --------------------------------------------------------------------------------

/** The body of a `call.offered` message as the app sends it, with a real usuaria's pop. */
async function popSizedBody(pool: Pool, cipher: FieldCipher, msisdn: string): Promise<Record<string, unknown>> {
  const row = await popRepo(pool).loadByMsisdn(msisdn);
  if (!row) throw new Error('floor: the sampled usuaria has no pop');
  return { line: 'emergency', waitedMs: 0, pop: buildPop(row, 'emergency', msisdn, cipher) };
}

// --- the app and its operators --------------------------------------------------------------

async function startApp(stack: Awaited<ReturnType<typeof startStack>>, apiUrl: string) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), PUBLIC_BASE_URL: origin,
    TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_API_BASE_URL: apiUrl,
    CENTRE_LINES: `emergency=${LINES.emergency},general=${LINES.general}`,
    REDIS_PREFIX: `bench-inbound-${randomBytes(3).toString('hex')}`,
    // the dialer would reserve these operators for the seeded agenda's calls: not what is measured here
    DIALER_WORKERS: 'false' });
  const app = await buildApp({ config, pool: stack.pool, redis: stack.redis, cipher: stack.cipher, clock: systemClock,
    logger: createLogger('warn'), registry: createRegistry() });
  // hooks go on before listen: the profile only wraps, it never changes what the app does
  const mode = process.env.BENCH_INBOUND_PROFILE;
  const profiler = mode === '1' || mode === 'cpu' ? profileApp(app, stack.pool, stack.redis, { wrap: mode === '1' }) : null;
  await app.listen({ port, host: '127.0.0.1' });
  return { app, origin, accountSid, authToken, prefix: config.redisPrefix, profiler };
}

async function signInOperators(pool: Pool, origin: string): Promise<{ id: string; token: string }[]> {
  const hash = await hashPassword(PASSWORD);
  const tag = randomBytes(3).toString('hex');
  const out: { id: string; token: string }[] = [];
  for (let i = 1; i <= OPERATORS; i++) {
    const username = `bench-op-${tag}-${i}`;
    const user = await usersRepo(pool).create({ username, displayName: `Operadora ${i}`, role: 'operator', passwordHash: hash,
      deviceUri: `sip:op${i}@10.0.0.${i}` });
    const res = await fetch(`${origin}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }) });
    const body = (await res.json()) as { status: string; token?: string };
    if (res.status !== 200 || body.status !== 'ok' || !body.token) throw new Error(`operator sign-in: HTTP ${res.status}`);
    out.push({ id: user.id, token: body.token });
  }
  return out;
}

/** Lets the operators empty the queue between rates, so each rate starts from an idle desk. */
async function drainQueue(app: FastifyInstance, maxMs = 120_000): Promise<number> {
  const until = performance.now() + maxMs;
  let waiting = (await app.telephony.inbound.desk.waiting()).length;
  while (waiting > 0 && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    waiting = (await app.telephony.inbound.desk.waiting()).length;
  }
  await new Promise((r) => setTimeout(r, 500)); // the last ones' operators finish their cycle
  return waiting;
}

/** On a shared Redis, the desk, live calls and pops this run left behind (its own prefix only). */
async function forgetKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

// --- figures ----------------------------------------------------------------------------------

interface RateFigures { errors: number; lost: number; held: boolean }

/** What one rate cost, from its first call to its drained queue (grace and the operators' last cycles included). */
interface PhaseCost { appCpuMs: number; procCpuMs: Record<string, number>; busy: number; pg: number; redis: number }

function costMeter(count: () => { pg: number; redis: number }): () => () => PhaseCost {
  return () => {
    const cpu = process.cpuUsage();
    const procs = cpuOfProcesses();
    const box = machineBusy();
    const trips = count();
    return () => {
      const used = process.cpuUsage(cpu);
      const nowProcs = cpuOfProcesses();
      const nowBox = machineBusy();
      const nowTrips = count();
      const procCpuMs = Object.fromEntries(Object.keys(nowProcs).map((k) => [k, ((nowProcs[k] ?? 0) - (procs[k] ?? 0)) * 1000]));
      return { appCpuMs: (used.user + used.system) / 1000, procCpuMs, busy: (nowBox.busy - box.busy) / (nowBox.total - box.total || 1),
        pg: nowTrips.pg - trips.pg, redis: nowTrips.redis - trips.redis };
    };
  };
}

/** CPU and round trips per call: the figures that stay comparable on a noisy machine. */
function costFigures(rate: number, calls: number, c: PhaseCost, figures: Figures): void {
  const at = `_at_${rate}`;
  const per = (x: number) => round(x / (calls || 1), 3);
  figures[`app_cpu_ms_per_call${at}`] = per(c.appCpuMs);
  // embedded servers only (children of this process): with DATABASE_URL / REDIS_URL they are elsewhere
  figures[`postgres_cpu_ms_per_call${at}`] = per(c.procCpuMs.postgres ?? 0);
  figures[`redis_cpu_ms_per_call${at}`] = per(c.procCpuMs['redis-server'] ?? 0);
  figures[`driver_cpu_ms_per_call${at}`] = per(c.procCpuMs.node ?? 0);
  figures[`ratio_pg_queries_per_call${at}`] = per(c.pg);
  figures[`ratio_redis_writes_per_call${at}`] = per(c.redis);
  // the whole machine, other people's work included: how noisy the run was
  figures[`ratio_machine_busy${at}`] = round(c.busy, 3);
}

function rateFigures(r: PhaseResult, figures: Figures): RateFigures {
  const at = `_at_${r.rate}`;
  const answered = r.calls.filter((c) => c.webhookMs !== null);
  const popped = r.calls.filter((c): c is CallRecord & { popMs: number } => c.popMs !== null);
  const errors = r.calls.filter((c) => c.status !== 200 || c.action === 'fallback').length;
  // a call that got its TwiML but whose console never got its pop
  const lost = r.calls.filter((c) => c.status === 200 && c.popMs === null).length;
  const waited = r.calls.filter((c) => c.action === 'wait');
  const degraded = r.calls.filter((c) => c.degraded).length;
  if (answered.length) {
    figures[`webhook_p50_ms${at}`] = round(percentile(answered.map((c) => c.webhookMs!), 50));
    figures[`webhook_p99_ms${at}`] = round(percentile(answered.map((c) => c.webhookMs!), 99));
  }
  if (popped.length) {
    figures[`pop_p50_ms${at}`] = round(percentile(popped.map((c) => c.popMs), 50));
    figures[`pop_p99_ms${at}`] = round(percentile(popped.map((c) => c.popMs), 99));
    const direct = popped.filter((c) => c.action === 'connect');
    if (direct.length) figures[`pop_unqueued_p99_ms${at}`] = round(percentile(direct.map((c) => c.popMs), 99));
  }
  figures[`ratio_waited${at}`] = round(waited.length / (r.calls.length || 1), 4);
  if (waited.length) figures[`queue_wait_p99_ms${at}`] = round(percentile(waited.map((c) => c.waitedMs ?? 0), 99));
  figures[`errors_count${at}`] = errors;
  figures[`lost_pops_count${at}`] = lost;
  figures[`degraded_pops_count${at}`] = degraded;
  figures[`sent_per_s${at}`] = round(r.sentPerS, 1);
  figures[`send_lag_p99_ms${at}`] = round(percentile(r.calls.map((c) => c.lagMs), 99));
  // held: every webhook answered 200 with our TwiML, every pop delivered once and whole (an emergency
  // popped without her ficha because the store was over its budget is fail-open, not a rate held),
  // the schedule kept
  const held = errors === 0 && lost === 0 && degraded === 0 && r.duplicatePops === 0 && r.operatorErrors === 0 && r.sentPerS >= 0.95 * r.rate;
  return { errors, lost, held };
}

export async function run(): Promise<BenchResult> {
  const usuarias = Number(process.env.BENCH_USUARIAS ?? 100_000);
  const durationS = Number(process.env.BENCH_INBOUND_SECONDS ?? 10);
  const graceS = Number(process.env.BENCH_INBOUND_GRACE_S ?? 10);
  const rates = (process.env.BENCH_INBOUND_RATES ?? '50,200,500').split(',').map(Number);
  const floorRate = 200;
  const stack = await startStack();
  const api = await startCallsApi();
  let app: FastifyInstance | null = null;
  let driver: Driver | null = null;
  let profiler: Profiler | null = null;
  let prefix: string | null = null;
  try {
    console.log(`inbound: seeding ${usuarias} usuarias...`);
    const seeded = await seedUsuarias(stack.pool, stack.cipher, { usuarias, seed: 42 });
    await stack.pool.query('vacuum analyze terminals, usuarias, expedientes, risk_assessments, agenda_policies');
    await stack.pool.query('checkpoint').catch(() => undefined); // needs pg_checkpoint on a shared server
    const total = Math.round(WARMUP.rate * WARMUP.durationS + rates.reduce((s, r) => s + r * durationS, 0));
    // one number per call where there are enough, so a pop names its call by its caller too
    const callers = await sampleMsisdns(stack.pool, Math.min(total, usuarias));

    const started = await startApp(stack, api.url);
    const meter = costMeter(roundTrips(stack.pool, stack.redis));
    const costs = new Map<number, PhaseCost>();
    app = started.app;
    prefix = started.prefix;
    profiler = started.profiler;
    const operators = await signInOperators(stack.pool, started.origin);
    driver = await startDriver({ origin: started.origin, publicBaseUrl: started.origin, accountSid: started.accountSid,
      authToken: started.authToken, lines: LINES, operators });
    console.log(`inbound: app on ${started.origin}, ${OPERATORS} consoles connected and available`);

    let offset = 0;
    const slice = (n: number) => {
      const out = Array.from({ length: n }, (_, i) => callers[(offset + i) % callers.length]!);
      offset += n;
      return out;
    };
    await driver.phase({ name: 'warmup', ...WARMUP, graceS, callers: slice(WARMUP.rate * WARMUP.durationS) });

    if (profiler) {
      // what the app costs with no call at all, to tell it from what each call costs
      profiler.reset();
      await new Promise((r) => setTimeout(r, 3000));
      profiler.report('idle', 3);
    }
    const figures: Figures = {};
    const results: PhaseResult[] = [];
    let floor: FloorResult | null = null;
    let bridgesBefore = api.requests();
    for (const rate of rates) {
      if (rate === floorRate) {
        // the floor, at the same rate and just before it, from the same driver (see inbound-floor.ts)
        const body = await popSizedBody(stack.pool, stack.cipher, callers[0]!);
        const server = await startFloor({ pool: stack.pool, redis: stack.redis, cipher: stack.cipher, authToken: started.authToken,
          prefix: started.prefix, body });
        try {
          floor = await driver.floor({ origin: server.origin, rate: floorRate, durationS, graceS, callers: slice(floorRate * durationS) });
        } finally {
          await server.close();
        }
        console.log(`inbound: floor at ${floorRate}/s sent at ${floor.sentPerS.toFixed(1)}/s, ${floor.failed} failed, ` +
          `message of ${JSON.stringify(body).length} bytes`);
      }
      started.profiler?.reset();
      const phaseStart = performance.now();
      const measured = meter();
      const r = await driver.phase({ name: `rate-${rate}`, rate, durationS, graceS, callers: slice(rate * durationS) });
      started.profiler?.report(`${rate}/s`, (performance.now() - phaseStart) / 1000);
      results.push(r);
      const left = await drainQueue(app);
      // through the drain: a call still queued at the end of the phase costs its work there
      costs.set(rate, measured());
      const bridges = api.requests() - bridgesBefore;
      bridgesBefore = api.requests();
      const waited = r.calls.filter((c) => c.action === 'wait').length;
      console.log(`inbound: ${rate}/s sent at ${r.sentPerS.toFixed(1)}/s, ${r.calls.length} calls, ${waited} waited, ` +
        `${bridges} bridges, late pops of the phase before ${r.strayPops}, operator errors ${r.operatorErrors}, ` +
        `pop ${Math.round(r.popBytesMean)} bytes, ${left} calls still queued after the drain`);
    }

    const totals = await driver.totals();
    let lost = 0;
    let maxRate = 0;
    for (const r of results) {
      const f = rateFigures(r, figures);
      costFigures(r.rate, r.calls.length, costs.get(r.rate)!, figures);
      lost += f.lost;
      if (f.held) maxRate = Math.max(maxRate, r.rate);
    }
    figures.lost_pops = lost;
    // over the whole run, warm-up and drains included
    figures.duplicate_pops = totals.duplicatePops;
    figures.operator_errors_count = totals.operatorErrors;
    // lost_pops are pops later than the grace; these never came at all, queue drained or not
    figures.never_popped_count = totals.neverPopped;
    figures.max_rate_without_errors_per_s = maxRate;
    if (floor?.popMs.length) {
      figures.floor_p50_ms = round(percentile(floor.popMs, 50));
      figures.floor_p99_ms = round(percentile(floor.popMs, 99));
      figures.floor_webhook_p99_ms = round(percentile(floor.webhookMs, 99));
      figures.floor_failed_count = floor.failed;
      figures.floor_sent_per_s = round(floor.sentPerS, 1);
    }
    const popAt200 = figures[`pop_p99_ms_at_${floorRate}`];
    if (popAt200 !== undefined && figures.floor_p99_ms) figures[`ratio_pop_p99_at_${floorRate}`] = round(popAt200 / figures.floor_p99_ms, 2);
    figures.seed_s = round(seeded.ms / 1000, 1);

    return await writeResult('inbound', { usuarias, operators: OPERATORS, duration_s: durationS, grace_s: graceS,
      floor_rate_per_s: floorRate }, figures, {
      pop_p99_ms_at_200: { max: 25 }, ratio_pop_p99_at_200: { max: 3 }, lost_pops: { max: 0 }, duplicate_pops: { max: 0 },
      max_rate_without_errors_per_s: { min: 200 },
    });
  } finally {
    await profiler?.stop();
    await driver?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await api.close();
    if (prefix && process.env.REDIS_URL) await forgetKeys(stack.redis, prefix).catch(() => undefined);
    await stack.stop();
  }
}
