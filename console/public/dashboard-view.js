// The tiles, the drill-down table and the download links of the dashboard. Text only, never HTML.
import { h } from './dom.js';
import { EMERGENCY_KINDS, EUROPE_60, KINDS, TARGET_60, query } from './dashboard-data.js';

const int = new Intl.NumberFormat('es-ES');
const pct = new Intl.NumberFormat('es-ES', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const dec = new Intl.NumberFormat('es-ES', { maximumFractionDigits: 2 });
export const formatPct = (v) => (v === null || v === undefined ? '—' : pct.format(v));

function tile(id, value, { note, split, state } = {}) {
  const el = document.getElementById(id);
  el.querySelector('[data-value]').textContent = value;
  if (note !== undefined) el.querySelector('[data-note]').textContent = note;
  if (split) {
    el.querySelector('[data-split]').replaceChildren(...split.map(([label, n]) =>
      h('div', null, h('dt', null, label), h('dd', { 'data-part': label }, int.format(n)))));
  }
  if (state) el.dataset.state = state; else delete el.dataset.state;
}

export function renderTiles(k) {
  tile('tile-outside', int.format(k.outside), { state: k.outside === 0 ? 'ok' : 'alarm',
    note: k.outside === 0 ? `Ninguna de ${int.format(k.placed)} llamadas salientes. Debe ser 0.`
      : `${int.format(k.outside)} de ${int.format(k.placed)} llamadas salientes. Debe ser 0: revíselo hoy.` });
  tile('tile-active', int.format(k.active), { note: `${int.format(k.altas)} altas y ${int.format(k.bajas)} bajas en el periodo.` });
  tile('tile-calls', int.format(k.calls), { split: KINDS.map(([key, label]) => [label, k.byKind[key]]) });
  tile('tile-contact', formatPct(k.contactRate), {
    note: k.attemptsPerContact === null ? 'Sin seguimientos en el periodo.' : `${dec.format(k.attemptsPerContact)} intentos por contacto.` });
  tile('tile-answer', formatPct(k.within60), {
    state: k.within60 === null ? undefined : k.within60 >= TARGET_60 ? 'ok' : 'warn',
    note: `Entrantes y emergencias (${int.format(k.offered)}). Objetivo ${formatPct(TARGET_60)}; Europa ${formatPct(EUROPE_60)}.` });
  tile('tile-emergencies', int.format(k.emergencies), { split: EMERGENCY_KINDS.map(([key, label]) => [label, k.emergencyKinds[key]]) });
  tile('tile-loss', int.format(k.lossOpen));
  tile('tile-selftest', int.format(k.selftestOverdue), { note: `De ${int.format(k.terminals)} terminales activos, ahora mismo.` });
}

const LEVEL_NAMES = { province: 'Provincia', municipality: 'Municipio', centre: 'Centro de servicios sociales' };
const BY_NAMES = { province: 'por provincia', municipality: 'por municipio', centre: 'por centro' };

/** The table of the drill-down level; `onPick(key)` goes one level down. */
export function renderDrill(rows, by, onPick) {
  document.getElementById('drill-place').textContent = LEVEL_NAMES[by];
  document.getElementById('drill-empty').hidden = rows.length > 0;
  document.getElementById('drill-table').hidden = rows.length === 0;
  document.getElementById('drill-body').replaceChildren(...rows.map((r) => h('tr', { 'data-place': r.key },
    h('th', { scope: 'row' }, by === 'centre' ? r.label : h('button', { type: 'button', class: 'link-button', onclick: () => onPick(r.key) }, r.label)),
    h('td', { class: 'num' }, int.format(r.active)), h('td', { class: 'num' }, int.format(r.calls)),
    h('td', { class: 'num' }, formatPct(r.contactRate)), h('td', { class: 'num' }, formatPct(r.within60)),
    h('td', { class: 'num' }, int.format(r.emergencies)),
    h('td', { class: `num${r.outside ? ' alarm' : ''}` }, int.format(r.outside)))));
}

/** Where the table stands: España › province › municipality, each a way back up. */
export function renderPath(steps) {
  const nav = document.getElementById('drill-path');
  nav.replaceChildren(...steps.flatMap((s, i) => [...(i ? [h('span', { class: 'sep', 'aria-hidden': 'true' }, '›')] : []),
    i === steps.length - 1 ? h('span', { 'aria-current': 'location' }, s.label)
      : h('button', { type: 'button', class: 'link-button', onclick: s.go }, s.label)]));
}

/** One line per figure: its CSV for the whole selection and split by the table's level (both audited by the server). */
export function renderExports(figures, filters, by) {
  document.getElementById('exports-list').replaceChildren(...figures.map((f) => h('li', null,
    h('span', { class: 'export-title' }, f.title),
    h('a', { href: `/api/reports/${f.name}.csv?${query(filters, { by: 'none' })}`, download: '', 'data-figure': f.name }, 'CSV'),
    h('a', { href: `/api/reports/${f.name}.csv?${query(filters, { by })}`, download: '', 'data-figure': `${f.name}-${by}` },
      `CSV ${BY_NAMES[by]}`))));
}
