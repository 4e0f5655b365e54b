import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../store/db.ts';
import { reportsDirectRepo } from '../../store/reports-direct.repo.ts';
import type { ReportFilter } from '../../store/reports.repo.ts';
import { truncate } from '../../reports/filters.ts';
import { BAJA_CAUSES } from '../../reports/census.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { centre, expediente, terminal, usuaria } from './reports-fixture.ts';

/**
 * The census counters and the mirror of counted terminals (migration 010) are kept by triggers as
 * expedientes, usuarias and terminals are written. Whatever the order of altas, bajas (also one
 * dated before its alta), re-altas, moves, centre changes and terminal changes, they must equal a
 * recomputation from the raw tables, and the figures read from them must equal the direct reads
 * they replaced.
 */
let db: TestDatabase;
let pool: Pool;
let centres: string[] = [];
const places = [['28', 'Madrid'], ['28', 'Getafe'], ['35', 'Telde'], ['45', 'Toledo']] as const;
const DAYS = ['2025-12-30', '2026-01-01', '2026-01-31', '2026-02-01', '2026-02-15', '2026-03-01', '2026-03-31'];

beforeAll(async () => {
  db = await freshDatabase();
  pool = db.pool;
  centres = [await centre(pool, '28', 'Madrid', 'Ayuntamiento de Madrid'), await centre(pool, '35', 'Telde', 'Ayuntamiento de Telde')];
});
afterAll(async () => { await db?.drop(); });

type Op =
  | { op: 'alta'; place: number; centre: number; day: number }
  | { op: 'baja'; who: number; day: number; cause: 'voluntaria' | 'fallecida' }
  | { op: 'realta'; who: number; day: number; centre: number }
  | { op: 'move'; who: number; place: number }
  | { op: 'recentre'; who: number; centre: number }
  | { op: 'terminal'; who: number; tested: boolean }
  | { op: 'terminalState'; who: number; what: 'lost' | 'active' | 'tested' | 'retested' | 'model' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('alta' as const), place: fc.nat({ max: 3 }), centre: fc.nat({ max: 1 }), day: fc.nat({ max: 6 }) }),
  fc.record({ op: fc.constant('baja' as const), who: fc.nat(), day: fc.nat({ max: 6 }), cause: fc.constantFrom('voluntaria' as const, 'fallecida' as const) }),
  fc.record({ op: fc.constant('realta' as const), who: fc.nat(), day: fc.nat({ max: 6 }), centre: fc.nat({ max: 1 }) }),
  fc.record({ op: fc.constant('move' as const), who: fc.nat(), place: fc.nat({ max: 3 }) }),
  fc.record({ op: fc.constant('recentre' as const), who: fc.nat(), centre: fc.nat({ max: 1 }) }),
  fc.record({ op: fc.constant('terminal' as const), who: fc.nat(), tested: fc.boolean() }),
  fc.record({ op: fc.constant('terminalState' as const), who: fc.nat(), what: fc.constantFrom('lost' as const, 'active' as const, 'tested' as const, 'retested' as const, 'model' as const) }),
);

async function apply(ops: Op[]): Promise<void> {
  const people: { id: string; province: string }[] = [];
  for (const o of ops) {
    const who = 'who' in o && people.length ? people[o.who % people.length]! : null;
    if (o.op === 'alta') {
      const [province, municipality] = places[o.place]!;
      people.push({ id: (await usuaria(pool, { province, municipality, centreId: centres[o.centre]!, altaOn: DAYS[o.day]! })).usuariaId, province });
    } else if (!who) {
      continue;
    } else if (o.op === 'baja') {
      // the case store lets a baja precede the alta as long as it follows the request: both kinds happen
      await pool.query(`update expedientes set status = 'baja', baja_on = $2, baja_cause = $3 where usuaria_id = $1 and status <> 'baja'`,
        [who.id, DAYS[o.day], o.cause]);
    } else if (o.op === 'realta') {
      const open = await pool.query(`select 1 from expedientes where usuaria_id = $1 and status <> 'baja'`, [who.id]);
      if (!open.rowCount) await expediente(pool, who.id, who.province, centres[o.centre]!, DAYS[o.day]!);
    } else if (o.op === 'move') {
      const [province, municipality] = places[o.place]!;
      await pool.query('update usuarias set province_code = $2, municipality = $3 where id = $1', [who.id, province, municipality]);
    } else if (o.op === 'recentre') {
      await pool.query('update expedientes set centre_id = $2 where usuaria_id = $1', [who.id, centres[o.centre]]);
    } else if (o.op === 'terminal') {
      await pool.query(`update terminals set status = 'returned' where usuaria_id = $1 and status = 'active'`, [who.id]);
      await terminal(pool, who.id, o.tested ? '2026-03-30T08:00:00Z' : null, '2026-03-01T08:00:00Z');
    } else {
      // retested: a later self-test, not her first (only the self-test clock moves)
      const set = { lost: `status = 'lost'`, active: `status = 'active'`, tested: `last_selftest_at = '2026-03-31T07:00:00Z'`,
        retested: `last_selftest_at = coalesce(last_selftest_at, '2026-03-29T00:00:00Z') + interval '13 hours'`, model: `model = 'twig-one'` }[o.what];
      // one active terminal per number: only her latest comes back
      await pool.query(`update terminals set ${set} where id = (select id from terminals where usuaria_id = $1 order by created_at desc limit 1)`,
        [who.id]);
    }
  }
}

const sorted = async (sql: string) => (await pool.query(sql)).rows.map((r) => JSON.stringify(r)).sort();

/** The direct reads the counters replaced (before migration 010), as they were written then. */
const OLD_SELFTEST = `select u.province_code, count(*)::int as active, count(*) filter (where t.last_selftest_at is null)::int as never,
    count(*) filter (where coalesce(t.last_selftest_at, t.status_changed_at) < $1::timestamptz - make_interval(hours => coalesce(m.selftest_period_hours, 24)))::int as overdue
  from terminals t join usuarias u on u.id = t.usuaria_id join expedientes e on e.usuaria_id = u.id and e.status = 'activa'
    left join terminal_models m on m.model = t.model
  where t.status = 'active' and (m.model is null or m.selftest_period_hours is not null)
  group by u.province_code, e.centre_id order by u.province_code, e.centre_id`;
const OLD_ACTIVE = `select u.province_code, e.centre_id, count(*)::int as n from expedientes e join usuarias u on u.id = e.usuaria_id
  where e.alta_on is not null and e.alta_on < $1::date and (e.baja_on is null or e.baja_on >= $1::date)
  group by 1, 2 order by 1, 2`;

describe('census and terminal counters', () => {
  it('equal a recomputation from the raw tables, and the figures equal the direct reads, after any sequence of writes', async () => {
    await pool.query(`insert into terminal_models (model, selftest_period_hours, control_period_months) values ('twig-one', 48, 6)
      on conflict do nothing`);
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
      await pool.query('truncate terminals, expedientes, agenda_policies, usuarias, report_census_days, report_terminals, report_terminal_cells cascade');
      await apply(ops);
      const nonZero = (t: string, n: string) => `select * from ${t} where ${n}`;
      expect(await sorted(nonZero('report_census_days', 'n <> 0'))).toEqual(await sorted('select * from report_census_recomputed()'));
      expect(await sorted('select * from report_terminals')).toEqual(await sorted('select * from report_terminals_counted(null)'));
      expect(await sorted(nonZero('report_terminal_cells', 'active <> 0 or never <> 0')))
        .toEqual(await sorted('select * from report_terminal_cells_recomputed()'));

      const now = new Date('2026-03-31T10:00:00Z');
      const f: ReportFilter = { from: '2026-01-15', to: '2026-03-31', grain: 'month', by: 'centre', province: '28' };
      const read = await reportsDirectRepo(pool).selftest({ ...f, province: undefined, by: 'province' }, now, 24);
      const old = (await pool.query(OLD_SELFTEST, [now])).rows;
      const byProvince = new Map<string, { active: number; never: number; overdue: number }>();
      for (const r of old) {
        const p = byProvince.get(r.province_code) ?? { active: 0, never: 0, overdue: 0 };
        byProvince.set(r.province_code, { active: p.active + r.active, never: p.never + r.never, overdue: p.overdue + r.overdue });
      }
      expect(read.map((r) => [r.province, r.active, r.never, r.overdue]))
        .toEqual([...byProvince.entries()].map(([p, v]) => [p, v.active, v.never, v.overdue]));

      // the opening: the years before its own, the months of its year, the days of its month
      for (const [by, from] of [['none', f.from], ['centre', f.from], ['none', '2026-03-10'], ['centre', '2025-12-31']] as const) {
        const cells = await reportsDirectRepo(pool).censusCells({ ...f, from, by }, BAJA_CAUSES);
        const opening = (await pool.query(OLD_ACTIVE, [from])).rows.filter((r) => r.province_code === '28');
        const got = cells.filter((r) => r.period === null);
        if (by === 'centre') expect(got.map((r) => [r.centre_id, r.opening]).sort()).toEqual(opening.map((r) => [r.centre_id, r.n]).sort());
        else expect(got.map((r) => r.opening)).toEqual(opening.length ? [opening.reduce((a, r) => a + r.n, 0)] : []);
      }
      // altas and bajas by month over ranges that stop inside a month (its monthly row when nothing in it is dated later, else its days)
      for (const range of [{ from: '2026-01-01', to: '2026-03-30' }, { from: '2025-12-30', to: '2026-02-20' }, { from: '2026-03-01', to: '2026-03-15' }]) {
        const flows = new Map<string, number>();
        const add = (k: string, n: number) => flows.set(k, (flows.get(k) ?? 0) + n);
        for (const r of await reportsDirectRepo(pool).censusCells({ ...range, grain: 'month', by: 'none' }, BAJA_CAUSES)) {
          if (r.period === null) continue;
          add(`alta ${r.period} `, r.altas);
          r.bajas.forEach((n, c) => add(`baja ${r.period} ${BAJA_CAUSES[c] ?? ''}`, n));
        }
        const direct = (await pool.query<{ k: string; n: number }>(`select concat_ws(' ', what, period, cause) as k, count(*)::int as n from (
            select 'alta' as what, to_char(alta_on, 'YYYY-MM-01') as period, '' as cause from expedientes where alta_on between $1 and $2
            union all select 'baja', to_char(baja_on, 'YYYY-MM-01'), coalesce(baja_cause, '') from expedientes where baja_on between $1 and $2) x
          group by 1`, [range.from, range.to])).rows;
        expect([...flows.entries()].filter(([, n]) => n !== 0).sort(), JSON.stringify(range)).toEqual(direct.map((r) => [r.k, r.n]).sort());
      }
    }), { numRuns: 30 });
  });

  it('each self-test moves the terminal out of the overdue ones, its first and every later one', async () => {
    await pool.query('truncate terminals, expedientes, agenda_policies, usuarias, report_census_days, report_terminals, report_terminal_cells cascade');
    const u = await usuaria(pool, { province: '45', municipality: 'Toledo', centreId: centres[0]!, altaOn: '2026-02-01' });
    await terminal(pool, u.usuariaId, null, '2026-03-01T08:00:00Z');
    const overdue = async (now: string) => (await reportsDirectRepo(pool).selftest({ from: '2026-03-01', to: '2026-03-31', grain: 'month',
      by: 'none' }, new Date(now), 24)).map((r) => [r.active, r.never, r.overdue]);
    expect(await overdue('2026-03-02T09:00:00Z')).toEqual([[1, 1, 1]]); // in service for 25 hours, never tested
    const selftest = (at: string) => pool.query('update terminals set last_selftest_at = $2 where usuaria_id = $1', [u.usuariaId, at]);
    await selftest('2026-03-02T08:30:00Z');
    expect(await overdue('2026-03-02T09:00:00Z')).toEqual([[1, 0, 0]]);
    expect(await overdue('2026-03-03T09:00:00Z')).toEqual([[1, 0, 1]]);
    await selftest('2026-03-03T08:45:00Z'); // not her first: only the clock moves
    expect(await overdue('2026-03-03T09:00:00Z')).toEqual([[1, 0, 0]]);
    expect(await sorted('select * from report_terminals')).toEqual(await sorted('select * from report_terminals_counted(null)'));
  });

  it('a bulk load with the triggers deferred is made whole by report_rebuild_stocks', async () => {
    await pool.query('truncate terminals, expedientes, agenda_policies, usuarias, report_census_days, report_terminals, report_terminal_cells cascade');
    const c = await pool.connect();
    try {
      await c.query('begin');
      await c.query(`set local atenpro.reports_deferred = 'on'`);
      const u = await usuaria(c, { province: '45', municipality: 'Toledo', centreId: centres[0]!, altaOn: '2026-02-01' });
      await terminal(c, u.usuariaId, null, '2026-02-01T08:00:00Z');
      await c.query('commit');
    } finally {
      c.release();
    }
    expect((await pool.query('select count(*)::int as n from report_terminals')).rows[0].n).toBe(0);
    await pool.query('select report_rebuild_stocks()');
    expect(await sorted('select * from report_terminals')).toEqual(await sorted('select * from report_terminals_counted(null)'));
    expect(await sorted('select * from report_census_days where n <> 0')).toEqual(await sorted('select * from report_census_recomputed()'));
    expect((await pool.query(`select sum(n)::int as n from report_census_days where geo_level = 0`)).rows[0].n).toBe(1);
  });
});

type IncidentOp =
  | { op: 'open'; kind: number; level: number; place: number; centre: number; day: number }
  | { op: 'change'; which: number; kind: number; level: number }
  | { op: 'drop'; which: number };

const KINDS = ['psicosocial', 'prealarma', 'alarma_agresion', 'otra', 'tecnica'] as const;
const incidentArb: fc.Arbitrary<IncidentOp> = fc.oneof(
  fc.record({ op: fc.constant('open' as const), kind: fc.nat({ max: 4 }), level: fc.nat({ max: 3 }), place: fc.nat({ max: 4 }),
    centre: fc.nat({ max: 2 }), day: fc.nat({ max: 6 }) }),
  fc.record({ op: fc.constant('change' as const), which: fc.nat(), kind: fc.nat({ max: 4 }), level: fc.nat({ max: 3 }) }),
  fc.record({ op: fc.constant('drop' as const), which: fc.nat() }),
);

interface RawIncident { kind: string; level: number | null; rep_province: string | null; rep_municipality: string | null;
  rep_centre_id: string | null; rep_day: string }

/** The figure's cells computed from the incidents themselves, as the direct read did before migration 011. */
function directCells(raw: RawIncident[], f: ReportFilter) {
  const cells = new Map<string, { period: string; province: string; municipality: string; centre_id: string | null; kind: string;
    level: number | null; n: number }>();
  for (const i of raw) {
    const [province, municipality] = [i.rep_province ?? '', i.rep_municipality ?? ''];
    if (i.kind === 'tecnica' || i.rep_day < f.from || i.rep_day > f.to) continue;
    if ((f.province !== undefined && province !== f.province) || (f.municipality !== undefined && municipality !== f.municipality)
      || (f.centreId !== undefined && i.rep_centre_id !== f.centreId)) continue;
    const cell = { period: truncate(i.rep_day, f.grain), province: f.by === 'none' ? '' : province,
      municipality: f.by === 'municipality' ? municipality : '', centre_id: f.by === 'centre' ? i.rep_centre_id : null, kind: i.kind, level: i.level };
    const key = JSON.stringify(cell);
    cells.set(key, { ...cell, n: (cells.get(key)?.n ?? 0) + 1 });
  }
  return [...cells.values()].map((c) => JSON.stringify(c)).sort();
}

describe('incident counters', () => {
  it('equal a recomputation after incidents are opened, changed and removed, and give the figure the incidents give', async () => {
    const placesOf = [...places.map(([p, m]) => [p, m] as [string | null, string | null]), [null, null] as [null, null]];
    await fc.assert(fc.asyncProperty(fc.array(incidentArb, { minLength: 1, maxLength: 25 }), async (ops) => {
      await pool.query('truncate incidents, report_incident_days cascade');
      const ids: string[] = [];
      for (const o of ops) {
        if (o.op === 'open') {
          const [province, municipality] = placesOf[o.place]!;
          const { rows } = await pool.query(`insert into incidents (kind, level, rep_province, rep_municipality, rep_centre_id, rep_day)
            values ($1, $2, $3, $4, $5, $6) returning id`, [KINDS[o.kind], o.level || null, province, municipality,
            o.centre < 2 ? centres[o.centre] : null, DAYS[o.day]]);
          ids.push(rows[0].id);
        } else if (ids.length) {
          const id = ids[o.which % ids.length]!;
          if (o.op === 'change') await pool.query('update incidents set kind = $2, level = $3 where id = $1', [id, KINDS[o.kind], o.level || null]);
          else await pool.query('delete from incidents where id = $1', [id]);
        }
      }
      expect(await sorted('select * from report_incident_days where n <> 0')).toEqual(await sorted('select * from report_incident_days_recomputed()'));
      const raw = (await pool.query<RawIncident>(`select kind, level, rep_province::text, rep_municipality, rep_centre_id,
        to_char(rep_day, 'YYYY-MM-DD') as rep_day from incidents`)).rows;
      const filters: ReportFilter[] = [
        { from: '2025-12-01', to: '2026-03-31', grain: 'month', by: 'none' },
        { from: '2026-01-01', to: '2026-02-28', grain: 'month', by: 'province' },
        { from: '2025-12-30', to: '2026-03-30', grain: 'month', by: 'province' },
        { from: '2026-01-01', to: '2026-03-31', grain: 'week', by: 'municipality', province: '28' },
        { from: '2026-01-31', to: '2026-03-01', grain: 'day', by: 'centre', province: '28' },
        { from: '2026-01-01', to: '2026-03-31', grain: 'month', by: 'none', centreId: centres[0] },
        // stopping inside a month: its monthly row when nothing in it is dated later, else its days
        { from: '2026-03-01', to: '2026-03-15', grain: 'month', by: 'none' },
        { from: '2026-01-01', to: '2026-01-20', grain: 'month', by: 'province' },
        { from: '2025-12-15', to: '2026-02-20', grain: 'month', by: 'municipality', province: '28' },
      ];
      for (const f of filters) {
        // each row's levels as cells of their own: the incidents without a level are the rest of its total
        const got = (await reportsDirectRepo(pool).incidents(f)).flatMap((r) => ([[null, r.total - r.level1 - r.level2 - r.level3],
          [1, r.level1], [2, r.level2], [3, r.level3]] as const).filter(([, n]) => n !== 0).map(([level, n]) => JSON.stringify({
          period: r.period, province: r.province, municipality: r.municipality, centre_id: r.centre_id, kind: r.kind, level, n }))).sort();
        expect(got, JSON.stringify(f)).toEqual(directCells(raw, f));
      }
    }), { numRuns: 25 });
  });
});
