// Technical tasks (GET /api/technical/tasks): terminals to check after a missed self-test or a
// failed control call. The operator calls her about it (her ficha, audited) and marks it done.
import { api } from './api.js';
import { $, fillTable, formatDateTime, h, oneAtATime, setText } from './dom.js';

const REFRESH_MS = 60_000;

/** onOpenFicha(usuariaId) shows her ficha; onUnauthorized() when the session has gone. */
export function technicalTasks({ onOpenFicha, onUnauthorized }) {

  function row(t) {
    const ficha = t.usuariaId
      ? h('button', { type: 'button', class: 'small secondary', onclick: () => onOpenFicha(t.usuariaId),
        'aria-label': `Ver la ficha del expediente ${t.expedienteCode ?? ''}`.trim() }, 'Ficha')
      : null;
    const done = h('button', { type: 'button', class: 'small', onclick: () => void complete(t),
      'aria-label': `Marcar hecha: ${t.kindLabel}${t.expedienteCode ? `, expediente ${t.expedienteCode}` : ''}` }, 'Hecha');
    return h('tr', { 'data-task': t.id },
      h('td', { class: 'nowrap' }, formatDateTime(t.createdAt)), h('td', null, t.kindLabel),
      h('td', { class: 'mono nowrap' }, t.expedienteCode ?? '—'), h('td', { class: 'nowrap' }, ficha, ' ', done));
  }

  async function complete(t) {
    const res = await api('POST', `/api/technical/tasks/${t.id}/done`);
    if (res.status === 401) return onUnauthorized();
    // 409: someone else did it meanwhile; either way the list is read again
    setText($('tasks-error'), res.ok || res.status === 409 ? '' : res.data.message);
    if (res.status === 409) setText($('tasks-status'), 'Otra persona ya la había marcado como hecha.');
    else if (res.ok) setText($('tasks-status'), `Tarea hecha: ${t.kindLabel}.`);
    await refresh();
  }

  async function load() {
    const res = await api('GET', '/api/technical/tasks');
    if (res.status === 401) return onUnauthorized();
    setText($('tasks-error'), res.ok ? '' : res.data.message);
    if (!res.ok) return;
    fillTable('tasks', res.data.map(row));
    setText($('tasks-count'), res.data.length ? `(${res.data.length})` : '');
  }

  const reload = oneAtATime(load);
  let timer = null;
  /** Reads the list now, and from the first call on every minute while the console is in view. */
  function refresh() {
    timer ??= setInterval(() => { if (!document.hidden) void refresh(); }, REFRESH_MS);
    return reload();
  }
  $('tasks-refresh').addEventListener('click', () => void refresh());
  return { refresh };
}
