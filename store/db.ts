import pg from 'pg';

/** Anything that runs a query: the pool, or a client inside a transaction the caller owns. */
export type Queryable = Pick<pg.Pool, 'query'>;
export type Pool = pg.Pool;

// dates stay ISO strings (YYYY-MM-DD): a date column must never shift with the process zone
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPool(connectionString: string, max = 10): pg.Pool {
  // No parallel query (a startup option of each connection): every statement of this service reads
  // a few thousand rows at most (calls by key, rollups by level and day), and starting parallel
  // workers costs more than that (10-40 ms measured on a 2-core machine, for a dashboard read of
  // 2 ms) and takes the cores the calls need. Behind PgBouncer, list `options` in its
  // ignore_startup_parameters and set this on the role instead.
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000,
    options: '-c max_parallel_workers_per_gather=0' });
  // an idle client cut by the server (restart, failover) must not crash the process: the next query reconnects
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The dashboard's own connections, made with the settings of the service's pool (`from`). Three
 * reasons, all measured on the reports benchmark's data set (100,000 usuarias, a year of calls):
 * - a manager's figures never take, nor wait for, a connection an inbound call needs;
 * - its connections stay open: a new backend's first figure cost 25-100 ms (its catalog caches are
 *   empty) against 1-3 ms after;
 * - every statement is planned once per connection (a generic plan). PostgreSQL's default plans a
 *   prepared statement anew for its first five runs on each connection, and a rollup read takes
 *   longer to plan than to run: follow-ups for the whole service ran in 3-10 ms five times, then
 *   in 0.9 ms. The generic plans of every figure were measured as fast as the custom ones, by
 *   province and by municipality too: the figures read by level, day and place, nothing skewed.
 */
export function createReadsPool(from: pg.Pool, max = 4): pg.Pool {
  const options = [from.options.options, '-c plan_cache_mode=force_generic_plan'].filter(Boolean).join(' ');
  const pool = new pg.Pool({ ...from.options, max, idleTimeoutMillis: 0, options });
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction; rolls back on any error and rethrows it. */
export async function withTransaction<T>(pool: pg.Pool, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
