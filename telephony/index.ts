/** The voice layer's front door: the composition root builds it from here. */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../common/clock.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Pool } from '../store/db.ts';
import { inboundService, type InboundService } from './inbound.ts';
import { parseLines } from './lines.ts';
import { inboundMetrics } from './metrics.ts';
import { screenpopHub, type ScreenpopHub } from './screenpop/hub.ts';

export { consoleRoutes } from './operators/console.routes.ts';
export { WAIT_MESSAGE } from './inbound.ts';
export type { InboundService } from './inbound.ts';
export type { ScreenpopHub } from './screenpop/hub.ts';

export interface TelephonyDeps {
  pool: Pool; redis: Redis; cipher: FieldCipher; clock: Clock; log: Logger;
  prefix: string; instanceId: string; centreLines: string; storeBudgetMs: number; registry: Registry;
}

export interface Telephony { hub: ScreenpopHub; inbound: InboundService; close(): Promise<void> }

export async function createTelephony(d: TelephonyDeps): Promise<Telephony> {
  // a subscribed connection can do nothing else: pops and bridge requests share this one
  const subscriber = d.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
  await subscriber.connect();
  const hub = screenpopHub(d.redis, subscriber, d.prefix, d.cipher, d.log);
  const inbound = inboundService({ pool: d.pool, redis: d.redis, subscriber, prefix: d.prefix, instanceId: d.instanceId,
    hub, cipher: d.cipher, clock: d.clock, lines: parseLines(d.centreLines), log: d.log, storeBudgetMs: d.storeBudgetMs,
    metrics: inboundMetrics(d.registry) });
  await Promise.all([hub.ready, inbound.ready]);
  const flusher = setInterval(() => void inbound.flushPending().catch(() => undefined), 5000);
  flusher.unref();
  return {
    hub, inbound,
    async close() {
      clearInterval(flusher);
      await hub.close();
      subscriber.disconnect();
    },
  };
}
