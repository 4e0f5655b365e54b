import type { Logger } from 'pino';
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { startEmbeddedPostgres, startEmbeddedRedis, type Embedded } from './embedded.ts';
import { createPool, type Pool } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { fieldCipher, loadKeyFile, parseKey, type FieldCipher } from '../store/crypto.ts';

/** The stateful parts a process needs: Postgres (migrated), Redis, the field cipher. */
export interface Runtime {
  pool: Pool;
  redis: Redis;
  redisUrl: string;
  cipher: FieldCipher;
  embedded: { postgres: boolean; redis: boolean };
  stop(): Promise<void>;
}

/**
 * Connects to DATABASE_URL / REDIS_URL, or starts the embedded defaults under DATA_DIR when they
 * are unset. Migrations run here, under their advisory lock, before anything else uses the pool.
 */
export async function startRuntime(config: Config, log: Logger): Promise<Runtime> {
  const started: Embedded[] = [];
  try {
    // both start at once; whichever started is stopped again if the other fails
    const [pgResult, redisResult] = await Promise.allSettled([
      config.databaseUrl ? null : startEmbeddedPostgres(config.dataDir, config.embeddedPgPort),
      config.redisUrl ? null : startEmbeddedRedis(config.dataDir, config.embeddedRedisPort),
    ]);
    for (const r of [pgResult, redisResult]) if (r.status === 'fulfilled' && r.value) started.push(r.value);
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (redisResult.status === 'rejected') throw redisResult.reason;
    const pgServer = pgResult.value;
    const redisServer = redisResult.value;
    const databaseUrl = config.databaseUrl ?? pgServer!.url;
    const redisUrl = config.redisUrl ?? redisServer!.url;

    const key = config.encryptionKey
      ? parseKey(config.encryptionKey)
      : await loadKeyFile(config.encryptionKeyFile, !config.databaseUrl);
    const pool = createPool(databaseUrl);
    // pool.end() lets go of its connections without waiting for their backends to exit: an embedded
    // server stopped right after ends them itself, and that is the stop, not an error
    let stopping = false;
    pool.on('error', (err) => { if (!stopping) log.error({ err: err.message }, 'postgres pool error'); });
    const applied = await migrate(pool);
    if (applied.length) log.info({ applied }, 'migrations applied');

    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: false, lazyConnect: true });
    redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
    await redis.connect();
    await checkRedisPolicy(redis, log);

    return {
      pool, redis, redisUrl, cipher: fieldCipher(key),
      embedded: { postgres: !!pgServer, redis: !!redisServer },
      async stop() {
        stopping = true;
        redis.disconnect();
        await pool.end();
        for (const s of started.reverse()) await s.stop();
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
}

/** BullMQ loses jobs under any eviction policy: refuse to run on such a Redis. */
async function checkRedisPolicy(redis: Redis, log: Logger): Promise<void> {
  const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
  const policy = reply[1];
  if (policy !== 'noeviction') {
    throw new Error(`Redis maxmemory-policy is "${policy}"; it must be "noeviction" or planned calls can be lost`);
  }
  log.debug('redis policy noeviction');
}
