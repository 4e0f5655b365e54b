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

async function freeOperator(): Promise<void> {
  const op = await signIn(t, 'operator');
  await t.pool.query('update users set device_uri = $2 where id = $1', [op.userId, `sip:${op.userId.slice(0, 6)}@10.3.0.1`]);
  await t.app.telephony.inbound.setPresence(op.userId, 'available');
}

/** Moves the clock to the next planned call of hers, lets the worker dial it, and lets it ring out. */
async function nextCallUnanswered(usuariaId: string, msisdn: string): Promise<void> {
  const { rows: [next] } = await t.pool.query(`select id, not_before from agenda_items where usuaria_id = $1 and status = 'planned'`, [usuariaId]);
  t.clock.set(new Date(next.not_before.getTime() + 60_000));
  await freeOperator();
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

  it('escalates an unanswered request to collaborate (a repair appointment) after its 24-hour retry, but not a manual call', async () => {
    t.clock.set('2027-01-05T09:00:00Z'); // a Tuesday, before her window (10:00-12:00, Madrid)
    // the usuarias of the tests above would share this window and its operators
    await t.pool.query(`update agenda_items set status = 'cancelled' where status = 'planned'`);
    const staff = coord = (await signIn(t, 'coordinator')).token; // weeks later: a new shift
    const cases = async (id: string) => (await t.pool.query(`select c.round, c.stage, x.cause from contact_loss_cases c
      join contact_loss_transitions x on x.case_id = c.id where c.usuaria_id = $1 order by x.at`, [id])).rows;

    const manual = await usuaria();
    t.clock.set('2027-01-05T09:45:00Z');
    await freeOperator(); // "call her now" dials at once
    const now = await t.app.inject({ method: 'POST', url: `/api/usuarias/${manual.id}/call-now`, headers: bearer(staff) });
    expect(now.statusCode).toBe(201);
    await until(() => placed.some((p) => p.to === manual.msisdn));
    const first = placed.filter((p) => p.to === manual.msisdn).at(-1)!;
    await t.app.telephony.inbound.event({ provider: 'sip', providerCallId: `a4-${first.attemptId}`, sequence: ++seq, state: 'no_answer', at: t.clock.now() });
    await nextCallUnanswered(manual.id, manual.msisdn); // its retry
    expect((await t.pool.query(`select status from followup_occasions where usuaria_id = $1`, [manual.id])).rows).toEqual([{ status: 'failed' }]);
    expect(await cases(manual.id)).toEqual([]);

    coord = (await signIn(t, 'coordinator')).token; // the next day's shift
    const u = await usuaria();
    const res = await t.app.inject({ method: 'POST', url: `/api/usuarias/${u.id}/reminders`, headers: bearer(coord),
      payload: { at: '2027-01-12T09:15:00Z', note: 'Cita para reparar el terminal' } });
    expect(res.statusCode).toBe(201);
    await nextCallUnanswered(u.id, u.msisdn);
    expect(await cases(u.id)).toEqual([]); // the first attempt alone does not escalate
    await nextCallUnanswered(u.id, u.msisdn); // the retry, 24 h later or more, in her window
    expect(await cases(u.id)).toEqual([{ round: 1, stage: 'contacting_persons', cause: 'failure_to_collaborate' }]);
    const tasks = await t.pool.query(`select k.priority from contact_loss_tasks k join contact_loss_cases c on c.id = k.case_id
      where c.usuaria_id = $1`, [u.id]);
    expect(tasks.rows).toEqual([{ priority: 1 }]); // then her contact persons, by priority
  });
});
