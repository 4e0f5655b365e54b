import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool } from '../../store/db.ts';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database; safe to call twice. */
  drop(): Promise<void>;
}

let counter = 0;

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/** A new database cloned from the migrated template: a few milliseconds, and isolated per test. */
export async function freshDatabase(): Promise<TestDatabase> {
  return createDatabase(inject('templateDatabase'));
}

/** A new database with nothing in it, not even migrations. */
export async function emptyDatabase(): Promise<TestDatabase> {
  return createDatabase(undefined);
}

async function createDatabase(template: string | undefined): Promise<TestDatabase> {
  const base = inject('databaseUrl');
  const name = `test_${process.pid}_${++counter}_${randomBytes(4).toString('hex')}`;
  const sql = template ? `create database ${name} template ${template}` : `create database ${name}`;
  await withAdmin(base, async (admin) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(sql);
        return;
      } catch (err) {
        // 55006: "source database is being accessed by other users", a brief session on the template
        if ((err as { code?: string }).code !== '55006' || attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  });
  const url = withDatabase(base, name);
  const pool = createPool(url, 5);
  let dropped = false;
  return {
    url,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      await withAdmin(base, (admin) => admin.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
