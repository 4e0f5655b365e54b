/**
 * `npm run seed -- --usuarias N [--seed S] [--calls-year]`: appends N synthetic usuarias to the
 * configured database (the embedded default under DATA_DIR, or DATABASE_URL), with `--calls-year`
 * also the year of calls up to now of each (store/seed/call-year.ts). Never real people.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from './config.ts';
import { startRuntime } from './runtime.ts';
import { createLogger } from '../common/log.ts';
import { seedUsuarias } from '../store/seed/index.ts';

function options(argv: string[]): { usuarias: number; seed: number; callsYear: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: { usuarias: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' },
      'calls-year': { type: 'boolean', default: false } },
  });
  const usuarias = Number(values.usuarias);
  const seed = Number(values.seed);
  if (!Number.isInteger(usuarias) || usuarias < 1) throw new Error('--usuarias must be a positive integer');
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
  return { usuarias, seed, callsYear: values['calls-year'] === true };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const runtime = await startRuntime(config, log);
  try {
    const tty = process.stderr.isTTY;
    const result = await seedUsuarias(runtime.pool, runtime.cipher, {
      usuarias: opts.usuarias,
      seed: opts.seed,
      callsYear: opts.callsYear,
      onProgress: (done, total) => { if (tty) process.stderr.write(`\rseeding ${done}/${total}`); },
    });
    if (tty) process.stderr.write('\n');
    const calls = opts.callsYear ? ` with ${result.calls} call attempts over the last year` : '';
    console.log(`seeded ${result.usuarias} usuarias${calls} (seed ${opts.seed}) across ${result.centres} social services centres in ${(result.ms / 1000).toFixed(1)} s`);
  } finally {
    await runtime.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`seed failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
