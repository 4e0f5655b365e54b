import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';

/** Queue name and payloads of technical control, in one place. Job ids are deterministic. */
export const TECHNICAL_QUEUE = 'dialer-technical';

export type TechnicalJob = { task: 'supervise' } | { task: 'timeout'; controlCallId: string };

/** The delayed job that closes a control call whose test call never came (one per control call). */
export const timeoutJobId = (controlCallId: string) => `control-timeout-${controlCallId}`;

/** Self-tests are checked, due control calls planned and lost timeouts caught this often. */
export const SUPERVISE_EVERY_MS = 5 * 60_000;

export interface TechnicalJobHandlers {
  supervise(): Promise<unknown>;
  expire(controlCallId: string): Promise<unknown>;
}

/**
 * BullMQ side of technical control. The timeout job is only the fast path: every awaited test call
 * is a Postgres row with its deadline, and the supervisor closes the ones whose job was lost.
 */
export function technicalJobs(opts: { connection: ConnectionOptions; prefix: string; clock: Clock; log: Logger }) {
  const queue = new Queue<TechnicalJob>(TECHNICAL_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  return {
    queue,
    /** Adds the timeout job; adding it again (a repeated outcome) finds the same id and adds nothing. */
    async scheduleTimeout(controlCallId: string, deadline: Date): Promise<void> {
      // one millisecond past the deadline: a test call at the deadline itself still counts
      const delay = Math.max(0, deadline.getTime() + 1 - opts.clock.now().getTime());
      await queue.add('timeout', { task: 'timeout', controlCallId }, { jobId: timeoutJobId(controlCallId), delay,
        removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 }, attempts: 5, backoff: { type: 'exponential', delay: 5000 } });
    },
    /** Starts the worker and upserts the supervisor's job scheduler (several instances keep one). */
    async start(workerConnection: ConnectionOptions, handlers: TechnicalJobHandlers): Promise<Worker[]> {
      const worker = new Worker<TechnicalJob>(TECHNICAL_QUEUE, async (job) => (job.data.task === 'timeout'
        ? handlers.expire(job.data.controlCallId) : handlers.supervise()), { connection: workerConnection, prefix: opts.prefix, concurrency: 2 });
      worker.on('error', (err) => opts.log.warn({ err: err.message }, 'technical control worker error'));
      await queue.upsertJobScheduler('technical-supervise', { every: SUPERVISE_EVERY_MS },
        { name: 'supervise', data: { task: 'supervise' }, opts: { removeOnComplete: true, removeOnFail: 100 } });
      return [worker];
    },
    async close(): Promise<void> {
      await queue.close();
    },
  };
}

export type TechnicalJobs = ReturnType<typeof technicalJobs>;
