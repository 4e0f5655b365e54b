import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsRepo } from '../../store/calls.repo.ts';
import type { Pool } from '../../store/db.ts';
import { reportsRepo, rollupSource, type ReportFilter } from '../../store/reports.repo.ts';
import { emptyDatabase, freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { centre, usuaria } from './reports-fixture.ts';

/**
 * The rollups are kept by triggers as calls are written, answered, ended, filed and as she moves:
 * the triggers append deltas, the fold adds them to the rollups, and a read adds the deltas not
 * folded yet. Whatever the order of those writes, both the read before folding and the rollups
 * after it must equal a recomputation from the raw tables.
 */
let db: TestDatabase;
let pool: Pool;
const people: { id: string }[] = [];
const places = [['28', 'Madrid'], ['28', 'Getafe'], ['35', 'Telde'], ['38', 'Arona'], ['45', 'Toledo']] as const;
let centres: string[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  pool = db.pool;
  centres = [await centre(pool, '28', 'Madrid', 'Ayuntamiento de Madrid'), await centre(pool, '35', 'Telde', 'Ayuntamiento de Telde')];
  for (const [i, [province, municipality]] of places.slice(0, 4).entries()) {
    people.push({ id: (await usuaria(pool, { province, municipality, centreId: centres[i % 2]!, altaOn: '2026-01-01',
      window: { weekdays: [1, 3, 5], from: '09:30', to: '13:00' } })).usuariaId });
  }
});
afterAll(async () => { await db?.drop(); });

type Op =
  | { op: 'insert'; who: number; line: 0 | 1 | 2 | 3 | 4; at: number }
  | { op: 'answer'; call: number; afterS: number }
  | { op: 'end'; call: number; state: 'completed' | 'no_answer' | 'busy' | 'failed' | 'canceled'; oneStatement: boolean }
  | { op: 'file'; call: number; kind: 'A' | 'B' | 'C' | 'D'; outcome: string }
  | { op: 'move'; who: number; place: number; centre: number }
  | { op: 'occasion'; who: number; day: number; kind: 'followup' | 'post_emergency' }
  | { op: 'settle'; occasion: number; status: 'contact' | 'failed' | 'cancelled'; lateH: number };

const LINES = [['inbound', 'general', 'A'], ['inbound', 'emergency', 'C'], ['inbound', 'selftest', 'D'], ['outbound', 'outbound', 'B'],
  ['outbound', 'outbound', 'D']] as const;
// around the month end and the Canary/Madrid midnight: 2026-03-31 20:00 UTC plus up to 8 hours, or 2026-01-15 22:00 plus up to 4
const instant = (at: number) => new Date(at % 2 === 0 ? Date.UTC(2026, 2, 31, 20) + at * 60_000 : Date.UTC(2026, 0, 15, 22) + at * 30_000);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), who: fc.integer({ min: 0, max: 4 }), line: fc.constantFrom(0, 1, 2, 3, 4) as fc.Arbitrary<0 | 1 | 2 | 3 | 4>,
    at: fc.integer({ min: 0, max: 480 }) }),
  fc.record({ op: fc.constant('answer' as const), call: fc.nat(), afterS: fc.integer({ min: 0, max: 400 }) }),
  fc.record({ op: fc.constant('end' as const), call: fc.nat(), state: fc.constantFrom('completed', 'no_answer', 'busy', 'failed', 'canceled') as fc.Arbitrary<'completed'>,
    oneStatement: fc.boolean() }),
  fc.record({ op: fc.constant('file' as const), call: fc.nat(), kind: fc.constantFrom('A', 'B', 'C', 'D') as fc.Arbitrary<'A'>,
    outcome: fc.constantFrom('atendida', 'sin_voz', 'colgada', 'equivocada', 'prueba', 'no_es_ella') }),
  fc.record({ op: fc.constant('move' as const), who: fc.integer({ min: 0, max: 3 }), place: fc.integer({ min: 0, max: 4 }), centre: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ op: fc.constant('occasion' as const), who: fc.integer({ min: 0, max: 3 }), day: fc.integer({ min: 0, max: 3 }),
    kind: fc.constantFrom('followup', 'post_emergency') as fc.Arbitrary<'followup'> }),
  fc.record({ op: fc.constant('settle' as const), occasion: fc.nat(), status: fc.constantFrom('contact', 'failed', 'cancelled') as fc.Arbitrary<'contact'>,
    lateH: fc.integer({ min: 0, max: 60 }) }),
);

/** Writes `ops` in order; before the one at `foldAt`, folds what is pending. */
async function apply(ops: Op[], foldAt = -1): Promise<void> {
  const calls: { id: string; provider: string; pid: string; started: Date; seq: number }[] = [];
  const occasions: string[] = [];
  const repo = callsRepo(pool);
  for (const [i, o] of ops.entries()) {
    if (i === foldAt) expect(await reportsRepo(pool).fold()).toBeGreaterThanOrEqual(0);
    if (o.op === 'insert') {
      const [direction, line, kind] = LINES[o.line];
      const id = randomUUID();
      const started = instant(o.at);
      await repo.insert({ id, direction, line, kind, provider: 'sip', providerCallId: `p-${id}`, caller: null,
        usuariaId: o.who < people.length ? people[o.who]!.id : null, terminalId: null, startedAt: started });
      calls.push({ id, provider: 'sip', pid: `p-${id}`, started, seq: 0 });
    } else if (o.op === 'answer' || o.op === 'end') {
      const c = calls.length ? calls[o.call % calls.length]! : null;
      if (!c) continue;
      const answer = o.op === 'answer';
      const e = { seq: ++c.seq, status: answer ? 'in_progress' : o.state, at: new Date(c.started.getTime() + (answer ? o.afterS : 500) * 1000),
        final: !answer, answered: answer };
      if (o.op === 'end' && o.oneStatement) await repo.recordEvent(c.provider, c.pid, e);
      else await repo.applyEvent(c.id, e);
    } else if (o.op === 'file') {
      const c = calls.length ? calls[o.call % calls.length]! : null;
      if (c) await repo.setDisposition(c.id, o.kind, { outcome: o.outcome });
    } else if (o.op === 'move') {
      const [province, municipality] = places[o.place]!;
      await pool.query('update usuarias set province_code = $2, municipality = $3 where id = $1', [people[o.who]!.id, province, municipality]);
      await pool.query(`update expedientes set centre_id = $2 where usuaria_id = $1`, [people[o.who]!.id, centres[o.centre]]);
    } else if (o.op === 'occasion') {
      // at most one open follow-up per usuaria (migration 003): a second one is not planned
      const { rows } = await pool.query<{ id: string }>(`insert into followup_occasions (usuaria_id, kind, planned_on)
        values ($1, $2, $3) on conflict do nothing returning id`, [people[o.who]!.id, o.kind, `2026-03-${Math.min(29 + o.day, 31)}`]);
      if (rows[0]) occasions.push(rows[0].id);
    } else if (occasions.length) {
      await pool.query(`update followup_occasions set status = $2, closed_at = planned_on::timestamp + make_interval(hours => $3)
        where id = $1 and status = 'open'`, [occasions[o.occasion % occasions.length], o.status, o.lateH]);
    }
  }
}

// a row that counts nothing (its keys, and the histogram's text, aside)
const zero = (r: Record<string, unknown>) => Object.entries(r).every(([k, v]) =>
  ['geo_level', 'province_code', 'day', 'municipality', 'centre_id', 'direction', 'line', 'kind', 'ans_hist_text'].includes(k)
  || (Array.isArray(v) ? v.every((x) => x === 0) : v === 0));

async function snapshot(table: string, recomputed: string): Promise<{ kept: string[]; fresh: string[] }> {
  await pool.query('select report_fold()');
  const kept = (await pool.query(`select * from ${table}`)).rows.filter((r) => !zero(r));
  // the histogram's text (migration 013) is written with it: the same buckets, in PostgreSQL's text form of an array
  for (const r of kept) if ('ans_hist' in r) expect(r.ans_hist_text).toBe(`{${(r.ans_hist as number[]).join(',')}}`);
  const fresh = (await pool.query(`select * from ${recomputed}()`)).rows;
  const key = (r: Record<string, unknown>) => JSON.stringify(r);
  return { kept: kept.map(key).sort(), fresh: fresh.map(key).sort() };
}

const TABLES = {
  report_call_days: ['direction, line, kind', 'sum(calls)::int, sum(answered)::int, sum(outside_window)::int, sum(o_atendida)::int, '
    + 'sum(o_sin_voz)::int, sum(o_colgada)::int, sum(o_equivocada)::int, sum(o_prueba)::int, sum(o_no_es_ella)::int, '
    + 'sum(o_contestador)::int, sum(o_completada)::int, sum(o_no_contesta)::int, sum(o_ocupado)::int, sum(o_fallida)::int'],
  report_answer_days: ['line, kind', 'sum(offered)::int, sum(answered)::int, '
    + `array[${Array.from({ length: 85 }, (_, i) => `sum(ans_hist[${i + 1}])::int`).join(', ')}]`],
  report_occasion_days: ['kind', 'sum(planned)::int, sum(open)::int, sum(contact)::int, sum(failed)::int, sum(cancelled)::int, sum(on_time)::int'],
} as const;

/** What a read sees at every level before any fold: the rollups plus the pending deltas, against a recomputation. */
async function readsBeforeFolding(): Promise<{ read: string[]; fresh: string[] }> {
  const read: string[] = [];
  const fresh: string[] = [];
  const key = (r: Record<string, unknown>) => JSON.stringify(Object.values(r));
  for (const [table, [cols, sums]] of Object.entries(TABLES)) {
    for (const level of [0, 1, 2, 3, 4, 5] as const) {
      const q = (from: string) => `select geo_level, province_code, day, municipality, centre_id, ${cols}, ${sums} from ${from}
        where geo_level = ${level} group by geo_level, province_code, day, municipality, centre_id, ${cols}`;
      const nonZero = (rows: Record<string, unknown>[]) => rows.filter((r) => !zero(r));
      read.push(...nonZero((await pool.query(q(rollupSource(table as keyof typeof TABLES, level)))).rows).map((r) => `${table} ${key(r)}`));
      fresh.push(...nonZero((await pool.query(q(`${table.replace('_days', '_days_recomputed')}() r`))).rows).map((r) => `${table} ${key(r)}`));
    }
  }
  return { read: read.sort(), fresh: fresh.sort() };
}

/** Rows summed per month and dimensions (histograms bucket by bucket), cells that sum to nothing left out. */
function byMonth(rows: object[]): string[] {
  const sums = new Map<string, (number | number[])[]>();
  for (const r of rows) {
    const entries = Object.entries(r);
    const key = JSON.stringify(entries.map(([k, v]) => (k === 'period' ? String(v).slice(0, 7) : typeof v === 'string' || v === null ? v : k)));
    const values = entries.filter(([k, v]) => k !== 'period' && (typeof v === 'number' || Array.isArray(v))).map(([, v]) => v as number | number[]);
    const acc = sums.get(key);
    sums.set(key, acc ? acc.map((a, i) => (Array.isArray(a) ? a.map((x, j) => x + (values[i] as number[])[j]!) : a + (values[i] as number))) : values);
  }
  return [...sums.entries()].filter(([, v]) => v.flat().some((x) => x !== 0)).map(([k, v]) => `${k} ${JSON.stringify(v)}`).sort();
}

/**
 * By month over ranges that stop inside a month (the last month is read from its monthly row when
 * nothing in it is dated after the range's end, else from its days): the same as the range read by day.
 */
async function monthsEqualDays(): Promise<void> {
  const repo = reportsRepo(pool);
  const ranges = [{ from: '2026-01-01', to: '2026-03-30' }, { from: '2026-01-10', to: '2026-04-15' }, { from: '2026-03-01', to: '2026-03-30' },
    { from: '2026-01-01', to: '2026-02-28' }];
  for (const range of ranges) {
    for (const by of ['none', 'province', 'municipality', 'centre'] as const) {
      for (const read of [repo.calls, repo.answerTimes, (f: ReportFilter) => repo.occasions(f, ['followup', 'post_emergency'])]) {
        const f = { ...range, by };
        expect(byMonth(await read({ ...f, grain: 'month' })), JSON.stringify(f)).toEqual(byMonth(await read({ ...f, grain: 'day' })));
      }
    }
  }
}

describe('rollups', () => {
  it('equal a recomputation from the raw tables after any sequence of writes', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      await pool.query(`truncate call_events, call_attempts, followup_occasions, report_call_days, report_answer_days, report_occasion_days,
        report_call_deltas, report_occasion_deltas cascade`);
      // some of the writes are folded halfway through, the rest are still pending when the figures are read
      await apply(ops, Math.floor(ops.length / 2));
      const reads = await readsBeforeFolding();
      expect(reads.read).toEqual(reads.fresh);
      await monthsEqualDays();
      const calls = await snapshot('report_call_days', 'report_call_days_recomputed');
      expect(calls.kept).toEqual(calls.fresh);
      const answers = await snapshot('report_answer_days', 'report_answer_days_recomputed');
      expect(answers.kept).toEqual(answers.fresh);
      const occasions = await snapshot('report_occasion_days', 'report_occasion_days_recomputed');
      expect(occasions.kept).toEqual(occasions.fresh);
      await monthsEqualDays();
    }), { numRuns: 40 });
  });

  it('rebuild gives the same rollups as the triggers did', async () => {
    await pool.query('truncate call_events, call_attempts, report_call_days, report_answer_days, report_call_deltas cascade');
    await apply([{ op: 'insert', who: 2, line: 1, at: 7 }, { op: 'answer', call: 0, afterS: 61 }, { op: 'insert', who: 4, line: 3, at: 200 },
      { op: 'end', call: 0, state: 'completed', oneStatement: true }, { op: 'end', call: 1, state: 'busy', oneStatement: false },
      { op: 'file', call: 0, kind: 'C', outcome: 'atendida' }, { op: 'move', who: 2, place: 4, centre: 0 },
      { op: 'insert', who: 2, line: 0, at: 300 }, { op: 'end', call: 2, state: 'canceled', oneStatement: false }]);
    const before = await snapshot('report_call_days', 'report_call_days_recomputed');
    expect(before.kept.length).toBeGreaterThan(0);
    await pool.query('select report_rebuild()');
    const after = await snapshot('report_call_days', 'report_call_days_recomputed');
    expect(after.kept).toEqual(before.kept);
  });

  it('a bulk loader can defer the triggers and rebuild once', async () => {
    await pool.query('truncate call_events, call_attempts, report_call_days, report_answer_days, report_call_deltas cascade');
    await apply([{ op: 'insert', who: 0, line: 0, at: 10 }, { op: 'end', call: 0, state: 'completed', oneStatement: false }]);
    expect((await snapshot('report_call_days', 'report_call_days_recomputed')).kept).toHaveLength(6); // one cell per level
    const c = await pool.connect();
    try {
      await c.query('begin');
      await c.query(`set local atenpro.reports_deferred = 'on'`);
      await c.query(`update call_attempts set outcome = 'busy'`);
      await c.query('commit');
    } finally {
      c.release();
    }
    const stale = await snapshot('report_call_days', 'report_call_days_recomputed');
    expect(stale.kept).not.toEqual(stale.fresh);
    await pool.query('select report_rebuild()');
    const rebuilt = await snapshot('report_call_days', 'report_call_days_recomputed');
    expect(rebuilt.kept).toEqual(rebuilt.fresh);
  });

  it('migration 005 on a database already in service places and counts the calls it finds', async () => {
    const old = await emptyDatabase();
    try {
      const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../store/migrations');
      const run = async (file: string) => old.pool.query(await readFile(path.join(dir, file), 'utf8'));
      for (const file of ['001_case_store.sql', '002_domain_events.sql', '003_dialer.sql', '004_agenda_items_lookups.sql']) await run(file);
      const c = await centre(old.pool, '38', 'Arona', 'Ayuntamiento de Arona');
      const u = await usuaria(old.pool, { province: '38', municipality: 'Arona', centreId: c, altaOn: '2026-01-01' });
      // 23:30 in the Canaries on 15 January, written and ended before the migration
      await old.pool.query(`insert into call_attempts (direction, line, kind, provider, provider_call_id, usuaria_id, started_at, answered_at,
        ended_at, outcome) values ('inbound', 'general', 'A', 'sip', 'x1', $1, '2026-01-15T23:30:00Z', '2026-01-15T23:30:12Z',
        '2026-01-15T23:35:00Z', 'completed')`, [u.usuariaId]);
      await run('005_reports.sql');
      const { rows } = await old.pool.query(`select geo_level, province_code, day, calls, o_completada from report_call_days order by geo_level`);
      expect(rows.map((r) => [r.geo_level, r.province_code, r.day, r.calls, r.o_completada])).toEqual([
        [0, '', '2026-01-15', 1, 1], [1, '38', '2026-01-15', 1, 1], [2, '38', '2026-01-15', 1, 1], [3, '38', '2026-01-01', 1, 1]]);
      // and a filing after the migration moves it like any other
      await old.pool.query(`update call_attempts set disposition = '{"outcome":"atendida"}'`);
      await old.pool.query('select report_fold()');
      const after = await old.pool.query(`select sum(o_atendida)::int as n, sum(o_completada)::int as c from report_call_days`);
      expect(after.rows[0]).toEqual({ n: 4, c: 0 });
    } finally {
      await old.drop();
    }
  });

  it('migration 012 on a database in service adds the month rows by municipality and for the whole service, and the census years, equal to a recomputation', async () => {
    const old = await emptyDatabase();
    try {
      const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../store/migrations');
      const files = (await readdir(dir)).filter((f) => /^\d{3}_/.test(f)).sort();
      const run = async (file: string) => old.pool.query(await readFile(path.join(dir, file), 'utf8'));
      for (const file of files.filter((f) => f < '012')) await run(file);
      const c = await centre(old.pool, '28', 'Getafe', 'Ayuntamiento de Getafe');
      const a = await usuaria(old.pool, { province: '28', municipality: 'Getafe', centreId: c, altaOn: '2024-05-10' });
      await usuaria(old.pool, { province: '28', municipality: 'Getafe', centreId: c, altaOn: '2025-02-01', baja: { on: '2026-01-20', cause: 'voluntaria' } });
      const insert = (id: string, at: string, outcome: string) => old.pool.query(`insert into call_attempts (direction, line, kind, provider,
        provider_call_id, usuaria_id, started_at, answered_at, ended_at, outcome) values ('inbound', 'general', 'A', 'sip', $1, $2, $3,
        $3::timestamptz + interval '9 seconds', $3::timestamptz + interval '2 minutes', $4)`, [id, a.usuariaId, at, outcome]);
      await insert('f1', '2026-01-05T10:00:00Z', 'completed');
      await insert('f2', '2026-01-28T10:00:00Z', 'completed');
      await old.pool.query('select report_fold()');
      await insert('p1', '2026-02-03T10:00:00Z', 'completed'); // still pending when 012 runs: reaches levels 4 and 5 with the next fold
      await run(files.find((f) => f.startsWith('012'))!);
      const month = await old.pool.query(`select geo_level, province_code, day, municipality, calls, answered from report_call_days
        where geo_level in (4, 5) order by geo_level, day`);
      expect(month.rows.map((r) => [r.geo_level, r.province_code, r.day, r.municipality, r.calls, r.answered]))
        .toEqual([[4, '28', '2026-01-01', 'Getafe', 2, 2], [5, '', '2026-01-01', '', 2, 2]]);
      const hist = await old.pool.query(`select offered, ans_hist[9] as nine from report_answer_days where geo_level in (4, 5)`);
      expect(hist.rows).toEqual([{ offered: 2, nine: 2 }, { offered: 2, nine: 2 }]);
      await old.pool.query('select report_fold()');
      for (const [table, fresh] of [['report_call_days', 'report_call_days_recomputed'], ['report_answer_days', 'report_answer_days_recomputed'],
        ['report_occasion_days', 'report_occasion_days_recomputed'], ['report_census_days', 'report_census_recomputed']]) {
        const diff = await old.pool.query(`select (select count(*) from (select * from ${table} except all select * from ${fresh}()) d)::int
          + (select count(*) from (select * from ${fresh}() except all select * from ${table}) d)::int as n`);
        expect(diff.rows[0].n, table).toBe(0);
      }
      const years = await old.pool.query(`select day, cause, n from report_census_days where geo_level = 7 order by day, cause`);
      expect(years.rows.map((r) => [r.day, r.cause, r.n])).toEqual([['2024-01-01', '', 1], ['2025-01-01', '', 1], ['2026-01-01', 'voluntaria', 1]]);
    } finally {
      await old.drop();
    }
  });

  it("a call's transaction only appends deltas: no rollup row is written, none waits on another call or on a fold", async () => {
    await pool.query('truncate call_events, call_attempts, report_call_days, report_answer_days, report_call_deltas cascade');
    const repo = callsRepo(pool);
    const started = new Date(Date.UTC(2026, 2, 10, 10));
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) {
      await repo.insert({ id, direction: 'inbound', line: 'emergency', kind: 'C', provider: 'sip', providerCallId: `p-${id}`, caller: null,
        usuariaId: people[0]!.id, terminalId: null, startedAt: started });
    }
    // the first call ended and folded: the cell "whole service, that day" exists and is the one the others add to
    await repo.applyEvent(ids[0]!, { seq: 1, status: 'completed', at: new Date(started.getTime() + 60_000), final: true, answered: false });
    await reportsRepo(pool).fold();
    const a = await pool.connect();
    const b = await pool.connect();
    const folder = await pool.connect();
    try {
      await a.query('begin');
      await callsRepo(a).applyEvent(ids[1]!, { seq: 1, status: 'in_progress', at: new Date(started.getTime() + 4000), final: false, answered: true });
      await callsRepo(a).applyEvent(ids[1]!, { seq: 2, status: 'completed', at: new Date(started.getTime() + 90_000), final: true, answered: false });
      await callsRepo(a).setDisposition(ids[1]!, 'C', { outcome: 'atendida' });
      // the rows this transaction wrote (inserted, or updated: a new row version) in every table of the statistics
      const { rows: written } = await a.query<{ t: string; n: number }>(`select t, n from (
          select 'days' as t, count(*)::int as n from report_call_days where xmin = pg_current_xact_id()::xid
          union all select 'answers', count(*)::int from report_answer_days where xmin = pg_current_xact_id()::xid
          union all select 'deltas', count(*)::int from report_call_deltas where xmin = pg_current_xact_id()::xid) x order by t`);
      // answered, ended, filed: the end counts it, the filing takes that back and counts it again
      expect(written).toEqual([{ t: 'answers', n: 0 }, { t: 'days', n: 0 }, { t: 'deltas', n: 3 }]);
      // a fold holds the rollups' rows it updates until it commits: another call ending meanwhile does not wait for it
      await folder.query('begin');
      await folder.query(`insert into call_attempts (direction, line, kind, provider, provider_call_id, usuaria_id, started_at, ended_at, outcome)
        values ('inbound', 'emergency', 'C', 'sip', $1, $2, $3, $3, 'completed')`, [`f-${randomUUID()}`, people[0]!.id, started]);
      await folder.query('commit');
      await folder.query('begin');
      expect((await folder.query<{ n: number }>('select report_fold() as n')).rows[0]!.n).toBe(1);
      // with call a still open and the fold not committed, call b ends in the same cells; waiting on a lock would fail it
      await b.query('begin');
      await b.query(`set local lock_timeout = '2s'`);
      await callsRepo(b).applyEvent(ids[2]!, { seq: 1, status: 'completed', at: new Date(started.getTime() + 30_000), final: true, answered: false });
      await b.query('commit');
      // a second fold meanwhile steps aside at once
      expect(await reportsRepo(pool).fold()).toBe(-1);
      await folder.query('commit');
      await a.query('commit');
    } finally {
      for (const c of [a, b, folder]) { await c.query('rollback').catch(() => undefined); c.release(); }
    }
    expect(await reportsRepo(pool).pending()).toBeGreaterThan(0);
    const reads = await readsBeforeFolding();
    expect(reads.read).toEqual(reads.fresh);
    expect(await reportsRepo(pool).fold()).toBeGreaterThan(0);
    expect(await reportsRepo(pool).pending()).toBe(0);
    const { rows } = await pool.query(`select calls, answered, o_atendida, o_completada from report_call_days
      where geo_level = 0 and day = '2026-03-10' and kind = 'C'`);
    expect(rows).toEqual([{ calls: 4, answered: 1, o_atendida: 1, o_completada: 3 }]);
  });
});
