import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { reportsRepo } from '../../store/reports.repo.ts';
import { call, centre, expediente, incident, move, occasion, terminal, usuaria } from './reports-fixture.ts';

/**
 * A small world computed by hand. Clock: 2026-03-31 12:00 UTC. DST began on Sunday 29 March 2026
 * (Madrid UTC+2, Canaries UTC+1 from then on; UTC+1 and UTC+0 before).
 *
 * U1 Madrid (28), centre C1, alta 2026-01-10; window Tue 10:00-12:00.
 * U2 Telde (35), centre C2, alta 2026-02-01.
 * U3 Madrid (28), centre C1, alta 2025-12-01; moves to Toledo (45), centre C3, on 2026-03-15.
 * U4 Madrid (28), centre C1: alta 2026-01-05, baja (voluntaria) 2026-03-10, re-alta 2026-03-20.
 */
let t: TestApp;
let token: string;
const ids: Record<string, string> = {};

async function get(url: string) {
  const res = await t.app.inject({ url, headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { level: number; rows: Record<string, unknown>[] };
}

beforeAll(async () => {
  t = await startTestApp();
  t.clock.set('2026-03-31T12:00:00Z');
  const db = t.pool;
  const c1 = await centre(db, '28', 'Madrid', 'Ayuntamiento de Madrid');
  const c2 = await centre(db, '35', 'Telde', 'Ayuntamiento de Telde');
  const c3 = await centre(db, '45', 'Toledo', 'Ayuntamiento de Toledo');
  Object.assign(ids, { c1, c2, c3 });
  const u1 = (await usuaria(db, { province: '28', municipality: 'Madrid', centreId: c1, altaOn: '2026-01-10',
    window: { weekdays: [2], from: '10:00', to: '12:00' } })).usuariaId;
  const u2 = (await usuaria(db, { province: '35', municipality: 'Telde', centreId: c2, altaOn: '2026-02-01' })).usuariaId;
  ids.u2 = u2;
  const u3 = (await usuaria(db, { province: '28', municipality: 'Madrid', centreId: c1, altaOn: '2025-12-01',
    window: { weekdays: [2], from: '11:00', to: '13:00' } })).usuariaId;
  const u4 = (await usuaria(db, { province: '28', municipality: 'Madrid', centreId: c1, altaOn: '2026-01-05',
    baja: { on: '2026-03-10', cause: 'voluntaria' } })).usuariaId;
  await expediente(db, u4, '28', c1, '2026-03-20');

  // Canary midnight: 23:30 on 15 January in Telde is already 16 January in Madrid
  await call(db, { usuariaId: u2, direction: 'inbound', line: 'general', kind: 'A', startedAt: '2026-01-15T23:30:00Z', answerAfterS: 3,
    end: 'completed', filed: { kind: 'A', outcome: 'atendida' } });
  // U1's inbound calls in March: answered after 5 s and 10 s, one abandoned, and one that crosses midnight and the month end
  await call(db, { usuariaId: u1, direction: 'inbound', line: 'general', kind: 'A', startedAt: '2026-03-05T10:00:00Z', answerAfterS: 5,
    end: 'completed', filed: { kind: 'A', outcome: 'atendida' } });
  await call(db, { usuariaId: u1, direction: 'inbound', line: 'general', kind: 'A', startedAt: '2026-03-06T10:00:00Z', answerAfterS: 10,
    end: 'completed', filed: { kind: 'A', outcome: 'prueba' } });
  await call(db, { usuariaId: u1, direction: 'inbound', line: 'general', kind: 'A', startedAt: '2026-03-07T10:00:00Z', end: 'canceled' });
  await call(db, { usuariaId: u1, direction: 'inbound', line: 'general', kind: 'A', startedAt: '2026-03-31T21:59:30Z', answerAfterS: 40,
    end: 'completed', filed: { kind: 'A', outcome: 'atendida' } });
  // U2's emergency at 23:59:50 Canary time on 31 March (01:59:50 on 1 April in Madrid), answered after 70 s
  const emergency = await call(db, { usuariaId: u2, direction: 'inbound', line: 'emergency', kind: 'C', startedAt: '2026-03-31T22:59:50Z',
    answerAfterS: 70, end: 'completed', filed: { kind: 'C', outcome: 'atendida' } });
  const inc = await incident(db, u2, emergency, 'prealarma', 2, '2026-03-31T23:05:00Z');
  await occasion(db, u2, 'post_emergency', '2026-04-01', 'contact', '2026-04-01T10:00:00Z', inc);
  await occasion(db, u2, 'post_emergency', '2026-04-02', 'contact', '2026-04-03T10:00:00Z', inc);
  // U1's follow-ups: Tuesday 17 March 10:30 Madrid (inside), Wednesday 18 March 10:30 (outside: not her weekday)
  await call(db, { usuariaId: u1, direction: 'outbound', line: 'outbound', kind: 'B', startedAt: '2026-03-17T09:30:00Z', answerAfterS: 8,
    end: 'completed', filed: { kind: 'B', outcome: 'atendida' } });
  await call(db, { usuariaId: u1, direction: 'outbound', line: 'outbound', kind: 'B', startedAt: '2026-03-18T09:30:00Z', end: 'busy' });
  await occasion(db, u1, 'followup', '2026-03-17', 'contact', '2026-03-17T09:40:00Z');
  // and a technical-control call (D) the same morning, inside her window: not a follow-up attempt
  await call(db, { usuariaId: u1, direction: 'outbound', line: 'outbound', kind: 'D', startedAt: '2026-03-17T09:50:00Z', answerAfterS: 5,
    end: 'completed', filed: { kind: 'D', outcome: 'atendida' } });
  // U3 reached on Tuesday 10 March in Madrid; moves; not reached on Tuesday 24 March in Toledo
  await call(db, { usuariaId: u3, direction: 'outbound', line: 'outbound', kind: 'B', startedAt: '2026-03-10T10:00:00Z', answerAfterS: 6,
    end: 'completed', filed: { kind: 'B', outcome: 'atendida' } });
  await occasion(db, u3, 'followup', '2026-03-10', 'contact', '2026-03-10T10:05:00Z');
  await move(db, u3, '45', 'Toledo', c3);
  await call(db, { usuariaId: u3, direction: 'outbound', line: 'outbound', kind: 'B', startedAt: '2026-03-24T10:00:00Z', end: 'no_answer' });
  await occasion(db, u3, 'followup', '2026-03-24', 'failed', '2026-03-25T10:05:00Z');
  // Anexo IV: one case open 30 days, one opened and closed in February
  await db.query(`insert into contact_loss_cases (usuaria_id, round, stage, opened_at) values ($1, 1, 'contacting_persons', '2026-03-01T12:00:00Z')`, [u1]);
  await db.query(`insert into contact_loss_cases (usuaria_id, round, stage, opened_at, closed_at)
    values ($1, 1, 'closed_contact_recovered', '2026-02-01T12:00:00Z', '2026-02-20T12:00:00Z')`, [u3]);
  await terminal(db, u1, '2026-03-31T00:00:00Z', '2026-01-10T00:00:00Z');
  await terminal(db, u2, null, '2026-02-01T00:00:00Z');
  await terminal(db, u3, '2026-03-29T00:00:00Z', '2025-12-01T00:00:00Z');
  token = (await signIn(t, 'manager')).token;
});
afterAll(async () => { await t?.close(); });

const Q1 = 'from=2026-01-01&to=2026-03-31';

describe('figures against a hand-computed world', () => {
  it('census: active at each month end, altas, bajas by cause, a baja and a re-alta', async () => {
    const { rows } = await get(`/api/reports/census?${Q1}&grain=month`);
    expect(rows.map((r) => [r.period, r.altas, r.bajas, r.activeAtEnd, r.attended])).toEqual([
      ['2026-01-01', 2, 0, 3, 3], ['2026-02-01', 1, 0, 4, 4], ['2026-03-01', 1, 1, 4, 5]]);
    expect(rows[2]!.baja_voluntaria).toBe(1);
    const at = await get('/api/reports/census?from=2026-03-15&to=2026-03-15&grain=day');
    expect(at.rows[0]!.activeAtEnd).toBe(3); // U4 between her baja and her re-alta
  });

  it('calls by kind and outcome, each where she lived when it was made', async () => {
    const { rows, level } = await get(`/api/reports/calls?from=2026-03-01&to=2026-03-31&by=province`);
    expect(level).toBe(3); // whole months by province: the province-month rollup
    const pick = (p: string, kind: string) => rows.filter((r) => r.province === p && r.kind === kind);
    expect(pick('28', 'A')[0]).toMatchObject({ calls: 4, answered: 3, atendida: 2, prueba: 1, noContesta: 1 });
    expect(pick('28', 'B')[0]).toMatchObject({ calls: 2 + 1, atendida: 2, ocupado: 1 });
    expect(pick('45', 'B')[0]).toMatchObject({ calls: 1, noContesta: 1 });
    expect(pick('35', 'C')[0]).toMatchObject({ calls: 1, atendida: 1, provinceName: 'Las Palmas' });
    const daily = await get(`/api/reports/calls?from=2026-03-01&to=2026-03-31&by=province&grain=day`);
    expect(daily.level).toBe(1);
    expect(daily.rows.filter((r) => r.kind === 'B').map((r) => [r.period, r.province, r.calls])).toEqual([
      ['2026-03-10', '28', 1], ['2026-03-17', '28', 1], ['2026-03-18', '28', 1], ['2026-03-24', '45', 1]]);
  });

  it('a day is her day: Canary midnight and the month end', async () => {
    const jan = await get('/api/reports/calls?from=2026-01-15&to=2026-01-16&grain=day&province=35');
    expect(jan.rows.map((r) => [r.period, r.calls])).toEqual([['2026-01-15', 1]]);
    const april = await get('/api/reports/calls?from=2026-04-01&to=2026-04-30');
    expect(april.rows).toEqual([]); // both calls started on 31 March in their own zone
    const march = await get('/api/reports/calls?from=2026-03-31&to=2026-03-31&grain=day');
    expect(march.rows.filter((r) => r.direction === 'inbound').map((r) => [r.kind, r.calls]).sort()).toEqual([['A', 1], ['C', 1]]);
  });

  it('answer times: percentiles and shares against the targets', async () => {
    const { rows } = await get('/api/reports/answer-times?from=2026-03-01&to=2026-03-31');
    expect(rows.find((r) => r.kind === 'A')).toMatchObject({ offered: 4, answered: 3, abandoned: 1, p50S: 10, p90S: 40, p99S: 40,
      within60: 0.75, within180: 0.75, meets60: false, meets180: false, meetsEurope60: false });
    expect(rows.find((r) => r.kind === 'C')).toMatchObject({ offered: 1, answered: 1, p50S: 70, within60: 0, within180: 1,
      meets60: false, meets180: true });
  });

  it('follow-ups: contact rate and attempts per contact; drill-down to the centre', async () => {
    const { rows } = await get('/api/reports/followups?from=2026-03-01&to=2026-03-31');
    expect(rows[0]).toMatchObject({ planned: 3, reached: 2, failed: 1, contactRate: 0.6667, attempts: 4, contacts: 2, attemptsPerContact: 2 });
    const madrid = await get('/api/reports/followups?from=2026-03-01&to=2026-03-31&by=centre&province=28');
    expect(madrid.level).toBe(4); // a whole month by centre (grain month by default): the municipality-and-centre-by-month rollup
    expect(madrid.rows.map((r) => [r.province, r.centreId, r.centreName, r.planned, r.attempts])).toEqual([
      ['28', ids.c1, 'Centro de Servicios Sociales Madrid', 2, 3]]);
    const toledo = await get('/api/reports/followups?from=2026-03-01&to=2026-03-31&by=centre&province=45');
    expect(toledo.rows.map((r) => [r.province, r.centreId, r.planned, r.attempts])).toEqual([['45', ids.c3, 1, 1]]);
    const byMunicipality = await get('/api/reports/calls?from=2026-03-01&to=2026-03-31&by=municipality&province=45');
    expect(byMunicipality.rows.map((r) => [r.municipality, r.kind, r.calls])).toEqual([['Toledo', 'B', 1]]);
  });

  it('emergencies by kind and level, and post-emergency follow-ups on time', async () => {
    const em = await get('/api/reports/emergencies?from=2026-03-01&to=2026-03-31');
    expect(em.rows).toEqual([expect.objectContaining({ period: '2026-03-01', kind: 'prealarma', total: 1, level1: 0, level2: 1, level3: 0 })]);
    const post = await get('/api/reports/post-emergency?from=2026-04-01&to=2026-04-30');
    expect(post.rows[0]).toMatchObject({ planned: 2, reached: 2, onTime: 1, onTimeRate: 0.5 });
  });

  it('contact-loss cases by stage with ages, and opened/closed per month', async () => {
    const open = await get(`/api/reports/contact-loss?${Q1}`);
    expect(open.rows).toEqual([expect.objectContaining({ stage: 'contacting_persons', open: 1, ageMedianDays: 30, ageMaxDays: 30,
      age15to30: 1, ageOver30: 0 })]);
    const flows = await get(`/api/reports/contact-loss-flows?${Q1}`);
    expect(flows.rows.map((r) => [r.period, r.opened, r.closedRecovered, r.closedBaja])).toEqual([
      ['2026-02-01', 1, 1, 0], ['2026-03-01', 1, 0, 0]]);
  });

  it('terminals whose self-test is overdue', async () => {
    const { rows } = await get(`/api/reports/selftest-overdue?${Q1}&by=province`);
    expect(rows.map((r) => [r.province, r.terminals, r.never, r.overdue])).toEqual([['35', 1, 1, 1], ['45', 1, 0, 1], ['28', 1, 0, 0]]
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  });

  it('calls outside her window, judged against the window she had then', async () => {
    const { rows } = await get('/api/reports/outside-window?from=2026-03-01&to=2026-03-31');
    expect(rows).toEqual([expect.objectContaining({ kind: 'B', placed: 4, outsideWindow: 1 }),
      expect.objectContaining({ kind: 'D', placed: 1, outsideWindow: 0 })]);
  });

  it('a call written a moment ago counts before any fold, and the same after it', async () => {
    const reports = reportsRepo(t.pool);
    // the app's folder runs every few seconds: holding its advisory lock keeps the deltas pending
    const holder = await t.pool.connect();
    const url = '/api/reports/calls?from=2026-05-01&to=2026-05-31&province=35&by=province';
    try {
      await holder.query(`select pg_advisory_lock(hashtext('atenpro.report_fold'))`);
      await call(t.pool, { usuariaId: ids.u2!, direction: 'inbound', line: 'emergency', kind: 'C', startedAt: '2026-05-04T08:00:00Z',
        answerAfterS: 4, end: 'completed', filed: { kind: 'C', outcome: 'sin_voz' } });
      expect(await reports.pending()).toBeGreaterThan(0);
      const pending = await get(url);
      expect(pending.rows).toHaveLength(1);
      expect(pending.rows[0]).toMatchObject({ period: '2026-05-01', province: '35', kind: 'C', calls: 1, answered: 1, sinVoz: 1 });
      const answers = await get('/api/reports/answer-times?from=2026-05-01&to=2026-05-31&province=35');
      expect(answers.rows.find((r) => r.kind === 'C')).toMatchObject({ offered: 1, answered: 1, p50S: 4 });
      expect(await reports.fold()).toBe(-1);
      await holder.query(`select pg_advisory_unlock(hashtext('atenpro.report_fold'))`);
      await reports.fold();
      expect(await reports.pending()).toBe(0);
      expect((await get(url)).rows).toEqual(pending.rows);
    } finally {
      holder.release();
    }
  });

  it('by month over a range that is not whole months: the same figures as its days added up', async () => {
    // the counts (rates and percentiles do not add up)
    const ADDITIVE = ['calls', 'answered', 'atendida', 'prueba', 'noContesta', 'ocupado', 'offered', 'planned', 'reached', 'failed',
      'attempts', 'contacts', 'placed', 'outsideWindow'];
    for (const figure of ['calls', 'answer-times', 'followups', 'outside-window']) {
      const range = `from=2026-01-14&to=2026-04-02&by=province`;
      const months = await get(`/api/reports/${figure}?${range}&grain=month`);
      const days = await get(`/api/reports/${figure}?${range}&grain=day`);
      expect(months.level).toBe(1);
      const counts = (rows: Record<string, unknown>[], month: (p: string) => string) => {
        const out: Record<string, number> = {};
        for (const r of rows) {
          for (const [k, v] of Object.entries(r)) {
            if (typeof v !== 'number' || !ADDITIVE.includes(k)) continue;
            const key = `${month(String(r.period))} ${r.province} ${r.kind ?? ''} ${r.direction ?? ''} ${r.line ?? ''} ${k}`;
            out[key] = (out[key] ?? 0) + v;
          }
        }
        return out;
      };
      const byMonth = counts(months.rows, (p) => p);
      expect(Object.keys(byMonth).length, figure).toBeGreaterThan(0);
      expect(byMonth, figure).toEqual(counts(days.rows, (p) => `${p.slice(0, 8)}01`));
    }
  });
});
