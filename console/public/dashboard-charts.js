// Time-series charts drawn with uPlot (served by the app: vendor/uplot), each with the same numbers
// as a table beside it, for screen readers and for anyone who wants the exact figures.
import { h } from './dom.js';

const COLOURS = ['#1d4f9c', '#17693a', '#b3121b', '#8a4b00', '#6a1b9a'];
const charts = new Map();
const number = new Intl.NumberFormat('es-ES', { maximumFractionDigits: 1 });

/** 'YYYY-MM-DD' as the period reads: day, week from a Monday, or month. */
export function periodLabel(period, grain) {
  const [y, m, d] = period.split('-');
  if (grain === 'month') return new Intl.DateTimeFormat('es-ES', { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, 1));
  return grain === 'week' ? `sem. ${d}/${m}/${y}` : `${d}/${m}/${y}`;
}

/**
 * Draws (or redraws) the chart in `figure`: `periods` on x, one line per series. The last series is
 * drawn dashed when `target` is set (an objective, not data).
 */
export function drawChart(figure, { periods, series, grain, unit = '', target = false }) {
  charts.get(figure.id)?.destroy();
  charts.delete(figure.id);
  figure.querySelector('.chart-plot')?.remove();
  figure.querySelector('.chart-data')?.remove();
  figure.querySelector('.none')?.remove();
  if (periods.length === 0) {
    figure.append(h('p', { class: 'none' }, 'Sin datos en este periodo.'));
    return;
  }
  const plot = h('div', { class: 'chart-plot', 'aria-hidden': 'true' });
  figure.append(plot, dataTable(figure, periods, series, grain, unit));
  const xs = periods.map((p) => Date.parse(`${p}T00:00:00Z`) / 1000);
  const opts = {
    width: Math.max(320, figure.clientWidth - 24), height: 240,
    tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 1) * 1.1] } },
    // one tick per period, labelled as the table labels it; counts on y never show fractions
    axes: [{ splits: () => xs, values: (_u, ticks) => ticks.map((v) => periodLabel(new Date(v * 1000).toISOString().slice(0, 10), grain)),
      space: 60 },
    { values: (_u, ticks) => ticks.map((v) => (unit || Number.isInteger(v) ? `${number.format(v)}${unit}` : '')) }],
    legend: { live: false },
    series: [{ label: 'Periodo' }, ...series.map((s, i) => ({
      label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: false, points: { show: periods.length < 40 },
      dash: target && i === series.length - 1 ? [6, 6] : undefined,
    }))],
  };
  charts.set(figure.id, new window.uPlot(opts, [xs, ...series.map((s) => s.values)], plot));
}

function dataTable(figure, periods, series, grain, unit) {
  const cell = (v) => (v === null || v === undefined ? '—' : `${number.format(v)}${unit}`);
  return h('table', { class: 'chart-data', 'data-chart': figure.id },
    h('caption', { class: 'visually-hidden' }, figure.querySelector('figcaption')?.textContent ?? ''),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Periodo'), series.map((s) => h('th', { scope: 'col', class: 'num' }, s.label)))),
    h('tbody', null, periods.map((p, i) => h('tr', { 'data-period': p }, h('th', { scope: 'row' }, periodLabel(p, grain)),
      series.map((s) => h('td', { class: 'num', 'data-series': s.label }, cell(s.values[i])))))));
}
