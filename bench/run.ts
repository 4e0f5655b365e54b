/**
 * `npm run bench -- <name>` runs one benchmark; `npm run bench` runs every known one in order.
 * Each writes bench/results/<name>.json (BENCHMARKS.md); the exit code says whether all passed.
 */
import type { BenchResult } from './lib.ts';

type Bench = () => Promise<BenchResult>;

// loaded lazily, so running one bench never imports (or type-loads) another's dependencies
const BENCHES: Record<string, () => Promise<Bench>> = {
  lookup: async () => (await import('./lookup.ts')).run,
  inbound: async () => (await import('./inbound.ts')).run,
  dialer: async () => (await import('./dialer.ts')).run,
  reports: async () => (await import('./reports.ts')).run,
  startup: async () => (await import('./startup.ts')).run,
  ivr: async () => (await import('./ivr.ts')).run,
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    console.error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const failed: string[] = [];
  for (const name of names.length ? names : Object.keys(BENCHES)) {
    const result = await (await BENCHES[name]!())();
    if (!result.pass) failed.push(name);
  }
  if (failed.length) {
    console.error(`missed targets: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
