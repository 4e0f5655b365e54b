import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import type { OutboundCallRequest } from '../../telephony/port.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { redisUrl } from '../helpers/redis.ts';
import { until } from './inbound-contract.ts';

const NOW = '2026-11-17T09:30:00Z'; // Tuesday 10:30 in Madrid: inside altaBody's window
const LOCK_MS = 1500;
let t: TestApp;
const placed: OutboundCallRequest[] = [];

beforeAll(async () => {
  t = await startTestApp({ instanceId: 'survivor', dialer: { ...loadConfig({}).dialer, provider: 'sip', workers: false, keepFreeOperators: 0 } });
  t.clock.set(NOW);
});
afterAll(async () => { await t.close(); });

describe('a dialer process killed mid-call', () => {
  it('loses nothing and doubles nothing: the item is planned again and dialled exactly once by the survivor', async () => {
    const coord = (await signIn(t, 'coordinator')).token;
    const body = altaBody((await createCentre(t.pool)).id);
    const u = (await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body })).json().usuariaId;
    const op = await signIn(t, 'operator');
    await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, 'sip:op@10.5.0.1']);
    await t.app.telephony.inbound.setPresence(op.userId, 'available');

    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/dialer-child.ts'], {
      env: { ...process.env, CHILD_PREFIX: t.config.redisPrefix, CHILD_DATABASE_URL: t.db.url, CHILD_REDIS_URL: redisUrl(),
        CHILD_KEY: t.key.toString('base64'), CHILD_NOW: NOW, CHILD_LOCK_MS: String(LOCK_MS) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await until(() => out.includes('ready'), 30_000);
      await t.app.dialer.planAll();
      await until(() => out.includes('placing'), 15_000); // the child claimed the item and is inside placeCall
      const { rows: [claimed] } = await t.pool.query(`select status from agenda_items where usuaria_id = $1`, [u]);
      expect(claimed.status).toBe('dialling');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }

    // the survivor: its workers start now; past the grace period the reconciler plans the item again
    t.app.telephony.inbound.register({ name: 'sip', async bridge() {}, async hangup() {},
      async placeCall(req) { placed.push(req); return { providerCallId: `survivor-${placed.length}` }; } });
    const { createDialer } = await import('../../dialer/engine.ts');
    const { contactLossService } = await import('../../dialer/contact-loss/index.ts');
    const survivor = await createDialer({ pool: t.pool, redis: t.redis, clock: t.clock, log: (await import('pino')).default({ level: 'silent' }),
      inbound: t.app.telephony.inbound, contactLoss: contactLossService({ pool: t.pool, clock: t.clock }),
      config: { prefix: t.config.redisPrefix, provider: 'sip', neutralNumber: '+34900100900', ringTimeoutS: 20, callsPerSecond: 50,
        horizonHours: 48, runWorkers: true, lockMs: LOCK_MS, keepFreeOperators: 0 } });
    try {
      t.clock.advance(3 * 60_000);
      await until(async () => { await survivor.reconcile(); return placed.length > 0; }, 20_000);
      await new Promise((r) => setTimeout(r, 3 * LOCK_MS)); // room for a second, wrong, dial to show up
      expect(placed).toHaveLength(1);
      const { rows } = await t.pool.query(`select i.status, c.provider_call_id, c.outcome from agenda_items i
        join call_attempts c on c.agenda_item_id = i.id where i.usuaria_id = $1 order by c.started_at`, [u]);
      expect(rows.map((r) => [r.outcome ?? r.provider_call_id])).toEqual([['not_placed'], ['survivor-1']]);
      expect((await t.pool.query(`select status from agenda_items where usuaria_id = $1`, [u])).rows[0].status).toBe('dialling');
    } finally {
      await survivor.close();
    }
  });
});
