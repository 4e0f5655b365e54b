/**
 * `startup`: the real service (`node --import tsx app/main.ts`) on the embedded default, from a
 * stopped process with an existing data dir to GET /readyz 200. The floor is what Node with tsx
 * costs to start and exit doing nothing, measured on the same machine in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, msSince, percentile, round, tempDataDir, writeResult, type BenchResult } from './lib.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COLD_STARTS = 5;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

interface Service { child: ChildProcess; exited: Promise<number | null>; stderr: () => string }

function serviceEnv(dataDir: string, ports: { http: number; pg: number; redis: number }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // the embedded default: nothing external, the key generated in the data dir
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'ENCRYPTION_KEY', 'ENCRYPTION_KEY_FILE']) delete env[k];
  return {
    ...env, DATA_DIR: dataDir, PORT: String(ports.http), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    EMBEDDED_PG_PORT: String(ports.pg), EMBEDDED_REDIS_PORT: String(ports.redis),
  };
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv): Service {
  // its own process group, so a service that will not stop can be killed with its postgres and redis
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => { tail = (tail + chunk.toString()).slice(-4000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => tail };
}

async function waitReady(svc: Service, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = false;
  void svc.exited.then(() => { gone = true; });
  while (Date.now() < deadline) {
    if (gone) throw new Error(`service exited before /readyz answered 200:\n${svc.stderr()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no /readyz 200 within ${READY_TIMEOUT_MS} ms:\n${svc.stderr()}`);
}

/** SIGTERM and wait: the service must stop its embedded Postgres and Redis itself. */
async function stop(svc: Service): Promise<void> {
  if (svc.child.exitCode !== null || svc.child.signalCode !== null) return;
  svc.child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([svc.exited, timer])) === 'timeout') {
    killGroup(svc);
    throw new Error(`service did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
  }
}

async function timeToReady(env: NodeJS.ProcessEnv, port: number): Promise<number> {
  const started = process.hrtime.bigint();
  const svc = spawnNode(['--import', 'tsx', 'app/main.ts'], env);
  try {
    await waitReady(svc, port);
  } catch (err) {
    killGroup(svc);
    throw err;
  }
  const seconds = msSince(started) / 1000;
  await stop(svc);
  return seconds;
}

/** Whatever the service left behind (its postgres, its redis-server) goes with it. */
function killGroup(svc: Service): void {
  try {
    process.kill(-svc.child.pid!, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

async function floorSeconds(): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const started = process.hrtime.bigint();
    const svc = spawnNode(['--import', 'tsx', '-e', '0'], { ...process.env });
    if ((await svc.exited) !== 0) throw new Error(`node --import tsx -e 0 failed:\n${svc.stderr()}`);
    samples.push(msSince(started) / 1000);
  }
  return samples;
}

export async function run(): Promise<BenchResult> {
  const dataDir = await tempDataDir('atenpro-startup-');
  try {
    const ports = { http: await freePort(), pg: await freePort(), redis: await freePort() };
    const env = serviceEnv(dataDir, ports);
    console.log('startup: first start (initialises the data dir)...');
    const first = await timeToReady(env, ports.http);
    const cold: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++) cold.push(await timeToReady(env, ports.http));
    const floor = percentile(await floorSeconds(), 50);
    const readyz = Math.max(...cold);
    return await writeResult('startup', { cold_starts: COLD_STARTS }, {
      readyz_s: round(readyz),
      readyz_p50_s: round(percentile(cold, 50)),
      first_start_s: round(first),
      floor_s: round(floor),
      ratio_readyz: round(readyz / floor, 2),
    }, { readyz_s: { max: 5 } });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
