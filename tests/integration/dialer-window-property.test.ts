import { DelayedError, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { isInside, type CallWindow, type Weekday } from '../../dialer/window.ts';
import type { DialJob } from '../../dialer/queues.ts';
import type { OutboundCallRequest } from '../../telephony/port.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

/** A small seeded PRNG (mulberry32): the same cases every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

let t: TestApp;
const placed: { req: OutboundCallRequest; at: Date }[] = [];
beforeAll(async () => {
  t = await startTestApp({ dialer: { ...loadConfig({}).dialer, provider: 'sip', workers: false, keepFreeOperators: 0 } });
  t.app.telephony.inbound.register({ name: 'sip', async bridge() {}, async hangup() {},
    async placeCall(req) { placed.push({ req, at: t.clock.now() }); return { providerCallId: `p-${placed.length}` }; } });
});
afterAll(async () => { await t.close(); });

/** Runs one dial job the way the worker does, with a job object that only remembers a delay. */
async function runJob(agendaItemId: string) {
  const job = { id: agendaItemId, data: { agendaItemId }, moveToDelayed: async () => undefined } as unknown as Job<DialJob>;
  try {
    return await t.app.dialer.outbound.process(job);
  } catch (err) {
    if (err instanceof DelayedError) return 'delayed';
    throw err;
  }
}

describe('no call is ever placed outside her window', () => {
  it('holds over random policies, zones and instants, DST days included', async () => {
    const r = rng(20261123);
    const BASE = '2026-11-06T08:00:00Z';
    t.clock.set(BASE);
    const coord = (await signIn(t, 'coordinator')).token;
    const centres = { '28': (await createCentre(t.pool, '28')).id, '38': (await createCentre(t.pool, '38')).id };
    const op = await signIn(t, 'operator');
    await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, 'sip:prop@10.4.0.1']);
    let dialled = 0;
    for (let i = 0; i < 40; i++) {
      const province = r() < 0.5 ? '28' : '38';
      const weekdays = [1, 2, 3, 4, 5, 6, 7].filter(() => r() < 0.4);
      if (!weekdays.length) weekdays.push(1 + Math.floor(r() * 7));
      const fromH = Math.floor(r() * 20);
      const toH = fromH + 1 + Math.floor(r() * (23 - fromH));
      const window = { frequency: r() < 0.5 ? 'quincenal' : 'mensual', weekdays, windowFrom: `${String(fromH).padStart(2, '0')}:00`,
        windowTo: `${String(toH).padStart(2, '0')}:${r() < 0.5 ? '00' : '30'}` };
      const body = altaBody(centres[province], { agendaPolicy: window,
        location: { address: 'Calle Propiedad 1', municipality: province === '28' ? 'Madrid' : 'Arona', provinceCode: province } });
      t.clock.set(BASE);
      const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
      expect(res.statusCode, res.body).toBe(201);
      const usuariaId = res.json().usuariaId;
      // somewhere in the year after her alta, biased towards the nights the clocks change
      const dstNights = [Date.parse('2027-03-28T01:00:00Z'), Date.parse('2027-10-31T01:00:00Z')];
      const now = new Date(r() < 0.3 ? dstNights[Math.floor(r() * 2)]! + (r() - 0.5) * 2 * 86400_000
        : Date.parse('2026-11-06T00:00:00Z') + r() * 365 * 86400_000);
      t.clock.set(now);
      const item = await t.app.dialer.planner.planFollowUp(t.pool, usuariaId, now);
      expect(item).not.toBeNull();
      const policyWindow: CallWindow = { zone: province === '28' ? 'Europe/Madrid' : 'Atlantic/Canary', weekdays: weekdays as Weekday[],
        from: window.windowFrom, to: window.windowTo };
      expect(isInside(policyWindow, item!.notBefore)).toBe(true);
      // the worker runs at the planned opening, somewhere inside, and at a random instant
      for (const at of [item!.notBefore, new Date((item!.notBefore.getTime() + item!.notAfter.getTime()) / 2), new Date(now.getTime() + r() * 20 * 86400_000)]) {
        await t.app.telephony.inbound.release(op.userId);
        t.clock.set(at);
        const before = placed.length;
        await runJob(item!.id);
        if (placed.length > before) {
          dialled++;
          expect(isInside(policyWindow, placed.at(-1)!.at), `call at ${placed.at(-1)!.at.toISOString()} for ${JSON.stringify(policyWindow)}`).toBe(true);
          break;
        }
      }
    }
    expect(dialled).toBeGreaterThan(20); // the property was exercised, not vacuously true
  });
});
