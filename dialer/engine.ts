import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.ts';
import { agendaRepo, type AgendaItem } from '../store/agenda.repo.ts';
import { withTransaction, type Pool } from '../store/db.ts';
import type { InboundService } from '../telephony/index.ts';
import type { ProviderName } from '../telephony/port.ts';
import { technicalControl, technicalJobs, DEFAULT_CONTROL_CONFIG, type ControlConfig } from './control/index.ts';
import { consumeDomainEvents } from './events.ts';
import { outboundCalls } from './outbound.ts';
import { planner, type ContactLossHooks } from './planner.ts';
import { DIAL_QUEUE, dialJobId, MAINTENANCE_QUEUE, type DialJob, type MaintenanceJob } from './queues.ts';

export interface DialerConfig {
  prefix: string; provider: ProviderName | null; neutralNumber: string; ringTimeoutS: number;
  /** Calls per second the provider accepts (Twilio's default account limit is 1). */
  callsPerSecond: number;
  /** How far ahead planned items get their delayed job. */
  horizonHours: number;
  runWorkers: boolean;
  /** How long a worker's hold on a job lasts without renewal; a dead worker's job is taken over after it. */
  lockMs?: number;
  /** Operators left free for inbound calls: the dialer never takes the last ones. */
  keepFreeOperators: number;
  /** Technical control: control calls, test calls, self-test supervision (dialer/control). */
  control?: ControlConfig;
}

export interface DialerDeps {
  pool: Pool; redis: Redis; clock: Clock; log: Logger; inbound: InboundService; config: DialerConfig;
  /** Anexo IV: told of failed occasions and recovered contact; its deadlines are checked here too. */
  contactLoss: ContactLossHooks & { tick(now?: Date): Promise<unknown> };
}

const RECONCILE_EVERY_MS = 60_000;
/** Longer than any provider takes to accept a call. */
const STUCK_GRACE_MS = 2 * 60_000;
const EVENTS_EVERY_MS = 2_000;
const DONE = { removeOnComplete: true, removeOnFail: 100 };

/**
 * The dialer: Postgres holds every planned call, BullMQ holds a delayed job per item whose window
 * opens soon (job id = item id, so re-adding never duplicates), and a reconciler re-creates what a
 * Redis flush or a lost job took away.
 */
export async function createDialer(d: DialerDeps) {
  const { config } = d;
  // workers block on Redis: their connection must retry forever; producers must not queue while it is down
  const workerConnection = d.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false }) as ConnectionOptions;
  const queueConnection = d.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false }) as ConnectionOptions;
  const bull = { prefix: `${config.prefix}:bull` };
  const dialQueue = new Queue<DialJob>(DIAL_QUEUE, { connection: queueConnection, ...bull });
  const maintenance = new Queue<MaintenanceJob>(MAINTENANCE_QUEUE, { connection: queueConnection, ...bull });
  const plan = planner(d.contactLoss);

  async function enqueue(items: AgendaItem[]): Promise<void> {
    const horizon = d.clock.now().getTime() + config.horizonHours * 3600_000;
    const soon = items.filter((i) => i.notBefore.getTime() <= horizon);
    if (!soon.length) return;
    const jobs = soon.map((i) => ({ name: 'dial', data: { agendaItemId: i.id }, opts: {
      jobId: dialJobId(i.id), delay: Math.max(0, i.notBefore.getTime() - d.clock.now().getTime()),
      removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 }, attempts: 5, backoff: { type: 'exponential', delay: 5000 },
    } }));
    // one job (a retry, the next occasion) skips addBulk's pipeline: the same single script call, less work here
    if (jobs.length === 1) await dialQueue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
    else await dialQueue.addBulk(jobs);
  }

  const outbound = outboundCalls({ pool: d.pool, clock: d.clock, log: d.log, inbound: d.inbound, planner: plan,
    provider: config.provider, neutralNumber: config.neutralNumber, ringTimeoutS: config.ringTimeoutS, noOperatorRetryMs: 30_000, keepFreeOperators: config.keepFreeOperators, enqueue });
  d.inbound.onOutboundEvent((attempt, ev) => outbound.onEvent(attempt, ev));
  const technicalQueue = technicalJobs({ connection: queueConnection, prefix: bull.prefix, clock: d.clock, log: d.log });
  const control = technicalControl({ pool: d.pool, clock: d.clock, log: d.log, planner: plan, enqueue,
    config: config.control ?? DEFAULT_CONTROL_CONFIG, scheduleTimeout: technicalQueue.scheduleTimeout });

  /**
   * A process that died after claiming an item but before the provider took the call leaves it
   * `dialling` with a provisional call id: past the grace period it is planned again. (One that died
   * after the provider took the call but before recording its id cannot be told apart: that call
   * is recorded as not placed, and the item is retried.)
   */
  async function recoverStuck(): Promise<number> {
    const { rows } = await d.pool.query<{ id: string; attempt_id: string; operator_id: string | null }>(
      `select i.id, c.id as attempt_id, c.operator_id from agenda_items i join call_attempts c on c.id = i.call_attempt_id
       where i.status = 'dialling' and c.provider_call_id like 'pending-%' and c.started_at < $1`,
      [new Date(d.clock.now().getTime() - STUCK_GRACE_MS)]);
    for (const r of rows) {
      await withTransaction(d.pool, async (tx) => {
        if (!(await agendaRepo(tx).transition(r.id, ['dialling'], 'planned'))) return;
        await tx.query(`update call_attempts set outcome = 'not_placed', ended_at = $2 where id = $1 and outcome is null`, [r.attempt_id, d.clock.now()]);
      });
      if (r.operator_id) await d.inbound.release(r.operator_id).catch(() => undefined);
      d.log.warn({ agendaItemId: r.id }, 'item left dialling by a dead process planned again');
    }
    return rows.length;
  }

  const api = {
    queue: dialQueue,
    planner: plan,
    outbound,
    enqueue,
    /** Technical control: the IVR reports control-flow outcomes here, the inbound path terminal calls. */
    control,
    technicalQueue: technicalQueue.queue,
    /** Recreates the job of every planned item due within the horizon; existing ids are ignored by BullMQ. */
    async reconcile(): Promise<number> {
      await recoverStuck();
      const until = new Date(d.clock.now().getTime() + config.horizonHours * 3600_000);
      let total = 0;
      for (;;) {
        const due = await agendaRepo(d.pool).plannedUntil(until, 5000);
        const missing = [];
        for (const item of due) {
          const job = await dialQueue.getJob(dialJobId(item.id));
          const state = job && (await job.getState());
          // a finished job of an item that is planned again (recovered, moved back) would hide it: re-add it
          if (job && (state === 'completed' || state === 'failed')) await job.remove();
          else if (job) {
            // the item's time has come by our clock while its job still sleeps: wake it
            if (state === 'delayed' && item.notBefore.getTime() <= d.clock.now().getTime()) await job.promote().catch(() => undefined);
            continue;
          }
          missing.push(item);
        }
        if (missing.length) await enqueue(missing as AgendaItem[]);
        total += missing.length;
        if (due.length < 5000) return total;
      }
    },
    /**
     * Plans the next follow-up of everyone in service who has none planned, a batch per
     * transaction, two batches at a time (one computes while the other writes). A batch's jobs are
     * added once that batch has committed.
     */
    async planAll(batch = 2000): Promise<number> {
      let planned = 0;
      let failed: unknown = null;
      const running = new Set<Promise<void>>();
      const planBatch = async (ids: string[]) => {
        const items = await withTransaction(d.pool, (tx) => plan.planFollowUps(tx, ids, d.clock.now()));
        await enqueue(items);
        planned += items.length;
      };
      for (let after: string | null = null; failed === null;) {
        const ids = await agendaRepo(d.pool).needingFollowUp(batch, after);
        if (!ids.length) break;
        const p: Promise<void> = planBatch(ids).catch((err: unknown) => { failed ??= err; }).finally(() => running.delete(p));
        running.add(p);
        if (running.size >= 2) await Promise.race(running);
        after = ids.at(-1)!;
      }
      await Promise.all(running);
      if (failed !== null) throw failed;
      return planned;
    },
    consumeEvents: () => consumeDomainEvents(d.pool, outbound, plan, d.clock, enqueue),
    workers: [] as Worker[],
    async close(): Promise<void> {
      // a worker finishes the job it holds before it closes: a deploy never cuts a call being placed
      await Promise.all(api.workers.map((w) => w.close()));
      await dialQueue.close();
      await maintenance.close();
      await technicalQueue.close();
      (queueConnection as Redis).disconnect();
      (workerConnection as Redis).disconnect();
    },
  };

  if (config.runWorkers) {
    api.workers.push(new Worker<DialJob>(DIAL_QUEUE, (job, token) => outbound.process(job, token), {
      connection: workerConnection, ...bull, concurrency: 4, limiter: { max: config.callsPerSecond, duration: 1000 },
      lockDuration: config.lockMs ?? 30_000, stalledInterval: config.lockMs ?? 30_000 }));
    api.workers.push(new Worker<MaintenanceJob>(MAINTENANCE_QUEUE, async (job) => {
      if (job.data.task === 'reconcile') return api.reconcile();
      if (job.data.task === 'plan') return api.planAll();
      if (job.data.task === 'deadlines') return d.contactLoss.tick(d.clock.now());
      return api.consumeEvents();
    }, { connection: workerConnection, ...bull, concurrency: 1 }));
    for (const w of api.workers) w.on('error', (err) => d.log.warn({ err: err.message }, 'dialer worker error'));
    // Job Schedulers are upserted once at boot: several instances upserting the same id keep one
    await maintenance.upsertJobScheduler('reconcile', { every: RECONCILE_EVERY_MS }, { name: 'reconcile', data: { task: 'reconcile' }, opts: DONE });
    await maintenance.upsertJobScheduler('plan', { every: RECONCILE_EVERY_MS * 5 }, { name: 'plan', data: { task: 'plan' }, opts: DONE });
    await maintenance.upsertJobScheduler('deadlines', { every: RECONCILE_EVERY_MS * 10 }, { name: 'deadlines', data: { task: 'deadlines' }, opts: DONE });
    await maintenance.upsertJobScheduler('events', { every: EVENTS_EVERY_MS }, { name: 'events', data: { task: 'events' }, opts: DONE });
    api.workers.push(...(await technicalQueue.start(workerConnection, { supervise: () => control.supervise(), expire: (id) => control.expire(id) })));
  }
  return api;
}

export type Dialer = Awaited<ReturnType<typeof createDialer>>;
