import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Pool } from '../store/db.ts';
import { reportsRepo } from '../store/reports.repo.ts';

/**
 * The fold of the rollups' deltas (migration 005): a call's transaction only appends delta rows;
 * this job moves them into the rollups every few seconds, outside any call. Every instance runs
 * the worker and upserts the same job scheduler (several instances keep one); should two folds
 * meet anyway, the advisory lock in report_fold lets one fold and the other return at once.
 * Figures stay current without it (a read adds the pending deltas): the fold only keeps the
 * deltas few.
 */
export const FOLD_QUEUE = 'reports-fold';
export const FOLD_EVERY_MS = 5_000;

export interface ReportsFolder { close(): Promise<void> }

export async function startReportsFolder(opts: { pool: Pool; redis: Redis; prefix: string; log: Logger; everyMs?: number }): Promise<ReportsFolder> {
  const bull = { prefix: `${opts.prefix}:bull` };
  // the worker blocks on Redis: its connection must retry forever
  const workerConnection = opts.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false });
  const queueConnection = opts.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
  const queue = new Queue(FOLD_QUEUE, { connection: queueConnection as ConnectionOptions, ...bull });
  const repo = reportsRepo(opts.pool);
  const worker = new Worker(FOLD_QUEUE, async () => {
    const t = performance.now();
    const folded = await repo.fold();
    if (folded > 0) opts.log.debug({ folded, ms: Math.round(performance.now() - t) }, 'report deltas folded');
    return folded;
  }, { connection: workerConnection as ConnectionOptions, ...bull, concurrency: 1 });
  worker.on('error', (err) => opts.log.warn({ err: err.message }, 'reports fold worker error'));
  await queue.upsertJobScheduler('reports-fold', { every: opts.everyMs ?? FOLD_EVERY_MS },
    { name: 'fold', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  return {
    async close() {
      await worker.close();
      await queue.close();
      workerConnection.disconnect();
      queueConnection.disconnect();
    },
  };
}
