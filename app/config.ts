import path from 'node:path';

/** Every setting the service reads, with its default. README.md documents each one. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  embeddedPgPort: number;
  embeddedRedisPort: number;
  /** Base64 of 32 bytes; when unset the key file is used (generated only on the embedded default). */
  encryptionKey: string | undefined;
  encryptionKeyFile: string;
  logLevel: string;
  publicBaseUrl: string;
  sessionTtlMinutes: number;
  totpRequiredForOperators: boolean;
  loginRateLimitPerMinute: number;
  /** Prefix of every Redis key this service writes, so several deployments can share one Redis. */
  redisPrefix: string;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`config: ${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new Error(`config: ${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 3000);
  const dataDir = path.resolve(env.DATA_DIR || './data');
  return {
    port,
    host: env.HOST || '127.0.0.1',
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    embeddedPgPort: int(env, 'EMBEDDED_PG_PORT', 54329),
    embeddedRedisPort: int(env, 'EMBEDDED_REDIS_PORT', 63790),
    encryptionKey: env.ENCRYPTION_KEY || undefined,
    encryptionKeyFile: path.resolve(env.ENCRYPTION_KEY_FILE || path.join(dataDir, 'keys', 'field.key')),
    logLevel: env.LOG_LEVEL || 'info',
    publicBaseUrl: (env.PUBLIC_BASE_URL || `http://localhost:${port}`).replace(/\/+$/, ''),
    sessionTtlMinutes: int(env, 'SESSION_TTL_MINUTES', 480),
    totpRequiredForOperators: bool(env, 'TOTP_REQUIRED_FOR_OPERATORS', false),
    loginRateLimitPerMinute: int(env, 'LOGIN_RATE_LIMIT_PER_MINUTE', 10),
    redisPrefix: env.REDIS_PREFIX || 'atenpro',
  };
}
