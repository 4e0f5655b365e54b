import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { sharedBuffersMb, socketDir } from '../../app/embedded.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function readyz(port: number, until: number, output: () => string): Promise<number> {
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200 || Date.now() > until) return res.status;
    } catch (err) {
      if (Date.now() > until) throw new Error(`no answer from the service: ${(err as Error).message}\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('embedded default', () => {
  it('boots with no DATABASE_URL or REDIS_URL, answers /readyz, and stops cleanly on SIGTERM', { timeout: 90_000 }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'atenpro-boot-'));
    const [port, pgPort, redisPort] = [await freePort(), await freePort(), await freePort()];
    const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort),
      EMBEDDED_REDIS_PORT: String(redisPort), LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv;
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    delete env.ENCRYPTION_KEY;
    const child = spawn(process.execPath, ['--import', 'tsx', 'app/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      expect(await readyz(port, Date.now() + 45_000, () => out), out).toBe(200);
      expect(out).toContain(`/docs`);
      expect((await stat(path.join(dataDir, 'keys', 'field.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(path.join(dataDir, 'pg', 'PG_VERSION'))).isFile()).toBe(true);
      expect((await stat(path.join(dataDir, 'redis', 'appendonlydir'))).isDirectory()).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('sizes PostgreSQL\'s buffer cache to a quarter of the machine\'s memory, between 128 MB and 2 GB', async () => {
    const GB = 2 ** 30;
    expect([sharedBuffersMb(256 * 2 ** 20), sharedBuffersMb(2 * GB), sharedBuffersMb(6 * GB), sharedBuffersMb(64 * GB)])
      .toEqual([128, 512, 1536, 2048]);
    // the suite's own server is an embedded one unless DATABASE_URL points elsewhere
    if (process.env.DATABASE_URL) return;
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      const { rows } = await client.query(`select setting::bigint * 8192 / 1048576 as mb from pg_settings where name = 'shared_buffers'`);
      expect(Number(rows[0].mb)).toBe(sharedBuffersMb());
    } finally {
      await client.end();
    }
  });

  it('reaches its embedded servers through Unix sockets when their paths fit, and over loopback otherwise', async () => {
    expect(socketDir('/srv/atenpro/data/pg', '.s.PGSQL.54329')).toBe('/srv/atenpro/data/pg');
    expect(socketDir(`/srv/${'d'.repeat(100)}/pg`, '.s.PGSQL.54329')).toBeNull(); // longer than sun_path
    expect(socketDir('/srv/atenpro,data/pg', '.s.PGSQL.54329')).toBeNull(); // would split the setting's list
    expect(socketDir('/srv/aten pro/pg', '.s.PGSQL.54329')).toBeNull();
    if (process.env.DATABASE_URL || process.env.REDIS_URL) return;
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
    try {
      // a session over a Unix socket has no client address
      const { rows } = await client.query('select inet_client_addr() as addr');
      expect(rows[0].addr).toBeNull();
      const url = inject('redisUrl');
      expect(url).toMatch(/\/redis\.sock$/);
      expect(String(await redis.client('INFO'))).toContain(`laddr=${url}`);
    } finally {
      await client.end();
      redis.disconnect();
    }
  });
});
