import { createHash } from 'node:crypto';
import type { Queryable } from './db.ts';

/**
 * Reads of the rollup tables (migration 005): calls and follow-up occasions per day and place.
 * A request reads one geographic level, the coarsest its filters allow, and never call_attempts.
 */
export type Grain = 'day' | 'week' | 'month';
/** The drill-down: province, then municipality, then social services centre. */
export type GeoBy = 'none' | 'province' | 'municipality' | 'centre';

export interface ReportFilter {
  /** First and last day (YYYY-MM-DD), both included, in each usuaria's own zone. */
  from: string; to: string;
  province?: string; municipality?: string; centreId?: string;
  grain: Grain; by: GeoBy;
}

/** The place a row is counted under; '' when the level does not split by it. */
export interface GeoKey { period: string; province: string; municipality: string; centreId: string | null }

export const HIST_BUCKETS = 85;

export type Level = 0 | 1 | 2 | 3 | 4 | 5;
/** The rollup level by month of each place level (migrations 005, 012). */
const MONTHLY = { 0: 5, 1: 3, 2: 4 } as const;

/** The place a filter reads: 0 the whole service, 1 per province, 2 per province, municipality and centre. */
export function placeLevel(f: Partial<ReportFilter>): 0 | 1 | 2 {
  if (f.by === 'municipality' || f.by === 'centre' || f.municipality || f.centreId) return 2;
  return f.by === 'province' || f.province ? 1 : 0;
}

/**
 * The rollup level a filter reads (migrations 005, 012): its place level, or, when whole months are
 * asked for by month, the same place by month (5 for 0, 3 for 1, 4 for 2).
 */
export function geoLevel(f: Partial<ReportFilter>): Level {
  const place = placeLevel(f);
  return f.grain === 'month' && wholeMonths(f.from, f.to) ? MONTHLY[place] : place;
}

/** From the 1st of a month to the last day of a month. */
function wholeMonths(from: string | undefined, to: string | undefined): boolean {
  if (!from || !to || !from.endsWith('-01')) return false;
  const next = new Date(`${to}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.getUTCDate() === 1;
}

/**
 * A level's rows: `geo_level = N`, and for a whole-service level its province too (always ''), so
 * that the (geo_level, province_code, day) key is read as a day range and planned as one.
 */
export function atLevel(level: number, wholeService: boolean): string {
  return `geo_level = ${level}${wholeService ? ` and province_code = ''` : ''}`;
}

/** The rollups' "no centre" (migration 005, report_no_centre()): every key column there is not null. */
export const NO_CENTRE = '00000000-0000-0000-0000-000000000000';

const GEO_SELECT: Record<GeoBy, string> = {
  none: `'' as province, '' as municipality, null::uuid as centre_id`,
  province: `province_code as province, '' as municipality, null::uuid as centre_id`,
  municipality: `province_code as province, municipality, null::uuid as centre_id`,
  centre: `province_code as province, '' as municipality, nullif(centre_id, '${NO_CENTRE}'::uuid) as centre_id`,
};
const GEO_GROUP: Record<GeoBy, string> = { none: '', province: ', province_code', municipality: ', province_code, municipality',
  centre: ', province_code, centre_id' };

export interface Built { name: string; text: string; values: unknown[] }

/** A named statement whose name follows its text: each shape of query is prepared once per connection. */
export function named(prefix: string, text: string, values: unknown[]): Built {
  return { name: `${prefix}.${createHash('sha1').update(text).digest('hex').slice(0, 12)}`, text, values };
}

type RollupTable = 'report_call_days' | 'report_answer_days' | 'report_occasion_days';

const CALL_MEASURES = ['calls', 'answered', 'outside_window', 'o_atendida', 'o_sin_voz', 'o_colgada', 'o_equivocada', 'o_prueba',
  'o_no_es_ella', 'o_contestador', 'o_completada', 'o_no_contesta', 'o_ocupado', 'o_fallida'];
/**
 * Each rollup's columns after its place and day, and the same from its pending deltas (migration
 * 005: sign -1/+1 per side), summed per cell so that many pending deltas make few rows.
 */
const ROLLUP: Record<RollupTable, { columns: string[]; pending: string[]; from: string; group: string; deltas: string }> = {
  report_call_days: {
    columns: ['direction', 'line', 'kind', ...CALL_MEASURES],
    pending: ['direction', 'line', 'kind', 'sum(sign)::int', 'sum(sign * (bucket is not null)::int)::int', 'sum(sign * outside::int)::int',
      ...CALL_MEASURES.slice(3).map((c) => `sum(sign * (outcome = '${c.slice(2)}')::int)::int`)],
    from: 'report_call_deltas',
    group: 'direction, line, kind',
    deltas: 'report_call_deltas',
  },
  report_answer_days: {
    columns: ['line', 'kind', 'offered', 'answered', 'ans_hist', 'ans_hist_text'],
    // per bucket too: one histogram built per bucket seen, not per delta; and its text (migration 013)
    pending: ['line', 'kind', 'sum(sign)::int', '(case when bucket is null then 0 else sum(sign) end)::int', 'report_hist_one(bucket, sum(sign)::int)',
      'report_hist_text(report_hist_one(bucket, sum(sign)::int))'],
    from: 'report_call_deltas where report_call_answerable(direction, line)',
    group: 'line, kind, bucket',
    deltas: 'report_call_deltas',
  },
  report_occasion_days: {
    columns: ['kind', 'planned', 'open', 'contact', 'failed', 'cancelled', 'on_time'],
    pending: ['kind', 'sum(sign)::int', ...['open', 'contact', 'failed', 'cancelled'].map((s) => `sum(sign * (status = '${s}')::int)::int`),
      'sum(sign * on_time::int)::int'],
    from: 'report_occasion_deltas',
    group: 'kind',
    deltas: 'report_occasion_deltas',
  },
};

/**
 * A rollup's rows at one level that meet `cond`, current to the last committed write: the folded
 * rows plus the deltas not folded yet, grouped to that level (migration 005). One statement, one
 * snapshot: a fold commits its delete and its upserts together, so each delta is counted exactly
 * once. The folded rows are a plain scan of the level's partition (the planner flattens it into
 * the query's append); only the few pending deltas are grouped in a subquery of their own.
 * `cond` names only key and dimension columns, which both sides share.
 */
export function rollupRead(table: RollupTable, level: Level, cond: string): string {
  const r = ROLLUP[table];
  const key = ['geo_level', 'province_code', 'day', 'municipality', 'centre_id'];
  const local = level === 2 || level === 4;
  const whole = level === 0 || level === 5;
  const pendingKey = [`${level}::smallint`, whole ? `''` : 'province_code',
    level >= 3 ? `date_trunc('month', day)::date` : 'day', local ? 'municipality' : `''`,
    local ? 'centre_id' : `'${NO_CENTRE}'::uuid`];
  const names = [...key, ...r.columns];
  const group = ` group by ${[...pendingKey.slice(1).map((_, i) => i + 2), r.group].join(', ')}`;
  return `select ${names.join(', ')} from ${table} where ${atLevel(level, whole)} and ${cond}
    union all select ${names.join(', ')} from (select ${[...pendingKey, ...r.pending].map((e, i) => `${e} as ${names[i]}`).join(', ')}
    from ${r.from}${group}) d where ${cond}`;
}

/** Every row of one level, folded and pending (the yardstick the property test reads). */
export function rollupSource(table: RollupTable, level: Level): string {
  return `(${rollupRead(table, level, 'true')}) r`;
}

/** Whole months inside [from, to]: the first's 1st and the last's last day; null when there is none. */
export function wholeMonthsWithin(from: string, to: string): { first: string; last: string } | null {
  const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
  const first = day(from);
  if (first.getUTCDate() !== 1) first.setUTCMonth(first.getUTCMonth() + 1, 1);
  const last = day(to);
  last.setUTCDate(last.getUTCDate() + 1);
  last.setUTCDate(1);
  last.setUTCDate(0); // `to` itself when it ends its month, else the last day of the month before
  if (first.getTime() > last.getTime()) return null;
  return { first: first.toISOString().slice(0, 10), last: last.toISOString().slice(0, 10) };
}

const addDays = (iso: string, n: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** A stretch of a range read from one grain of rows; `gate`: only when its last month is settled, or only when it is not. */
export interface RangePart { monthly: boolean; from: string; to: string; gate?: 'settled' | 'unsettled' }

/**
 * [from, to] by month, in parts: the monthly rows of its whole months, the daily rows of the partial
 * months at its edges. The month `to` falls in, when the range stops inside it, is read from its
 * monthly row when that month is settled, that is when nothing in it is dated after `to`: nothing
 * is dated after today, so a range that ends today (the dashboard's default: the last twelve months
 * to date) reads no daily row at its end. Otherwise its days are read. Which of the two is decided
 * by a condition the statement evaluates once (`settled`), in the same snapshot as the rows.
 */
export function monthParts(from: string, to: string): RangePart[] {
  const whole = wholeMonthsWithin(from, to);
  const month = `${to.slice(0, 8)}01`;
  const last = whole?.last === to ? null : month >= from ? month : null;
  const parts: RangePart[] = [];
  const headEnd = addDays(whole?.first ?? last ?? addDays(to, 1), -1);
  if (from <= headEnd) parts.push({ monthly: false, from, to: headEnd });
  if (whole) parts.push({ monthly: true, from: whole.first, to: whole.last });
  if (last) parts.push({ monthly: true, from: last, to: last, gate: 'settled' }, { monthly: false, from: last, to, gate: 'unsettled' });
  return parts;
}

/**
 * The month parts of [$2, $3] (`f.from`, `f.to`) as one union: `rows(monthly, cond)` reads one
 * grain's rows that meet `cond`; `settled` is true when nothing is dated after $3 in its month.
 * Bounds other than $2 and $3 are pushed on `values`.
 */
export function rangeRead(f: Pick<ReportFilter, 'from' | 'to'>, values: unknown[], rows: (monthly: boolean, cond: string) => string,
  settled: string): string {
  const bound = (day: string) => (day === f.from ? '$2::date' : day === f.to ? '$3::date' : `$${values.push(day)}::date`);
  return monthParts(f.from, f.to).map((p) => {
    const gate = p.gate === 'settled' ? ` and ${settled}` : p.gate === 'unsettled' ? ` and not ${settled}` : '';
    return rows(p.monthly, `day between ${bound(p.from)} and ${bound(p.to)}${gate}`);
  }).join('\n    union all ');
}

/** Nothing dated after $3 in its month in `table`'s whole-service daily rows (and in `deltas`, not folded yet). */
export function settledAfterTo(table: string, deltas?: string): string {
  const after = `day > $3::date and day < (date_trunc('month', $3::date) + interval '1 month')::date`;
  return `(not exists (select 1 from ${table} where ${atLevel(0, true)} and ${after})${deltas ? ` and not exists (select 1 from ${deltas} where ${after})` : ''})`;
}

/**
 * One grouped read of a rollup table. Only the filters present reach the SQL, so each shape gets
 * a plan that uses the (geo_level, province_code, day) key. By month, the range is read in its
 * month parts (monthParts): the whole months from the rollup by month (level 5 for the whole
 * service, 3 for provinces, 4 for municipalities and centres), the days at its edges from the daily
 * one (0, 1, 2): a year is 12 rows per cell, not 365. `opts.param` is one more value, referred to as `$param` in `opts.where`.
 * `opts.values`: the values of a statement this read goes into (they start with grain, from and
 * to, $1 to $3), so that two reads of one filter make one statement (`sideBySide`).
 * `opts.rows`: one row per rollup row, neither grouped nor ordered (`measures` are then plain
 * columns); the caller adds up the rows of a cell and orders the cells.
 */
export function rollupQuery(table: RollupTable, measures: string, f: ReportFilter,
  opts: { where?: string; group?: string[]; param?: unknown; rows?: boolean; values?: unknown[] } = {}): Built {
  const level = geoLevel(f);
  // the level is written into the text (it is one of six numbers, never the caller's): each shape
  // is planned for its own partition, also once the statement has a generic plan
  const values: unknown[] = opts.values ?? [f.grain, f.from, f.to];
  const where: string[] = [];
  if (f.province !== undefined) { values.push(f.province); where.push(`province_code = $${values.length}`); }
  if (f.municipality !== undefined) { values.push(f.municipality); where.push(`municipality = $${values.length}`); }
  if (f.centreId !== undefined) { values.push(f.centreId); where.push(`centre_id = $${values.length}::uuid`); }
  if (opts.param !== undefined) values.push(opts.param);
  if (opts.where) where.push(opts.where.replaceAll('$param', `$${values.length}`));
  const and = where.map((w) => ` and ${w}`).join('');
  const source = level <= 2 && f.grain === 'month'
    ? `(${rangeRead(f, values, (monthly, cond) => rollupRead(table, monthly ? MONTHLY[level as 0 | 1 | 2] : level, `${cond}${and}`),
      settledAfterTo(table, ROLLUP[table].deltas))}) r`
    : `(${rollupRead(table, level, `day between $2::date and $3::date${and}`)}) r`;
  const extra = opts.group?.length ? `, ${opts.group.join(', ')}` : '';
  // a period is its first day, a date (read as YYYY-MM-DD: store/db.ts), without formatting each row
  const period = 'date_trunc($1, day::timestamp)::date';
  const text = `select ${period} as period, ${GEO_SELECT[f.by]}${extra}, ${measures}
    from ${source}
    ${opts.rows ? '' : `group by 1${GEO_GROUP[f.by]}${extra} order by 1${GEO_GROUP[f.by]}${extra}`}`;
  return named(`reports.${table}`, text, values);
}

/**
 * Two grouped reads of one filter (the second built with the first's `values`) as one statement:
 * one row per period and place with both reads' measures, 0 where one of them has no row. One
 * round trip and one session instead of two, whose latencies a request would otherwise wait for
 * the slower of.
 */
function sideBySide(prefix: string, a: Built, aMeasures: string[], b: Built, bMeasures: string[]): Built {
  const key = (c: string) => `coalesce(a.${c}, b.${c}) as ${c}`;
  const zero = (side: string) => (c: string) => `coalesce(${side}.${c}, 0) as ${c}`;
  // centre_id is null off the centre grouping: compared through the rollups' "no centre", which
  // keeps the condition one a full join can hash
  const text = `select ${['period', 'province', 'municipality', 'centre_id'].map(key).join(', ')},
      ${[...aMeasures.map(zero('a')), ...bMeasures.map(zero('b'))].join(', ')}
    from (${a.text}) a full join (${b.text}) b on b.period = a.period and b.province = a.province and b.municipality = a.municipality
      and coalesce(b.centre_id, '${NO_CENTRE}'::uuid) = coalesce(a.centre_id, '${NO_CENTRE}'::uuid)`;
  return named(prefix, text, b.values);
}

export interface GeoRow { period: string; province: string; municipality: string; centre_id: string | null }

/** A row's period and place, as one string: the rows of one cell share it. */
export const placeKey = (r: GeoRow) => `${r.period ?? ''}|${r.province}|${r.municipality}|${r.centre_id ?? ''}`;

/** Orders rows by their place key as the dashboard lists them (one collator, not one per comparison). */
export const byKey = new Intl.Collator().compare;

/** The values of `[key, value]` entries (a Map's), ordered by their keys as byKey orders them. */
export function inKeyOrder<T>(entries: Iterable<readonly [string, T]>): T[] {
  return [...entries].sort(([a], [b]) => byKey(a, b)).map(([, v]) => v);
}

export interface CallCellRow extends GeoRow {
  direction: string; line: string; kind: string; calls: number; answered: number; outside_window: number;
  o_atendida: number; o_sin_voz: number; o_colgada: number; o_equivocada: number; o_prueba: number; o_no_es_ella: number;
  o_contestador: number; o_completada: number; o_no_contesta: number; o_ocupado: number; o_fallida: number;
}
export const OUTCOME_COLUMNS = ['o_atendida', 'o_sin_voz', 'o_colgada', 'o_equivocada', 'o_prueba', 'o_no_es_ella',
  'o_contestador', 'o_completada', 'o_no_contesta', 'o_ocupado', 'o_fallida'] as const;

export interface AnswerCellRow extends GeoRow { kind: string; calls: number; answered: number; hist: Int32Array }
export interface OccasionCellRow extends GeoRow {
  kind: string; planned: number; open: number; contact: number; failed: number; cancelled: number; on_time: number;
}
export interface OutboundCellRow extends GeoRow { kind: string; calls: number; contacts: number; outside_window: number }
/** Follow-up occasions and the outbound follow-up (B) attempts of one period and place. */
export interface FollowupCellRow extends GeoRow {
  planned: number; open: number; contact: number; failed: number; cancelled: number; calls: number; contacts: number;
}

const sumInt = (c: string) => `sum(${c})::int as ${c}`;
const HIST_SUM = `array[${Array.from({ length: HIST_BUCKETS }, (_, i) => `coalesce(sum(ans_hist[${i + 1}]), 0)::int`).join(', ')}]`;

/**
 * Adds a histogram sent as the text of an integer array (`{5,0,-2}`) into `into`, bucket by bucket.
 * Read here rather than by the driver's generic array parser; as text it is a quarter of the bytes
 * of the binary form, which travels as hex.
 */
export function histAdd(into: Int32Array | number[], sent: string): void {
  if (sent.charCodeAt(0) !== 123 /* { */) throw new Error(`histogram ${sent.slice(0, 20)} is not an array`);
  let bucket = 0;
  let value = 0;
  let sign = 1;
  for (let at = 1; at < sent.length; at++) {
    const c = sent.charCodeAt(at);
    if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    else if (c === 45 /* - */) sign = -1;
    else if (c === 44 /* , */ || c === 125 /* } */) {
      if (bucket === into.length) throw new Error(`histogram of ${sent.split(',').length} buckets, expected ${into.length}`);
      into[bucket++]! += sign * value;
      value = 0;
      sign = 1;
    } else throw new Error(`histogram ${sent.slice(0, 20)}: unexpected ${String.fromCharCode(c)}`);
  }
  if (bucket !== into.length || sent.charCodeAt(sent.length - 1) !== 125) {
    throw new Error(`histogram of ${sent.split(',').length} buckets, expected ${into.length}`);
  }
}

export function reportsRepo(db: Queryable) {
  return {
    /** Ended attempts by direction, line and kind, with their outcome classes. */
    async calls(f: ReportFilter): Promise<CallCellRow[]> {
      const measures = ['calls', 'answered', 'outside_window', ...OUTCOME_COLUMNS].map(sumInt).join(', ');
      const { rows } = await db.query<CallCellRow>(rollupQuery('report_call_days', measures, f, { group: ['direction', 'line', 'kind'] }));
      return rows;
    },
    /** Inbound calls on the lines an operator answers (A, C), with their answer-time histogram. */
    async answerTimes(f: ReportFilter): Promise<AnswerCellRow[]> {
      // A cell read by month (from the monthly rollups) or by day is mostly one rollup row: then the
      // rows come as they are and are added up here, because summing 85 buckets per cell in SQL (85
      // aggregates, or array_agg's memory per group) cost PostgreSQL several times the read itself.
      // By week (7 days per cell) PostgreSQL adds them up. Either way the histogram comes as the
      // text of its array, read by histAdd (the driver's array parser, or the hex of the binary
      // form, cost more than the query); a rollup row keeps that text (migration 013), so writing
      // the rows out costs PostgreSQL a copy and not 85 numbers each.
      const rowsOnly = f.grain !== 'week';
      const { rows } = await db.query<Omit<AnswerCellRow, 'hist'> & { hist: string }>(rollupQuery('report_answer_days', rowsOnly
        ? 'offered as calls, answered, ans_hist_text as hist'
        : `sum(offered)::int as calls, ${sumInt('answered')}, (${HIST_SUM})::text as hist`,
      f, { where: `kind in ('A', 'C')`, group: ['kind'], rows: rowsOnly }));
      // rows come unordered (sorting 1,350 rows with their histograms cost PostgreSQL more than reading them)
      const cells = new Map<string, AnswerCellRow>();
      for (const r of rows) {
        const key = `${placeKey(r)}|${r.kind}`;
        let cell = cells.get(key);
        if (!cell) {
          cells.set(key, (cell = { period: r.period, province: r.province, municipality: r.municipality, centre_id: r.centre_id,
            kind: r.kind, calls: 0, answered: 0, hist: new Int32Array(HIST_BUCKETS) }));
        }
        cell.calls += r.calls;
        cell.answered += r.answered;
        histAdd(cell.hist, r.hist);
      }
      return inKeyOrder(cells);
    },
    /** Outbound attempts (B follow-ups, D control calls): placed, reached, and placed outside her window. */
    async outbound(f: ReportFilter): Promise<OutboundCellRow[]> {
      const { rows } = await db.query<OutboundCellRow>(rollupQuery('report_call_days',
        'sum(calls)::int as calls, sum(o_atendida)::int as contacts, sum(outside_window)::int as outside_window', f,
        { where: `direction = 'outbound'`, group: ['kind'] }));
      return rows;
    },
    /** The follow-up occasions and the B attempts, side by side per period and place, in one statement. */
    async followups(f: ReportFilter): Promise<FollowupCellRow[]> {
      const occasions = ['planned', 'open', 'contact', 'failed', 'cancelled'];
      const a = rollupQuery('report_occasion_days', occasions.map(sumInt).join(', '), f, { where: `kind = 'followup'` });
      const b = rollupQuery('report_call_days', 'sum(calls)::int as calls, sum(o_atendida)::int as contacts', f,
        { where: `direction = 'outbound' and kind = 'B'`, values: a.values });
      const { rows } = await db.query<FollowupCellRow>(sideBySide('reports.followups', a, occasions, b, ['calls', 'contacts']));
      return rows;
    },
    async occasions(f: ReportFilter, kinds: string[]): Promise<OccasionCellRow[]> {
      const measures = ['planned', 'open', 'contact', 'failed', 'cancelled', 'on_time'].map(sumInt).join(', ');
      const { rows } = await db.query<OccasionCellRow>(rollupQuery('report_occasion_days', measures, f,
        { where: 'kind = any($param)', param: kinds, group: ['kind'] }));
      return rows;
    },
    /** Municipalities seen in a province (level 2), for the drill-down and the filters. */
    async municipalities(province: string): Promise<string[]> {
      const { rows } = await db.query<{ municipality: string }>({ name: 'reports.municipalities',
        text: `select municipality from report_call_days where geo_level = 2 and province_code = $1 and municipality <> ''
          union select municipality from report_call_deltas where province_code = $1 and municipality <> '' order by 1`, values: [province] });
      return rows.map((r) => r.municipality);
    },
    /**
     * Folds the pending deltas into the rollups (migration 005, report_fold): how many it folded,
     * or -1 when another session is folding right now.
     */
    async fold(): Promise<number> {
      const { rows } = await db.query<{ n: number }>({ name: 'reports.fold', text: 'select report_fold() as n' });
      return rows[0]!.n;
    },
    /** Delta rows written and not folded yet. */
    async pending(): Promise<number> {
      const { rows } = await db.query<{ n: number }>({ name: 'reports.pending',
        text: 'select ((select count(*) from report_call_deltas) + (select count(*) from report_occasion_deltas))::int as n' });
      return rows[0]!.n;
    },
  };
}
