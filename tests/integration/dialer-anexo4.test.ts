import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import type { OutboundCallRequest } from '../../telephony/port.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { until } from './inbound-contract.ts';

let t: TestApp;
const placed: OutboundCallRequest[] = [];
let coord: string;
let centreId: string;
let seq = 0;

beforeAll(async () => {
  t = await startTestApp({ dialer: { ...loadConfig({}).dialer, provider: 'sip', workers: true, callsPerSecond: 50, keepFreeOperators: 0 } });
  t.app.telephony.inbound.register({ name: 'sip', async bridge() {}, async hangup() {},
    async placeCall(req) { placed.push(req); return { providerCallId: `a4-${req.attemptId}` }; } });
  t.clock.set('2026-11-16T09:30:00Z');
  coord = (await signIn(t, 'coordinator')).token;
  centreId = (await createCentre(t.pool)).id;
});
afterAll(async () => { await t.close(); });

async function usuaria(over: Record<string, unknown> = {}) {
  const body = altaBody(centreId, over);
  const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
  return { id: res.json().usuariaId as string, msisdn: body.terminal.msisdn as string };
}

/** Moves the clock to the next planned call of hers, lets the worker dial it, and lets it ring out. */
async function nextCallUnanswered(usuariaId: string, msisdn: string): Promise<void> {
  const { rows: [next] } = await t.pool.query(`select id, not_before from agenda_items where usuaria_id = $1 and status = 'planned'`, [usuariaId]);
  t.clock.set(new Date(next.not_before.getTime() + 60_000));
  const op = await signIn(t, 'operator');
  await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, `sip:${op.userId.slice(0, 6)}@10.3.0.1`]);
  await t.app.telephony.inbound.setPresence(op.userId, 'available');
  const before = placed.filter((p) => p.to === msisdn).length;
  await t.app.dialer.reconcile();
  await until(() => placed.filter((p) => p.to === msisdn).length > before);
  const req = placed.filter((p) => p.to === msisdn).at(-1)!;
  await t.app.telephony.inbound.event({ provider: 'sip', providerCallId: `a4-${req.attemptId}`, sequence: ++seq, state: 'no_answer', at: t.clock.now() });
}

describe('Anexo IV driven by the dialer', () => {
  it('opens the contact-loss case after three failed follow-up occasions, each with its retry, and not before', async () => {
    const u = await usuaria();
    await t.app.dialer.planAll();
    const occasions = async () => (await t.pool.query(`select status from followup_occasions where usuaria_id = $1 order by planned_on`, [u.id])).rows.map((r) => r.status);
    const cases = async () => (await t.pool.query(`select round, stage from contact_loss_cases where usuaria_id = $1`, [u.id])).rows;
    for (let occasion = 1; occasion <= 3; occasion++) {
      await nextCallUnanswered(u.id, u.msisdn); // the first call of the occasion
      expect(await cases()).toEqual([]); // a retry never counts on its own
      await nextCallUnanswered(u.id, u.msisdn); // its retry, 24 h later or more, in her window
      expect((await occasions()).filter((s) => s === 'failed')).toHaveLength(occasion);
      if (occasion < 3) expect(await cases()).toEqual([]);
    }
    expect(await cases()).toEqual([{ round: 1, stage: 'contacting_persons' }]);
    const tasks = await t.pool.query(`select priority from contact_loss_tasks k join contact_loss_cases c on c.id = k.case_id where c.usuaria_id = $1`, [u.id]);
    expect(tasks.rows.map((r) => r.priority)).toEqual([1]);
    // coordinators see her without contact from the first failed occasion
    const fresh = (await signIn(t, 'coordinator')).token; // weeks have passed: a new shift
    const list = await t.app.inject({ url: '/api/contact-loss/no-contact?days=1', headers: bearer(fresh) });
    expect(JSON.stringify(list.json())).toContain(u.id);
  });

  it('places no call inside an absence she reported after planning, and counts nothing as failed', async () => {
    t.clock.set('2026-11-16T09:30:00Z');
    const u = await usuaria();
    await t.app.dialer.planAll();
    const { rows: [planned] } = await t.pool.query(`select planned_on from agenda_items where usuaria_id = $1`, [u.id]);
    expect(planned.planned_on).toBe('2026-11-17');
    const abs = await t.app.inject({ method: 'POST', url: `/api/usuarias/${u.id}/absences`, headers: bearer(coord),
      payload: { startsOn: '2026-11-17', endsOn: '2026-11-25', reason: 'Viaje fuera de su domicilio' } });
    expect(abs.statusCode).toBe(201);
    t.clock.set('2026-11-17T09:31:00Z');
    const before = placed.filter((p) => p.to === u.msisdn).length;
    await t.app.dialer.reconcile();
    await until(async () => (await t.pool.query(`select count(*)::int as n from agenda_items where usuaria_id = $1`, [u.id])).rows[0].n === 2);
    expect(placed.filter((p) => p.to === u.msisdn)).toHaveLength(before);
    const { rows } = await t.pool.query(`select i.status, i.outcome, i.planned_on, o.status as occasion from agenda_items i
      join followup_occasions o on o.id = i.occasion_id where i.usuaria_id = $1 order by i.created_at`, [u.id]);
    expect(rows[0]).toMatchObject({ status: 'skipped', outcome: 'absence', occasion: 'cancelled' });
    // the first agreed weekday (Tuesday) after the absence ends
    expect(rows[1]).toMatchObject({ status: 'planned', planned_on: '2026-12-01', occasion: 'open' });
  });
});
