import { systemClock } from '../common/clock.ts';
import { createLogger } from '../common/log.ts';
import { ensureInitialAdmin } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { createRegistry } from './health.routes.ts';
import { startRuntime } from './runtime.ts';
import { buildApp } from './server.ts';

/** The service entry point: `npm start`. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const runtime = await startRuntime(config, logger);
  let app: Awaited<ReturnType<typeof buildApp>>;
  let adminFile: string | null;
  try {
    app = await buildApp({ config, pool: runtime.pool, redis: runtime.redis, cipher: runtime.cipher,
      clock: systemClock, logger, registry: createRegistry() });
    adminFile = await ensureInitialAdmin(runtime.pool, config.dataDir, process.env.ADMIN_INITIAL_PASSWORD, logger);
  } catch (err) {
    await runtime.stop().catch(() => undefined); // no embedded server left behind holding its port
    throw err;
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await app.close().catch((err: Error) => logger.error({ err: err.message }, 'error closing http server'));
    await runtime.stop().catch((err: Error) => logger.error({ err: err.message }, 'error stopping runtime'));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // a crash still stops the embedded servers, so the next start finds their ports free
  process.once('uncaughtException', (err) => {
    logger.fatal({ err: { message: err.message, stack: err.stack } }, 'uncaught exception');
    void runtime.stop().finally(() => process.exit(1));
  });

  await app.listen({ port: config.port, host: config.host }).catch(async (err: Error) => {
    await runtime.stop().catch(() => undefined);
    throw err;
  });
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  const lines = [
    `atenpro-voice listening on ${base}`,
    `  operator console: ${base}/consola/`,
    `  API and its documentation: ${base}/docs`,
    `  health: ${base}/healthz   readiness: ${base}/readyz   metrics: ${base}/metrics`,
    `  store: ${runtime.embedded.postgres ? `embedded PostgreSQL under ${config.dataDir}/pg` : 'DATABASE_URL'}; ` +
      `queue: ${runtime.embedded.redis ? `embedded redis-server under ${config.dataDir}/redis` : 'REDIS_URL'}`,
  ];
  if (adminFile) lines.push(`  first login: user "admin", password in ${adminFile} (a second factor is enrolled at first login)`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: Error) => {
  process.stderr.write(`atenpro-voice failed to start: ${err.message}\n`);
  process.exit(1);
});
