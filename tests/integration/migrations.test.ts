import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { Queryable } from '../../store/db.ts';
import { createPool } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';
import { emptyDatabase, type TestDatabase } from '../helpers/db.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../store/migrations');

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

async function schemaDump(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(`
    select concat_ws(' ', 'column', table_name, column_name, ordinal_position, data_type, udt_name,
                     is_nullable, column_default, character_maximum_length) as line
      from information_schema.columns where table_schema = 'public'
    union all
    select concat_ws(' ', 'index', tablename, indexname, indexdef)
      from pg_indexes where schemaname = 'public'
    union all
    select concat_ws(' ', 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid))
      from pg_constraint where connamespace = 'public'::regnamespace`);
  return rows.map((r) => r.line).sort();
}

it('migrates an empty database the same way when two processes start at once', async () => {
  const [parallel, single] = await Promise.all([emptyDatabase(), emptyDatabase()]);
  databases.push(parallel, single);
  // two pools stand for two processes: each takes its own session for the advisory lock
  const other = createPool(parallel.url, 2);
  let applied: string[][];
  try {
    applied = await Promise.all([migrate(parallel.pool), migrate(other)]);
  } finally {
    await other.end();
  }
  await migrate(single.pool);

  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
  expect(files.length).toBeGreaterThan(0);
  expect(applied.flat().sort()).toEqual(files);

  const { rows } = await parallel.pool.query<{ name: string; n: number }>(
    'select name, count(*)::int as n from schema_migrations group by name order by name');
  expect(rows).toEqual(files.map((name) => ({ name, n: 1 })));

  const dump = await schemaDump(parallel.pool);
  expect(dump.length).toBeGreaterThan(files.length);
  expect(dump).toEqual(await schemaDump(single.pool));
});
