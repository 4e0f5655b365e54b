import type { Queryable } from './db.ts';
import { atLevel, named, placeLevel, rangeRead, settledAfterTo, type GeoBy, type GeoRow, type ReportFilter } from './reports.repo.ts';

/**
 * Figures read from their own counters (census, self-tests: migration 010; incidents: 011) or from
 * tables that stay small (contact-loss cases, centres): none of them touches call_attempts. Stocks
 * (who is active, open cases, terminals) are placed where she lives and the centre that follows her
 * now; incidents where and when their call happened (migration 005).
 */
interface Columns { province: string; municipality: string; centre: string }

function geo(by: GeoBy, c: Columns): { select: string; group: string } {
  const parts: Record<GeoBy, [string, string]> = {
    none: [`'' as province, '' as municipality, null::uuid as centre_id`, ''],
    province: [`${c.province} as province, '' as municipality, null::uuid as centre_id`, `, ${c.province}`],
    municipality: [`${c.province} as province, ${c.municipality} as municipality, null::uuid as centre_id`, `, ${c.province}, ${c.municipality}`],
    centre: [`${c.province} as province, '' as municipality, ${c.centre} as centre_id`, `, ${c.province}, ${c.centre}`],
  };
  return { select: parts[by][0], group: parts[by][1] };
}

/** The place filters present, as SQL over `c`'s columns, numbered after `values`. */
function placeWhere(f: Pick<ReportFilter, 'province' | 'municipality' | 'centreId'>, c: Columns, values: unknown[]): string {
  const where: string[] = [];
  if (f.province !== undefined) { values.push(f.province); where.push(`${c.province} = $${values.length}`); }
  if (f.municipality !== undefined) { values.push(f.municipality); where.push(`${c.municipality} = $${values.length}`); }
  if (f.centreId !== undefined) { values.push(f.centreId); where.push(`${c.centre} = $${values.length}::uuid`); }
  return where.map((w) => ` and ${w}`).join('');
}

const PLAIN: Columns = { province: 'province_code', municipality: 'municipality', centre: 'centre_id' };
const MIRROR: Columns = { province: 'r.province_code', municipality: 'r.municipality', centre: 'r.centre_id' };
const HER: Columns = { province: 'u.province_code', municipality: 'u.municipality', centre: 'e.centre_id' };
// the incident counters (migration 011): a place without a centre is kept under report_no_centre()
const COUNTED: Columns = { province: 'province_code', municipality: 'municipality', centre: 'nullif(centre_id, report_no_centre())' };
// her current centre: the open expediente's, else the latest one's
const CURRENT_CENTRE = `left join lateral (select x.centre_id from expedientes x where x.usuaria_id = u.id
  order by (x.status <> 'baja') desc, x.created_at desc limit 1) e on true`;

/**
 * The counter levels (migrations 010, 011, 012) a filter reads: whole service (0), province (1), or
 * municipality and centre (2) by day, the same by month (4, 3, 5) and, for the census, by year (6, 7, 8).
 */
function counterLevels(f: ReportFilter): { daily: 0 | 1 | 2; monthly: 3 | 4 | 5; yearly: 6 | 7 | 8 } {
  const daily = placeLevel(f);
  return { daily, monthly: ({ 0: 4, 1: 3, 2: 5 } as const)[daily], yearly: ({ 0: 6, 1: 7, 2: 8 } as const)[daily] };
}

/**
 * The counters' rows of the range [$2, $3] in `table`: its days, or, grouped by month, its month
 * parts (monthParts: monthly rows of whole months, daily rows of the edges; their bounds pushed on
 * `values`). `rows(level, cond)` selects one level's rows that meet `cond`.
 */
function countersInRange(f: ReportFilter, values: unknown[], table: string, rows: (level: number, cond: string) => string): string {
  const { daily, monthly } = counterLevels(f);
  if (f.grain !== 'month') return rows(daily, 'day between $2::date and $3::date');
  return rangeRead(f, values, (isMonthly, cond) => rows(isMonthly ? monthly : daily, cond), settledAfterTo(table));
}

/** A period's (null: before the range) altas and bajas per cause at one place; `opening`: altas minus bajas before the range. */
export interface CensusCellRow extends GeoRow { opening: number; altas: number; bajas: number[] }
export interface IncidentCellRow extends GeoRow { kind: string; total: number; level1: number; level2: number; level3: number }
export interface LossOpenRow extends GeoRow { stage: string; n: number; age_median: number; age_max: number;
  age_0_7: number; age_8_14: number; age_15_30: number; age_over_30: number }
export interface LossFlowRow extends GeoRow { what: 'opened' | 'closed_contact_recovered' | 'closed_baja'; n: number }
export interface SelftestRow extends GeoRow { active: number; never: number; overdue: number }
export interface CentreName { id: string; code: string; name: string; municipality: string; province_code: string; entidad_local: string }

export function reportsDirectRepo(db: Queryable) {
  return {
    /**
     * Altas and bajas (by cause) per period and place, and the active count the day before `from`,
     * from the census counters (migrations 010, 012): the opening is altas minus bajas before `from`
     * (the yearly rows of the years before its own, the monthly rows of its year, then the days of
     * its month), the flows are the range's rows (whole months from the monthly ones when grouped by
     * month). The few expedientes whose baja precedes their alta are not in the counters and are
     * read here as they are. One row per period and place (the opening: period null), the bajas
     * counted per cause of `causes` and, last, any other: a year by province is 700 rows, not the
     * 4,000 of one row per cause, which cost the driver more to read than PostgreSQL to count.
     */
    async censusCells(f: ReportFilter, causes: readonly string[]): Promise<CensusCellRow[]> {
      const { daily, monthly, yearly } = counterLevels(f);
      const values: unknown[] = [f.grain, f.from, f.to, `${f.from.slice(0, 8)}01`, `${f.from.slice(0, 5)}01-01`];
      const where = placeWhere(f, PLAIN, values);
      const g = geo(f.by, PLAIN);
      const counters = (lvl: number, cond: string) => `from report_census_days where ${atLevel(lvl, daily === 0)} and ${cond}${where}`;
      const flow = `select case when cause = '' then 'alta' else 'baja' end as what, day, cause, province_code, municipality, centre_id, n `;
      const inRange = countersInRange(f, values, 'report_census_days', (lvl, cond) => `${flow}${counters(lvl, cond)}`);
      const opening = `select 'opening' as what, null::date as day, '' as cause, province_code, municipality, centre_id,
          case when cause = '' then n else -n end as n`;
      const irregular = (what: string, day: string, cause: string, cond: string) =>
        `select '${what}', ${day}, ${cause}, province_code, municipality, centre_id, 1 from irregular where ${cond}`;
      const quoted = causes.map((c) => `'${c.replaceAll("'", "''")}'`);
      const byCause = quoted.map((c, i) => `sum(n) filter (where what = 'baja' and cause = ${c})::int as b${i}`);
      byCause.push(`sum(n) filter (where what = 'baja' and cause not in (${quoted.join(', ')}))::int as b${causes.length}`);
      const text = `with irregular as (select e.alta_on, e.baja_on, coalesce(e.baja_cause, '-') as baja_cause, u.province_code,
            u.municipality, e.centre_id
          from expedientes e join usuarias u on u.id = e.usuaria_id
          where e.baja_on < e.alta_on and e.baja_on <= $3::date${placeWhere(f, HER, values)}),
        c as (${opening} ${counters(yearly, 'day < $5::date')}
          union all ${opening} ${counters(monthly, 'day >= $5::date and day < $4::date')}
          union all ${opening} ${counters(daily, 'day >= $4::date and day < $2::date')}
          union all ${inRange}
          union all ${irregular('opening', 'null::date', "''", 'alta_on < $2::date and (baja_on is null or baja_on >= $2::date)')}
          union all ${irregular('alta', 'alta_on', "''", 'alta_on between $2::date and $3::date')}
          union all ${irregular('baja', 'baja_on', 'baja_cause', 'baja_on between $2::date and $3::date')})
        select date_trunc($1, day::timestamp)::date as period, ${g.select},
          sum(n) filter (where what = 'opening')::int as opening, sum(n) filter (where what = 'alta')::int as altas, ${byCause.join(', ')}
        from c group by 1${g.group}`;
      const { rows } = await db.query<GeoRow & Record<string, number | null>>(named('reports.census', text, values));
      const cells: CensusCellRow[] = [];
      for (const r of rows) {
        const bajas = causes.map((_, i) => r[`b${i}`] ?? 0);
        bajas.push(r[`b${causes.length}`] ?? 0);
        const cell = { period: r.period, province: r.province, municipality: r.municipality, centre_id: r.centre_id,
          opening: r.opening ?? 0, altas: r.altas ?? 0, bajas };
        // a place whose counts all cancel out is not one of the figure's
        if (cell.opening !== 0 || cell.altas !== 0 || bajas.some((n) => n !== 0)) cells.push(cell);
      }
      return cells;
    },
    /**
     * Incidents by kind per period and place (technical ones aside), in all and by level (1-3; the
     * rest have none), from their counters (migration 011): one row per kind, the levels as columns.
     */
    async incidents(f: ReportFilter): Promise<IncidentCellRow[]> {
      const values: unknown[] = [f.grain, f.from, f.to];
      const where = placeWhere(f, COUNTED, values);
      const source = countersInRange(f, values, 'report_incident_days', (lvl, cond) => `select day, province_code, municipality, centre_id, kind, level, n
        from report_incident_days where ${atLevel(lvl, placeLevel(f) === 0)} and kind <> 'tecnica' and ${cond}${where}`);
      const g = geo(f.by, COUNTED);
      const level = (l: number) => `coalesce(sum(c.n) filter (where c.level = ${l}), 0)::int as level${l}`;
      const text = `select date_trunc($1, c.day::timestamp)::date as period, ${g.select}, c.kind,
          sum(c.n)::int as total, ${level(1)}, ${level(2)}, ${level(3)}
        from (${source}) c
        group by 1${g.group}, c.kind having sum(c.n) <> 0 order by 1${g.group}, c.kind`;
      const { rows } = await db.query<IncidentCellRow>(named('reports.incidents', text, values));
      return rows;
    },
    /** Open Anexo IV cases at `now` by stage, with their ages in days. */
    async lossOpen(f: ReportFilter, now: Date): Promise<LossOpenRow[]> {
      const values: unknown[] = [now];
      const g = geo(f.by, HER);
      const text = `select '' as period, ${g.select}, c.stage, count(*)::int as n,
          (percentile_disc(0.5) within group (order by a.age))::int as age_median, max(a.age)::int as age_max,
          count(*) filter (where a.age <= 7)::int as age_0_7, count(*) filter (where a.age between 8 and 14)::int as age_8_14,
          count(*) filter (where a.age between 15 and 30)::int as age_15_30, count(*) filter (where a.age > 30)::int as age_over_30
        from contact_loss_cases c join usuarias u on u.id = c.usuaria_id ${CURRENT_CENTRE}
          cross join lateral (select floor(extract(epoch from ($1::timestamptz - c.opened_at)) / 86400)::int as age) a
        where c.closed_at is null${placeWhere(f, HER, values)}
        group by c.stage${g.group} order by c.stage${g.group}`;
      const { rows } = await db.query<LossOpenRow>(named('reports.loss_open', text, values));
      return rows;
    },
    /** Cases opened and closed per period (Madrid days: a case is the centre's, not a call of hers). */
    async lossFlows(f: ReportFilter): Promise<LossFlowRow[]> {
      const values: unknown[] = [f.grain, f.from, f.to];
      const g = geo(f.by, PLAIN);
      const day = (col: string) => `(${col} at time zone 'Europe/Madrid')::date`;
      const text = `with c as (select c.opened_at, c.closed_at, c.stage, u.province_code, u.municipality, e.centre_id
          from contact_loss_cases c join usuarias u on u.id = c.usuaria_id ${CURRENT_CENTRE} where true${placeWhere(f, HER, values)}),
        ev as (select 'opened' as what, ${day('opened_at')} as d, c.* from c
          union all select stage, ${day('closed_at')}, c.* from c where closed_at is not null)
        select what, to_char(date_trunc($1, d::timestamp), 'YYYY-MM-DD') as period,
          ${g.select}, count(*)::int as n
        from ev where d between $2::date and $3::date group by 1, 2${g.group}`;
      const { rows } = await db.query<LossFlowRow>(named('reports.loss_flows', text, values));
      return rows;
    },
    /**
     * Active terminals of usuarias in service that make self-tests (terminal_models: a model with a
     * null period makes none; a model without a row has `defaultHours`), and those whose last
     * self-test (or, never having made one, their coming into service) is older than their period.
     */
    async selftest(f: ReportFilter, now: Date, defaultHours: number): Promise<SelftestRow[]> {
      // the counters and the mirror of counted terminals (migrations 010, 012): active and never-tested
      // per place and model; the overdue ones, per model, a range of report_terminals_due (model, clock)
      // that carries their place
      const values: unknown[] = [now, defaultHours];
      const where = placeWhere(f, PLAIN, values);
      const g = geo(f.by, PLAIN);
      const r = geo(f.by, MIRROR);
      const order = { none: '', province: ', 2', municipality: ', 2, 3', centre: ', 2, 4' }[f.by];
      const text = `with m as (select c.model, coalesce(tm.selftest_period_hours, $2::int) as hours
          from (select distinct model from report_terminal_cells) c left join terminal_models tm on tm.model = c.model
          where tm.model is null or tm.selftest_period_hours is not null),
        cells as (select '' as period, ${g.select}, sum(active)::int as active, sum(never)::int as never
          from report_terminal_cells where model in (select model from m)${where} group by 1${g.group} having sum(active) > 0),
        late as (select '' as period, ${r.select}, count(*)::int as overdue
          from m cross join lateral (select x.province_code, x.municipality, x.centre_id from report_terminals x
            where x.model = m.model and x.last_at < $1::timestamptz - make_interval(hours => m.hours)) r
          where true${placeWhere(f, MIRROR, values)} group by 1${r.group})
        select c.period, c.province, c.municipality, c.centre_id, c.active, c.never, coalesce(l.overdue, 0)::int as overdue
        from cells c left join late l on l.province = c.province and l.municipality = c.municipality
          and l.centre_id is not distinct from c.centre_id
        order by 1${order}`;
      const { rows } = await db.query<SelftestRow>(named('reports.selftest', text, values));
      return rows;
    },
    /** Expedientes active on some day of [from, to] (alta on or before `to`, no baja before `from`). */
    async attended(f: Pick<ReportFilter, 'from' | 'to' | 'province' | 'municipality' | 'centreId'>): Promise<number> {
      const values: unknown[] = [f.from, f.to];
      const text = `select count(*)::int as n from expedientes e join usuarias u on u.id = e.usuaria_id
        where e.alta_on <= $2::date and (e.baja_on is null or e.baja_on > $1::date)${placeWhere(f, HER, values)}`;
      const { rows } = await db.query<{ n: number }>(named('reports.attended', text, values));
      return rows[0]!.n;
    },
    /** §7: the expedientes of a local entity active on some day of the month: code and alta date only. */
    async entityActive(entidadLocal: string, from: string, to: string): Promise<{ code: string; alta_on: string }[]> {
      const { rows } = await db.query<{ code: string; alta_on: string }>({ name: 'reports.entity_active',
        text: `select e.code, e.alta_on from expedientes e join social_services_centres c on c.id = e.centre_id
          where c.entidad_local = $1 and e.alta_on <= $3::date and (e.baja_on is null or e.baja_on > $2::date)
          order by e.alta_on, e.code`, values: [entidadLocal, from, to] });
      return rows;
    },
    async entities(): Promise<{ entidad_local: string; centres: number }[]> {
      const { rows } = await db.query<{ entidad_local: string; centres: number }>(
        'select entidad_local, count(*)::int as centres from social_services_centres group by 1 order by 1');
      return rows;
    },
    /** Names of these centres, or of every centre of a province. */
    async centres(q: { ids?: string[]; province?: string }): Promise<CentreName[]> {
      if (q.ids && q.ids.length === 0) return [];
      const { rows } = await db.query<CentreName>({ name: 'reports.centres', text: `select id, code, name, municipality, province_code,
        entidad_local from social_services_centres where ($1::uuid[] is null or id = any($1)) and ($2::text is null or province_code = $2)
        order by province_code, name`, values: [q.ids ?? null, q.province ?? null] });
      return rows;
    },
  };
}
