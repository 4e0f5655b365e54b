import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import { Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { Pool } from '../store/db.ts';

export interface HealthOptions { pool: Pool; redis: Redis; registry: Registry }

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error('timeout')), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'atenpro_' });
  return registry;
}

/** /healthz: the process answers. /readyz: Postgres and Redis answer. /metrics: Prometheus. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { pool, redis, registry }) => {
  const ready = new Gauge({ name: 'atenpro_ready', help: '1 when Postgres and Redis answer', labelNames: ['part'], registers: [registry] });
  const hide = { schema: { hide: true }, config: { public: true }, logLevel: 'warn' as const };

  app.get('/healthz', hide, async () => ({ status: 'ok' }));

  app.get('/readyz', hide, async (_req, reply) => {
    const [pg, rd] = await Promise.allSettled([within(2000, pool.query('select 1')), within(2000, redis.ping())]);
    ready.set({ part: 'postgres' }, pg.status === 'fulfilled' ? 1 : 0);
    ready.set({ part: 'redis' }, rd.status === 'fulfilled' ? 1 : 0);
    const body = { postgres: pg.status === 'fulfilled' ? 'ok' : 'down', redis: rd.status === 'fulfilled' ? 'ok' : 'down' };
    return reply.code(pg.status === 'fulfilled' && rd.status === 'fulfilled' ? 200 : 503).send(body);
  });

  app.get('/metrics', hide, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
};
