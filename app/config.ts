import { hostname } from 'node:os';
import path from 'node:path';
import type { MediaConfig } from '../ivr/sip/index.ts';

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
  /** Which centre number is which line: "emergency=+34...,general=+34...,selftest=+34...,info=+34...". */
  centreLines: string;
  /** An emergency never waits longer than this for Postgres before it is routed with the number alone. */
  storeBudgetMs: number;
  operatorRingTimeoutS: number;
  /** Devices rung at once when the queue itself is unreachable during an emergency. */
  fallbackDevices: string[];
  /** Identifies this process in the operators' desk, so calls it holds are bridged by it. */
  instanceId: string;
  twilio: { accountSid: string | undefined; authToken: string | undefined; apiBaseUrl: string | undefined; webhookFragment?: string };
  /** A drachtio-server to connect to; SIP is off when the host is unset. */
  drachtio: { host: string | undefined; port: number; secret: string };
  sip: { allowedSources: string[]; trustedTrunks: string[]; trunkHost: string };
  /** The IVR's media on SIP (rtpengine) and its prompt files. */
  media: MediaConfig;
  /** IVR flows (ivr/): the key that reaches an emergency operator from any menu; recorded prompts for Twilio's <Play>. */
  ivr: { emergencyKey: string; promptBaseUrl: string | undefined };
  /** Terminal positions are deleted this many days after they were taken. */
  locationRetentionDays: number;
  /** The map tiles the console loads ({z}/{x}/{y}); the console's CSP allows this origin for images. */
  mapTileUrl: string;
  dialer: {
    /** Which provider places outbound calls; by default Twilio when configured, else SIP when configured. */
    provider: 'twilio' | 'sip' | null;
    /** The neutral number her phone shows: nothing in it names the service. */
    neutralNumber: string;
    callsPerSecond: number;
    ringTimeoutS: number;
    horizonHours: number;
    /** Run the dialer's workers in this process (the embedded default does). */
    workers: boolean;
    /** Days social services have to answer a contact-loss notice (Anexo IV). */
    replyDays: number;
    /** A dead worker's job is taken over after this long (BullMQ lock); tests shorten it. */
    lockMs?: number;
    /** Operators the dialer always leaves free for inbound and emergency calls. */
    keepFreeOperators: number;
    /** Technical control (§10.1 D): test-call wait, default self-test and control-call periods, wait after a failed control. */
    control: { testCallMinutes: number; selftestPeriodHours: number; controlPeriodMonths: number; retryDays: number };
  };
  /** Managers' statistics: the Chromium that prints the PDF reports. */
  reports: { chromiumPath: string };
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

const list = (raw: string | undefined) => (raw || '').split(',').map((s) => s.trim()).filter(Boolean);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 3000);
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const provider = env.DIALER_PROVIDER || (env.TWILIO_ACCOUNT_SID ? 'twilio' : env.DRACHTIO_HOST ? 'sip' : '');
  if (provider && provider !== 'twilio' && provider !== 'sip') throw new Error('config: DIALER_PROVIDER must be twilio or sip');
  if (env.DRACHTIO_HOST && (!env.DRACHTIO_SECRET || env.DRACHTIO_SECRET === 'cymru')) {
    throw new Error('config: set DRACHTIO_SECRET, and not to drachtio\'s default');
  }
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
    centreLines: env.CENTRE_LINES || 'emergency=+34900100100,general=+34900100200,selftest=+34900100300,info=+34900100400',
    storeBudgetMs: int(env, 'STORE_BUDGET_MS', 200),
    operatorRingTimeoutS: int(env, 'OPERATOR_RING_TIMEOUT_S', 20),
    fallbackDevices: list(env.FALLBACK_OPERATOR_DEVICES),
    instanceId: env.INSTANCE_ID || `${hostname()}-${process.pid}`,
    twilio: { accountSid: env.TWILIO_ACCOUNT_SID || undefined, authToken: env.TWILIO_AUTH_TOKEN || undefined,
      apiBaseUrl: env.TWILIO_API_BASE_URL || undefined, webhookFragment: env.TWILIO_WEBHOOK_FRAGMENT || undefined },
    drachtio: { host: env.DRACHTIO_HOST || undefined, port: int(env, 'DRACHTIO_PORT', 9022), secret: env.DRACHTIO_SECRET || '' },
    sip: { allowedSources: list(env.SIP_ALLOWED_SOURCES), trustedTrunks: list(env.SIP_TRUSTED_TRUNKS),
      trunkHost: env.SIP_TRUNK_HOST || 'trunk.invalid' },
    media: { rtpengineHost: env.RTPENGINE_HOST || undefined, rtpenginePort: int(env, 'RTPENGINE_PORT', 22222),
      dtmfHost: env.RTPENGINE_DTMF_HOST || '127.0.0.1', dtmfPort: int(env, 'RTPENGINE_DTMF_PORT', 22223),
      timeoutMs: int(env, 'RTPENGINE_TIMEOUT_MS', 1000), mediaInterface: env.RTPENGINE_INTERFACE || '127.0.0.1',
      portMin: int(env, 'RTPENGINE_PORT_MIN', 30000), portMax: int(env, 'RTPENGINE_PORT_MAX', 30999),
      promptsDir: path.resolve(env.PROMPTS_DIR || path.join(dataDir, 'prompts')),
      promptsOverrideDir: path.resolve(env.PROMPTS_OVERRIDE_DIR || path.join(dataDir, 'prompts-recorded')) },
    ivr: { emergencyKey: env.IVR_EMERGENCY_KEY || '9', promptBaseUrl: env.IVR_PROMPT_BASE_URL || undefined },
    locationRetentionDays: Math.max(1, int(env, 'LOCATION_RETENTION_DAYS', 90)),
    mapTileUrl: env.MAP_TILE_URL || 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    dialer: { provider: (provider || null) as 'twilio' | 'sip' | null, neutralNumber: env.CENTRE_NEUTRAL_NUMBER || '+34900100900',
      callsPerSecond: int(env, 'DIALER_CALLS_PER_SECOND', 1), ringTimeoutS: int(env, 'DIALER_RING_TIMEOUT_S', 30),
      horizonHours: int(env, 'DIALER_HORIZON_HOURS', 48), workers: bool(env, 'DIALER_WORKERS', true),
      replyDays: int(env, 'CONTACT_LOSS_REPLY_DAYS', 7), keepFreeOperators: int(env, 'DIALER_KEEP_FREE_OPERATORS', 1),
      control: { testCallMinutes: Math.max(1, int(env, 'CONTROL_TESTCALL_MINUTES', 10)), selftestPeriodHours: Math.max(1, int(env, 'SELFTEST_PERIOD_HOURS', 24)),
        controlPeriodMonths: Math.max(1, int(env, 'CONTROL_PERIOD_MONTHS', 3)), retryDays: int(env, 'CONTROL_RETRY_DAYS', 7) } },
    reports: { chromiumPath: env.CHROMIUM_PATH || '/usr/bin/chromium' },
  };
}
