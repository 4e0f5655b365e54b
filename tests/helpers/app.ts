import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { generate } from 'otplib';
import { hashPassword } from '../../access/secrets.ts';
import { loadConfig, type Config } from '../../app/config.ts';
import { createRegistry } from '../../app/health.routes.ts';
import { buildApp } from '../../app/server.ts';
import { fixedClock } from '../../common/clock.ts';
import { createLogger } from '../../common/log.ts';
import { fieldCipher, type FieldCipher } from '../../store/crypto.ts';
import { createPool, type Pool } from '../../store/db.ts';
import { centresRepo } from '../../store/usuarias.repo.ts';
import { usersRepo, type Role } from '../../store/users.repo.ts';
import { freshDatabase, type TestDatabase } from './db.ts';
import { redisUrl, uniquePrefix } from './redis.ts';

export interface TestApp {
  app: FastifyInstance;
  pool: Pool;
  db: TestDatabase;
  redis: Redis;
  cipher: FieldCipher;
  key: Buffer;
  clock: ReturnType<typeof fixedClock>;
  config: Config;
  /** Every log line the app wrote, as parsed JSON. */
  logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Registers more on the app before it is ready (a plugin the composition root does not wire yet). */
  beforeReady?: (app: FastifyInstance, parts: Pick<TestApp, 'pool' | 'redis' | 'cipher' | 'clock' | 'config'>) => Promise<void>;
}

/** The whole app on a fresh database clone and a Redis prefix of its own, logging into memory. */
export async function startTestApp(overrides: Partial<Config> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await freshDatabase();
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const base = loadConfig({});
  // the dialer's workers run only in the tests that drive them
  const config = { ...base, redisPrefix: uniquePrefix(), dialer: { ...base.dialer, workers: false }, ...overrides };
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  const key = randomBytes(32);
  const cipher = fieldCipher(key);
  const clock = fixedClock(new Date());
  const app = await buildApp({ config, pool: db.pool, redis, cipher, clock, logger: createLogger('info', sink), registry: createRegistry() });
  await options.beforeReady?.(app, { pool: db.pool, redis, cipher, clock, config });
  await app.ready();
  return { app, pool: db.pool, db, redis, cipher, key, clock, config, logs,
    async close() { await app.close(); redis.disconnect(); await db.drop(); } };
}

/**
 * Another instance of the same deployment: its own HTTP app, pool and Redis connections, the same
 * database, Redis prefix and key. What one instance does, the other must see.
 */
export async function startSiblingInstance(t: TestApp, instanceId: string): Promise<Pick<TestApp, 'app' | 'close'>> {
  const pool = createPool(t.db.url, 5);
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  const app = await buildApp({ config: { ...t.config, instanceId }, pool, redis, cipher: t.cipher, clock: t.clock,
    logger: createLogger('silent'), registry: createRegistry() });
  await app.ready();
  return { app, async close() { await app.close(); redis.disconnect(); await pool.end(); } };
}

export const PASSWORD = 'contraseña-de-prueba-123';

/** Creates a user with a second factor already enrolled and signs her in; returns the bearer token. */
export async function signIn(t: TestApp, role: Role, username = `${role}-${randomBytes(3).toString('hex')}`): Promise<{ token: string; userId: string }> {
  const user = await usersRepo(t.pool).create({ username, displayName: `Prueba ${role}`, role, passwordHash: await hashPassword(PASSWORD) });
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  await usersRepo(t.pool).setTotpSecret(user.id, t.cipher.seal(secret, `users.totp:${user.id}`));
  await usersRepo(t.pool).enableTotp(user.id, 0);
  const totpCode = await generate({ secret, epoch: Math.floor(t.clock.now().getTime() / 1000) });
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: PASSWORD, totpCode } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  return { token: res.json().token, userId: user.id };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function createCentre(pool: Pool, provinceCode = '28', code = `SS-${provinceCode}-${randomBytes(2).toString('hex')}`) {
  return centresRepo(pool).create({ code, name: 'Centro de Servicios Sociales Centro', entidadLocal: 'Ayuntamiento de Madrid',
    provinceCode, municipality: 'Madrid', email: null, phone: null });
}

/**
 * The day the tests' world takes a new terminal into service. The database stamps a terminal with
 * its own clock (created_at, status_changed_at), which is the real date and not the test clock's:
 * pinned with inService, "three months after delivery" falls where a test says whatever day it runs on.
 */
export const IN_SERVICE = '2026-11-24T10:00:00Z';

/** Puts a terminal in service since `at` (default IN_SERVICE), as if the database had stamped it then. */
export async function inService(pool: Pool, terminalId: string, at = IN_SERVICE): Promise<void> {
  await pool.query('update terminals set created_at = $2, status_changed_at = $2 where id = $1', [terminalId, at]);
}

/** A complete, valid alta body; `over` replaces whole parts. */
export function altaBody(centreId: string, over: Record<string, unknown> = {}) {
  return {
    identification: { givenName: 'Lucía', familyNames: 'Prueba Sintética', idDocument: `${Math.floor(Math.random() * 1e8)}T`,
      birthDate: '1985-04-12', personalPhone: '+34 611 223 344' },
    location: { address: 'Calle Inventada 12, 3º B', municipality: 'Madrid', provinceCode: '28', postalCode: '28013',
      work: { address: 'Polígono Ficticio 4', municipality: 'Getafe', provinceCode: '28' } },
    expediente: { centreId, altaType: 'ordinaria', requestedOn: '2026-11-02', altaOn: '2026-11-05', telematicControlOrder: false },
    contacts: [{ priority: 1, fullName: 'Carmen Vecina Ficticia', relationship: 'vecina', phone1: '622334455', holdsKeys: true, consentOn: '2026-11-02' }],
    resources: [{ category: 'fuerzas_seguridad', priority: 1, name: 'Policía Nacional Centro', phone: '915550001' }],
    household: [{ fullName: 'Hija Ficticia', relationship: 'hija', birthYear: 2015, minorAtRisk: true }],
    risk: { level: 'medio', assessedOn: '2026-10-30' },
    aggressor: { givenName: 'Agresor', familyNames: 'Inventado', vehicle: 'Turismo gris 0000-XXX', knowsHome: true },
    health: { notes: 'Asma; inhalador' },
    agendaPolicy: { frequency: 'quincenal', weekdays: [2], windowFrom: '10:00', windowTo: '12:00' },
    terminal: { msisdn: `+3466${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, imei: '356938035643809', model: 'T-100' },
    ...over,
  };
}
