// The operator's recent calls (GET /api/console/calls), with a way to file one left without disposition.
import { api } from './api.js';
import { $, fillTable, formatTime, h, oneAtATime, setText } from './dom.js';
import { KIND, label } from './labels.js';

const LINE_SHORT = { emergency: 'Emergencia', general: 'General', info: 'Información', selftest: 'Autochequeo' };

/** onFile(call) opens the disposition form for a call; onLoaded(rows) lets the console sync. */
export function recentCalls({ onFile, onLoaded, onUnauthorized }) {

  function row(c) {
    const filed = c.filed
      ? h('span', { class: 'badge ok' }, 'Hecha')
      : h('button', { type: 'button', class: 'small secondary',
        onclick: () => onFile({ callId: c.id, line: c.line, at: c.startedAt, expedienteCode: c.expedienteCode }) }, 'Tipificar');
    return h('tr', { class: c.line === 'emergency' ? 'is-emergency' : null },
      h('td', null, formatTime(c.startedAt)), h('td', null, label(LINE_SHORT, c.line)),
      h('td', { title: c.kind ? label(KIND, c.kind) : null }, c.kind ?? '—'), h('td', { class: 'mono nowrap' }, c.expedienteCode ?? '—'),
      h('td', null, filed));
  }

  async function load() {
    const res = await api('GET', '/api/console/calls');
    if (res.status === 401) return onUnauthorized();
    setText($('recent-error'), res.ok ? '' : res.data.message);
    if (!res.ok) return;
    fillTable('recent', res.data.map(row));
    onLoaded(res.data);
  }

  $('recent-refresh').addEventListener('click', () => void refresh());
  const refresh = oneAtATime(load);
  return { refresh };
}
