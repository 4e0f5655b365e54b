// Small DOM and formatting helpers. Data is only ever set as text, never as HTML.

/** h('p', { class: 'x' }, 'text', child) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

/** `load` one at a time: a call while it runs gets the running one, so a burst of events asks once. */
export function oneAtATime(load) {
  let running = null;
  return () => (running ??= load().finally(() => { running = null; }));
}

/** Says on the page's banner that the session has gone, with the way back to sign in. */
export function showSessionExpired() {
  const banner = $('session-banner');
  banner.replaceChildren('La sesión ha caducado. ', h('a', { href: './' }, 'Inicie sesión de nuevo'), '.');
  banner.hidden = false;
}

export function show(el, visible) { el.hidden = !visible; }

/** A panel's table: `rows` in `<prefix>-body`, and either the table (`<prefix>-table`) or its empty line (`<prefix>-empty`). */
export function fillTable(prefix, rows) {
  $(`${prefix}-body`).replaceChildren(...rows);
  $(`${prefix}-table`).hidden = !rows.length;
  $(`${prefix}-empty`).hidden = rows.length > 0;
}

export function setText(el, text) {
  el.textContent = text ?? '';
  el.hidden = !text;
}

const dayFmt = new Intl.DateTimeFormat('es-ES', { day: '2-digit', month: '2-digit', year: 'numeric' });
const timeFmt = new Intl.DateTimeFormat('es-ES', { hour: '2-digit', minute: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat('es-ES', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A calendar date ('2026-10-30') stays that date; a timestamp is shown in the desk's zone. */
export function formatDay(value) {
  if (!value) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : dayFmt.format(new Date(value));
}

export const formatTime = (value) => (value ? timeFmt.format(new Date(value)) : '—');
export const formatDateTime = (value) => (value ? dateTimeFmt.format(new Date(value)) : '—');

export function ago(value, now = Date.now()) {
  const minutes = Math.max(0, Math.round((now - new Date(value).getTime()) / 60_000));
  if (minutes < 1) return 'hace menos de un minuto';
  if (minutes < 60) return `hace ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `hace ${hours} h`;
  return `hace ${Math.round(hours / 24)} días`;
}

/** Spanish numbers read in groups of three; anything else as it came. */
export function formatPhone(value) {
  if (!value) return '—';
  const m = /^(?:\+34)?([0-9]{9})$/.exec(value.replace(/\s+/g, ''));
  return m ? m[1].replace(/(\d{3})(\d{3})(\d{3})/, '$1 $2 $3') : value;
}
