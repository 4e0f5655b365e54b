// The managers' figures as the dashboard reads them: one request per figure (GET /api/reports/<figure>),
// and the sums the tiles, charts and drill-down table show. Aggregates only: no row names a person.
import { api } from './api.js';

/** The figures behind the tiles and charts (whole selection), and those behind the drill-down table. */
const TOTALS = ['census', 'calls', 'followups', 'answer-times', 'emergencies', 'contact-loss', 'selftest-overdue', 'outside-window'];
const DRILL = ['census', 'calls', 'followups', 'answer-times', 'emergencies', 'outside-window'];

export const KINDS = [['A', 'A · entrantes'], ['B', 'B · seguimiento'], ['C', 'C · emergencia'], ['D', 'D · control técnico']];
export const EMERGENCY_KINDS = [['psicosocial', 'Psicosocial'], ['prealarma', 'Prealarma'], ['alarma_agresion', 'Alarma por agresión'], ['otra', 'Otra']];
export const TARGET_60 = 0.975;
export const EUROPE_60 = 0.985;

/** The drill-down level the filters call for: provinces, then a province's municipalities, then centres. */
export function drillLevel(f) {
  if (!f.province) return 'province';
  if (!f.municipality && !f.centre) return 'municipality';
  return 'centre';
}

export function query(f, extra = {}) {
  const q = new URLSearchParams({ from: f.from, to: f.to, grain: f.grain });
  for (const key of ['province', 'municipality', 'centre']) if (f[key]) q.set(key, f[key]);
  for (const [key, value] of Object.entries(extra)) q.set(key, value);
  return q.toString();
}

/** Every figure the page shows, in parallel. Resolves to { ok, status, message, totals, drill }. */
export async function loadFigures(f) {
  const by = drillLevel(f);
  const ask = (name, extra) => api('GET', `/api/reports/${name}?${query(f, extra)}`);
  const answers = await Promise.all([...TOTALS.map((n) => ask(n, { by: 'none' })), ...DRILL.map((n) => ask(n, { by }))]);
  const failed = answers.find((r) => !r.ok);
  if (failed) return { ok: false, status: failed.status, message: failed.data?.message };
  const rowsOf = (list, names) => Object.fromEntries(names.map((n, i) => [n, list[i].data.rows]));
  return { ok: true, by, totals: rowsOf(answers.slice(0, TOTALS.length), TOTALS), drill: rowsOf(answers.slice(TOTALS.length), DRILL) };
}

const sum = (rows, key) => rows.reduce((a, r) => a + (Number(r[key]) || 0), 0);
const share = (num, den) => (den > 0 ? num / den : null);
/** Calls answered within 60 s, back from the row's share (rounded to 4 decimals) and its offered calls. */
const within60 = (r) => (r.within60 === null ? 0 : Math.round(r.within60 * r.offered));

/** The last period's active usuarias, summed over places. */
function activeAtEnd(census) {
  const last = census.reduce((m, r) => (r.period > m ? r.period : m), '');
  return sum(census.filter((r) => r.period === last), 'activeAtEnd');
}

/** The numbers of the tiles, from the whole-selection rows. */
export function kpis(t) {
  const byKind = Object.fromEntries(KINDS.map(([k]) => [k, sum(t.calls.filter((r) => r.kind === k), 'calls')]));
  const answer = t['answer-times'];
  const emergencies = Object.fromEntries(EMERGENCY_KINDS.map(([k]) => [k, sum(t.emergencies.filter((r) => r.kind === k), 'total')]));
  return {
    active: activeAtEnd(t.census), altas: sum(t.census, 'altas'), bajas: sum(t.census, 'bajas'),
    calls: sum(t.calls, 'calls'), byKind,
    contactRate: share(sum(t.followups, 'reached'), sum(t.followups, 'reached') + sum(t.followups, 'failed')),
    attemptsPerContact: share(sum(t.followups, 'attempts'), sum(t.followups, 'contacts')),
    within60: share(answer.reduce((a, r) => a + within60(r), 0), sum(answer, 'offered')), offered: sum(answer, 'offered'),
    emergencies: sum(t.emergencies, 'total'), emergencyKinds: emergencies,
    lossOpen: sum(t['contact-loss'], 'open'),
    selftestOverdue: sum(t['selftest-overdue'], 'overdue'), terminals: sum(t['selftest-overdue'], 'terminals'),
    outside: sum(t['outside-window'], 'outsideWindow'), placed: sum(t['outside-window'], 'placed'),
  };
}

/** Every period any of these rows mentions, in order. */
function periodsOf(...lists) {
  return [...new Set(lists.flat().map((r) => r.period).filter(Boolean))].sort();
}

/** Series for the charts: x is the first day of each period. */
export function series(t) {
  const periods = periodsOf(t.calls, t.followups, t['answer-times'], t.emergencies, t.census);
  const per = (rows, pick) => periods.map((p) => pick(rows.filter((r) => r.period === p)));
  const rate = (num, den) => (rows) => { const d = den(rows); return d > 0 ? Math.round((num(rows) / d) * 1000) / 10 : null; };
  return {
    periods,
    calls: KINDS.map(([k, label]) => ({ label, values: per(t.calls.filter((r) => r.kind === k), (rs) => sum(rs, 'calls')) })),
    rates: [
      { label: 'Contacto en seguimientos (%)', values: per(t.followups, rate((rs) => sum(rs, 'reached'), (rs) => sum(rs, 'reached') + sum(rs, 'failed'))) },
      { label: 'Atendidas en 60 s (%)', values: per(t['answer-times'], rate((rs) => rs.reduce((a, r) => a + within60(r), 0), (rs) => sum(rs, 'offered'))) },
      { label: 'Objetivo 97,5 %', values: periods.map(() => TARGET_60 * 100) },
    ],
    emergencies: EMERGENCY_KINDS.map(([k, label]) => ({ label, values: per(t.emergencies.filter((r) => r.kind === k), (rs) => sum(rs, 'total')) })),
    census: [
      { label: 'Activas al final', values: per(t.census, (rs) => sum(rs, 'activeAtEnd')) },
      { label: 'Altas', values: per(t.census, (rs) => sum(rs, 'altas')) },
      { label: 'Bajas', values: per(t.census, (rs) => sum(rs, 'bajas')) },
    ],
  };
}

/** One line per place of the drill-down level, the periods summed (active usuarias: at the end). */
export function drillRows(d, by) {
  const keyOf = (r) => (by === 'province' ? r.province : by === 'municipality' ? r.municipality : r.centreId ?? '');
  const places = new Map();
  const at = (r) => {
    const key = keyOf(r);
    if (!places.has(key)) {
      places.set(key, { key, label: by === 'province' ? r.provinceName ?? r.province : by === 'municipality' ? r.municipality : r.centreName ?? '—',
        census: [], calls: [], followups: [], answer: [], emergencies: [], outside: [] });
    }
    return places.get(key);
  };
  for (const r of d.census) at(r).census.push(r);
  for (const r of d.calls) at(r).calls.push(r);
  for (const r of d.followups) at(r).followups.push(r);
  for (const r of d['answer-times']) at(r).answer.push(r);
  for (const r of d.emergencies) at(r).emergencies.push(r);
  for (const r of d['outside-window']) at(r).outside.push(r);
  return [...places.values()].filter((p) => p.key !== '').map((p) => ({
    key: p.key, label: p.label, active: activeAtEnd(p.census), calls: sum(p.calls, 'calls'),
    contactRate: share(sum(p.followups, 'reached'), sum(p.followups, 'reached') + sum(p.followups, 'failed')),
    within60: share(p.answer.reduce((a, r) => a + within60(r), 0), sum(p.answer, 'offered')),
    emergencies: sum(p.emergencies, 'total'), outside: sum(p.outside, 'outsideWindow'),
  })).sort((a, b) => b.calls - a.calls || a.label.localeCompare(b.label, 'es'));
}
