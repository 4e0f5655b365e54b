// The agenda as coordination works it: today's planned calls, one usuaria's calls, and on each
// planned call a move (inside her window) or a cancellation (with a reason). Her window is agreed
// in her own clock, so every time here is shown and read in her zone.
import { api, clearErrors, showErrors } from './api.js';
import { $, fillTable, h, oneAtATime, setText } from './dom.js';
import { AGENDA_KIND, AGENDA_OUTCOME, AGENDA_STATUS, PROVINCE, WEEKDAY, ZONE_NOTE, label } from './labels.js';
import { dayIn, fromLocalInput, localDay, longDayIn, timeIn, toLocalInput } from './zones.js';

const DESK_ZONE = 'Europe/Madrid';
const windows = new Map(); // usuariaId -> { zone, weekdays, from, to } | null

/** Loads the agreed windows of these usuarias that are not known yet. */
async function ensureWindows(ids, onUnauthorized) {
  const missing = [...new Set(ids)].filter((id) => !windows.has(id));
  if (!missing.length) return true;
  const res = await api('POST', '/api/coordination/call-windows', { usuariaIds: missing });
  if (res.status === 401) { onUnauthorized(); return false; }
  if (!res.ok) return false;
  for (const id of missing) windows.set(id, null);
  for (const w of res.data) windows.set(w.usuariaId, w);
  return true;
}
const zoneOf = (usuariaId) => windows.get(usuariaId)?.zone ?? DESK_ZONE;
const zoneNote = (zone) => ZONE_NOTE[zone] ?? zone;

/** 'martes y jueves, de 10:00 a 12:00 (hora peninsular)' */
export function describeWindow(w) {
  if (!w) return 'Sin franja acordada.';
  const days = w.weekdays.length === 7 ? 'todos los días'
    : w.weekdays.length === 1 ? `los ${WEEKDAY[w.weekdays[0]]}`
      : `${w.weekdays.slice(0, -1).map((d) => WEEKDAY[d]).join(', ')} y ${WEEKDAY[w.weekdays.at(-1)]}`;
  return `${days.charAt(0).toUpperCase()}${days.slice(1)}, de ${w.from} a ${w.to} (${zoneNote(w.zone)})`;
}

function slotText(item, { withDay }) {
  const zone = zoneOf(item.usuariaId);
  const hours = `${timeIn(item.notBefore, zone)}–${timeIn(item.notAfter, zone)}`;
  return withDay ? `${dayIn(item.notBefore, zone)} · ${hours}` : hours;
}

function slotCell(item, opts) {
  const zone = zoneOf(item.usuariaId);
  return h('td', { class: 'nowrap slot' }, h('span', { class: 'slot-hours' }, slotText(item, opts)),
    zone !== DESK_ZONE ? h('span', { class: 'zone-tag', title: `Peninsular: ${timeIn(item.notBefore, DESK_ZONE)}–${timeIn(item.notAfter, DESK_ZONE)}` },
      zoneNote(zone)) : null);
}

function statusCell(item) {
  const outcome = item.outcome && item.outcome !== item.status ? label(AGENDA_OUTCOME, item.outcome) : null;
  return h('td', null, h('span', { class: `state state-${item.status}` }, label(AGENDA_STATUS, item.status)),
    outcome ? h('span', { class: 'muted outcome' }, outcome) : null);
}

/**
 * Rows for a list of calls: each planned one gets "Mover…" and "Cancelar…", which open a small
 * form under it. `columns` says which cells to show; onChanged(message) after a move or a cancel.
 */
function agendaRows(items, { columns, onChanged, onUnauthorized }) {
  const rows = [];
  for (const item of items) {
    const width = columns.length + 1;
    const editorCell = h('td', { colspan: width });
    const editor = h('tr', { class: 'editor-row', hidden: true }, editorCell);
    const open = (form) => {
      editorCell.replaceChildren(form);
      editor.hidden = false;
      form.querySelector('input, textarea')?.focus();
    };
    const closeEditor = () => { editor.hidden = true; editorCell.replaceChildren(); };
    const code = item.expedienteCode ?? 'la usuaria';
    const actions = item.status === 'planned'
      ? h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'small secondary', 'aria-label': `Mover la llamada de ${code}`,
          onclick: () => open(moveForm(item, { onChanged, onUnauthorized, close: closeEditor })) }, 'Mover…'),
        h('button', { type: 'button', class: 'small quiet-danger', 'aria-label': `Cancelar la llamada de ${code}`,
          onclick: () => open(cancelForm(item, { onChanged, onUnauthorized, close: closeEditor })) }, 'Cancelar…'))
      : null;
    const cells = {
      slot: () => slotCell(item, { withDay: false }),
      daySlot: () => slotCell(item, { withDay: true }),
      code: () => h('td', { class: 'mono nowrap' }, item.expedienteCode ?? '—'),
      kind: () => h('td', null, label(AGENDA_KIND, item.kind)),
      attempt: () => h('td', { class: 'num' }, String(item.attempt)),
      status: () => statusCell(item),
      note: () => h('td', { class: 'note' }, item.note ?? ''),
    };
    rows.push(h('tr', { 'data-item': item.id, class: `item-${item.status}` }, columns.map((c) => cells[c]()), h('td', { class: 'actions' }, actions)));
    rows.push(editor);
  }
  return rows;
}

function moveForm(item, { onChanged, onUnauthorized, close }) {
  const zone = zoneOf(item.usuariaId);
  const id = `move-${item.id}`;
  const general = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const input = h('input', { id, name: 'at', type: 'datetime-local', value: toLocalInput(item.notBefore, zone), 'aria-describedby': `${id}-error ${id}-hint` });
  const form = h('form', { class: 'editor', novalidate: true, 'aria-label': `Mover la llamada de ${item.expedienteCode ?? 'la usuaria'}` },
    general,
    h('div', { class: 'editor-fields' },
      h('div', { class: 'field' },
        h('label', { for: id }, 'Nuevo momento ', h('span', { class: 'label-note' }, `(${zoneNote(zone)})`)),
        input),
      h('div', { class: 'editor-buttons' },
        h('button', { type: 'submit', class: 'secondary' }, 'Mover la llamada'),
        h('button', { type: 'button', class: 'quiet', onclick: close }, 'Cerrar'))),
    // under the row, so that a long message does not push the buttons away from the field
    h('p', { class: 'field-error', id: `${id}-error`, 'data-field': 'body.at', hidden: true }),
    h('p', { class: 'hint', id: `${id}-hint` }, `Franja acordada: ${describeWindow(windows.get(item.usuariaId))}.`));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, general);
    const at = fromLocalInput(input.value, zone);
    if (!at) return showErrors(form, general, { fields: [{ field: 'body.at', message: 'Indique la fecha y la hora.' }] }).focus();
    const res = await api('POST', `/api/agenda/items/${item.id}/move`, { at: at.toISOString() });
    if (res.status === 401) return onUnauthorized();
    if (!res.ok) return showErrors(form, general, res.data).focus();
    close();
    onChanged(`Llamada de ${item.expedienteCode ?? 'la usuaria'} movida al ${longDayIn(res.data.notBefore, zone)}, `
      + `de ${timeIn(res.data.notBefore, zone)} a ${timeIn(res.data.notAfter, zone)} (${zoneNote(zone)}).`);
  });
  return form;
}

function cancelForm(item, { onChanged, onUnauthorized, close }) {
  const id = `cancel-${item.id}`;
  const general = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const input = h('input', { id, name: 'reason', maxlength: 300, 'aria-describedby': `${id}-error` });
  const form = h('form', { class: 'editor', novalidate: true, 'aria-label': `Cancelar la llamada de ${item.expedienteCode ?? 'la usuaria'}` },
    general,
    h('div', { class: 'editor-fields' },
      h('div', { class: 'field grow' },
        h('label', { for: id }, 'Motivo de la cancelación'), input),
      h('div', { class: 'editor-buttons' },
        h('button', { type: 'submit', class: 'danger-outline' }, 'Cancelar la llamada'),
        h('button', { type: 'button', class: 'quiet', onclick: close }, 'Cerrar'))),
    h('p', { class: 'field-error', id: `${id}-error`, 'data-field': 'body.reason', hidden: true }),
    item.kind === 'followup' ? h('p', { class: 'hint' }, 'Un seguimiento cancelado no cuenta como fallido para el Anexo IV.') : null);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, general);
    const reason = input.value.trim();
    if (!reason) return showErrors(form, general, { fields: [{ field: 'body.reason', message: 'Indique el motivo de la cancelación.' }] }).focus();
    const res = await api('POST', `/api/agenda/items/${item.id}/cancel`, { reason });
    if (res.status === 401) return onUnauthorized();
    if (!res.ok) return showErrors(form, general, res.data).focus();
    close();
    onChanged(`Llamada de ${item.expedienteCode ?? 'la usuaria'} cancelada.`);
  });
  return form;
}

/** Today's planned calls, from the centre's midnight (Madrid) to the next. */
export function todayPlan({ onUnauthorized, onChanged }) {
  const changed = (message) => { setText($('plan-status'), message); void refresh(); onChanged?.(message); };

  async function load() {
    // the centre's day (as the API's default), whatever zone this computer keeps
    const day = localDay(new Date(), DESK_ZONE);
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const from = fromLocalInput(`${day}T00:00`, DESK_ZONE);
    const to = fromLocalInput(`${next}T00:00`, DESK_ZONE);
    $('plan-day').textContent = `${longDayIn(from, DESK_ZONE).replace(/^./, (c) => c.toUpperCase())}. Horas en la zona de cada usuaria.`;
    const res = await api('GET', `/api/agenda/plan?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
    if (res.status === 401) return onUnauthorized();
    setText($('plan-error'), res.ok ? '' : res.data.message);
    if (!res.ok) return;
    const items = res.data;
    if (items.length) await ensureWindows(items.map((i) => i.usuariaId), onUnauthorized);
    const withDay = items.some((i) => localDay(i.notBefore, zoneOf(i.usuariaId)) !== day);
    fillTable('plan', agendaRows(items, { columns: [withDay ? 'daySlot' : 'slot', 'code', 'kind', 'attempt', 'status'],
      onChanged: changed, onUnauthorized }));
    const pending = items.filter((i) => i.status === 'planned').length;
    $('nav-plan').textContent = pending ? String(pending) : '';
    $('plan-updated').textContent = `Actualizado a las ${new Date().toLocaleTimeString('es-ES', { hour: '2-digit', minute: '2-digit' })}`;
  }

  const refresh = oneAtATime(load);
  $('plan-refresh').addEventListener('click', () => { setText($('plan-status'), ''); void refresh(); });
  return { refresh };
}

const STATUS_ES = { solicitada: 'Alta solicitada', activa: 'Activa', baja: 'De baja' };

/** One usuaria's agenda, found by her expediente code. */
export function usuariaAgenda({ onUnauthorized, onChanged }) {
  const searchForm = $('ua-search');
  const reminderForm = $('ua-reminder');
  let current = null;

  const changed = (message) => { setText($('ua-status'), message); void loadItems(); onChanged?.(message); };

  async function loadItems() {
    if (!current) return;
    const res = await api('GET', `/api/usuarias/${current.id}/agenda`);
    if (res.status === 401) return onUnauthorized();
    setText($('ua-error'), res.ok ? '' : res.data.message);
    if (!res.ok) return;
    const items = res.data.map((i) => ({ ...i, expedienteCode: i.expedienteCode ?? current.expedienteCode }));
    fillTable('ua', agendaRows(items, { columns: ['daySlot', 'kind', 'attempt', 'status', 'note'], onChanged: changed, onUnauthorized }));
  }

  searchForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const general = $('ua-search-error');
    clearErrors(searchForm, general);
    const code = $('ua-code').value.trim().toUpperCase();
    if (!/^VG-[0-9]{2}-[0-9]+$/.test(code)) {
      return showErrors(searchForm, general, { fields: [{ field: 'querystring.expediente', message: 'Escriba un código de expediente como VG-28-000123.' }] }).focus();
    }
    const res = await api('GET', `/api/usuarias?expediente=${encodeURIComponent(code)}&limit=1`);
    if (res.status === 401) return onUnauthorized();
    if (!res.ok) return showErrors(searchForm, general, res.data).focus();
    const found = res.data[0];
    if (!found) {
      current = null;
      $('ua-result').hidden = true;
      return showErrors(searchForm, general, { fields: [{ field: 'querystring.expediente', message: `No hay ningún expediente ${code}.` }] }).focus();
    }
    current = { id: found.id, expedienteCode: found.expedienteCode ?? code, status: found.status };
    await ensureWindows([found.id], onUnauthorized);
    const w = windows.get(found.id);
    $('ua-expediente').textContent = current.expedienteCode;
    $('ua-name').replaceChildren(`${found.givenName} ${found.familyNames}`,
      h('span', { class: 'muted' }, ` · ${found.municipality} (${label(PROVINCE, found.provinceCode)}) · ${label(STATUS_ES, found.status)}`));
    $('ua-window').textContent = `Franja acordada: ${describeWindow(w)}.`;
    $('ua-reminder-zone').textContent = `(${zoneNote(w?.zone ?? DESK_ZONE)})`;
    setText($('ua-status'), '');
    setText($('ua-error'), '');
    clearErrors(reminderForm, $('ua-reminder-error'));
    reminderForm.reset();
    $('ua-result').hidden = false;
    await loadItems();
  });

  reminderForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const general = $('ua-reminder-error');
    clearErrors(reminderForm, general);
    if (!current) return;
    const zone = zoneOf(current.id);
    const at = fromLocalInput($('ua-reminder-at').value, zone);
    const missing = [];
    if (!at) missing.push({ field: 'body.at', message: 'Indique la fecha y la hora.' });
    if (!$('ua-reminder-note').value.trim()) missing.push({ field: 'body.note', message: 'Escriba para qué es el recordatorio.' });
    if (missing.length) return showErrors(reminderForm, general, { fields: missing }).focus();
    const res = await api('POST', `/api/usuarias/${current.id}/reminders`, { at: at.toISOString(), note: $('ua-reminder-note').value.trim() });
    if (res.status === 401) return onUnauthorized();
    if (!res.ok) return showErrors(reminderForm, general, res.data).focus();
    reminderForm.reset();
    changed(`Recordatorio programado para el ${longDayIn(res.data.notBefore, zone)}, de ${timeIn(res.data.notBefore, zone)} `
      + `a ${timeIn(res.data.notAfter, zone)} (${zoneNote(zone)}).`);
  });

  $('ua-call-now').addEventListener('click', async () => {
    if (!current) return;
    setText($('ua-error'), '');
    setText($('ua-status'), '');
    const button = $('ua-call-now');
    button.disabled = true;
    const res = await api('POST', `/api/usuarias/${current.id}/call-now`);
    button.disabled = false;
    if (res.status === 401) return onUnauthorized();
    if (!res.ok) return setText($('ua-error'), res.data.message);
    changed('Llamada creada: se marcará en cuanto haya una operadora libre.');
  });

  return { refresh: loadItems };
}
