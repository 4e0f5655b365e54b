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
