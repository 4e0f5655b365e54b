// The coordinator's Anexo IV queue: open contact-loss cases, their deadlines, the contact-person
// tasks, social services' intervention and the decision on a proposed baja.
import { api, clearErrors, showErrors } from './api.js';
import { $, formatDateTime, formatDay, formatPhone, h, oneAtATime, setText } from './dom.js';
import { LOSS_STAGE, label } from './labels.js';

const DAY_MS = 86_400_000;
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const todayIso = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/** onUnauthorized(): the session ended; onChanged(): another panel may need a refresh. */
export function lossQueue({ onUnauthorized, onChanged, announce }) {
  const list = $('anexo-list');
  const dialog = bajaDialog({ onUnauthorized, onDone: (c, code) => done(`Baja confirmada: el expediente ${code} queda dado de baja por falta de contacto.`) });
  let count = 0;

  function done(message) {
    setText($('anexo-status'), message);
    announce(message);
    void refresh();
    onChanged?.();
  }

  // ---- one case

  function deadlineFacts(c) {
    const due = (text) => h('span', { class: c.overdue ? 'late' : null }, text);
    if (c.stage === 'contacting_persons') {
      return [['Siguiente paso', 'Aviso a servicios sociales al terminar las llamadas']];
    }
    if (c.stage === 'social_services_notified') {
      return [
        ['Plazo de respuesta de servicios sociales', formatDay(c.replyDeadline)],
        ['Intervención de servicios sociales', c.interventionAt ? formatDay(c.interventionAt) : 'Sin registrar'],
        [c.interventionAt ? 'Baja propuesta (una semana tras la intervención)' : 'Baja propuesta si no responden', due(formatDateTime(c.dueAt))],
      ];
    }
    if (c.stage === 'baja_proposed') {
      const waiting = Math.max(0, Math.floor((Date.now() - new Date(c.proposedAt).getTime()) / DAY_MS));
      return [
        ...(c.interventionAt ? [['Intervención de servicios sociales', formatDay(c.interventionAt)]] : []),
        ['Baja propuesta el', formatDateTime(c.proposedAt)],
        ['Espera su decisión', due(waiting === 0 ? 'desde hoy' : `desde hace ${plural(waiting, 'día', 'días')}`)],
      ];
    }
    return [];
  }

  function caseItem(c, tasks) {
    const stageClass = `stage stage-${c.stage}`;
    const t = c.tasks;
    const facts = [
      ['Antigüedad', `${plural(c.ageDays, 'día', 'días')} · desde el ${formatDay(c.openedAt)}`],
      ...deadlineFacts(c),
      ['Personas de contacto', t.open + t.reached + t.notReached === 0 ? 'No constan en su ficha'
        : `${plural(t.open, 'pendiente', 'pendientes')} · ${plural(t.reached, 'localizada', 'localizadas')} · ${plural(t.notReached, 'no localizada', 'no localizadas')}`],
    ];
    return h('li', { class: `case case-${c.stage}${c.overdue ? ' is-overdue' : ''}`, 'data-case': c.id, 'aria-labelledby': `case-${c.id}` },
      h('div', { class: 'case-head' },
        h('p', { class: 'expediente', id: `case-${c.id}` }, c.expedienteCode ?? 'Expediente cerrado'),
        h('span', { class: stageClass }, label(LOSS_STAGE, c.stage)),
        h('span', { class: 'round' }, `Ronda ${c.round} de 3`),
        c.overdue ? h('span', { class: 'overdue-mark' }, 'VENCIDO') : null),
      h('dl', { class: 'case-facts' }, facts.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v)))),
      actions(c, tasks));
  }

  function actions(c, tasks) {
    if (c.stage === 'contacting_persons') return taskList(c, tasks);
    if (c.stage === 'social_services_notified') return interventionForm(c);
    if (c.stage === 'baja_proposed') return decision(c);
    return null;
  }

  function taskList(c, tasks) {
    const mine = tasks.filter((x) => x.caseId === c.id);
    if (!mine.length) return h('p', { class: 'hint' }, 'No quedan llamadas pendientes a personas de contacto.');
    return h('div', { class: 'case-actions' },
      h('h3', null, 'Llamadas a personas de contacto'),
      h('ol', { class: 'tasks' }, mine.map((task) => taskItem(c, task))));
  }

  function taskItem(c, task) {
    const general = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const notesId = `task-notes-${task.id}`;
    const notes = h('input', { id: notesId, name: 'notes', maxlength: 1000, 'aria-describedby': `${notesId}-error` });
    const form = h('form', { class: 'task', novalidate: true },
      h('p', { class: 'task-person' },
        h('span', { class: 'priority', title: 'Prioridad' }, String(task.priority)),
        h('span', { class: 'person' }, task.fullName ?? 'Persona de contacto'),
        task.relationship ? h('span', { class: 'muted' }, ` (${task.relationship})`) : null,
        h('span', { class: 'phones' }, [task.phone1, task.phone2].filter(Boolean).map(formatPhone).join(' · ') || 'Sin teléfono')),
      general,
      h('div', { class: 'task-row' },
        h('div', { class: 'field grow' }, h('label', { for: notesId }, 'Notas de la llamada'), notes,
          h('p', { class: 'field-error', id: `${notesId}-error`, 'data-field': 'body.notes', hidden: true })),
        h('div', { class: 'task-buttons', role: 'group', 'aria-label': 'Resultado de la llamada' },
          h('button', { type: 'button', class: 'secondary', onclick: () => close('reached') }, 'Localizada'),
          h('button', { type: 'button', class: 'secondary', onclick: () => close('not_reached') }, 'No localizada'))));
    async function close(outcome) {
      clearErrors(form, general);
      const body = { outcome };
      if (notes.value.trim()) body.notes = notes.value.trim();
      const res = await api('POST', `/api/contact-loss/tasks/${task.id}`, body);
      if (res.status === 401) return onUnauthorized();
      if (!res.ok) return showErrors(form, general, res.data).focus();
      const who = task.fullName ?? 'la persona de contacto';
      done(outcome === 'reached'
        ? `${c.expedienteCode ?? 'Expediente'}: ${who} localizada. Esto no cierra el procedimiento: solo lo cierra una comunicación de la propia usuaria.`
        : `${c.expedienteCode ?? 'Expediente'}: ${who} no localizada.`);
    }
    form.addEventListener('submit', (e) => e.preventDefault());
    return h('li', null, form);
  }

  function interventionForm(c) {
    const id = `intervention-${c.id}`;
    const general = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const input = h('input', { id, name: 'interventionOn', type: 'date', max: todayIso(), 'aria-describedby': `${id}-error` });
    const form = h('form', { class: 'case-actions inline-form', novalidate: true },
      h('h3', null, c.interventionAt ? 'Corregir la fecha de intervención' : 'Intervención de servicios sociales'),
      general,
      h('div', { class: 'field' },
        h('label', { for: id }, 'Fecha en que servicios sociales intervinieron'),
        h('div', { class: 'input-row' }, input, h('button', { type: 'submit', class: 'secondary' }, 'Registrar intervención')),
        h('p', { class: 'field-error', id: `${id}-error`, 'data-field': 'body.interventionOn', hidden: true })),
      h('p', { class: 'hint' }, 'La baja se propone una semana después de esa fecha si sigue sin haber contacto con ella.'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form, general);
      if (!input.value) return showErrors(form, general, { fields: [{ field: 'body.interventionOn', message: 'Indique la fecha.' }] }).focus();
      const res = await api('POST', `/api/contact-loss/cases/${c.id}/intervention`, { interventionOn: input.value });
      if (res.status === 401) return onUnauthorized();
      if (!res.ok) return showErrors(form, general, res.data).focus();
      done(res.data.stage === 'baja_proposed'
        ? `${c.expedienteCode}: intervención registrada. Ya ha pasado una semana sin contacto: la baja queda propuesta.`
        : `${c.expedienteCode}: intervención del ${formatDay(input.value)} registrada.`);
    });
    return form;
  }

  function decision(c) {
    const id = `reason-${c.id}`;
    const general = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const reason = h('textarea', { id, name: 'reason', rows: 2, maxlength: 1000, 'aria-describedby': `${id}-error` });
    const reject = h('form', { class: 'reject-form', novalidate: true },
      h('h3', null, 'Mantenerla en el servicio'),
      general,
      h('div', { class: 'field' }, h('label', { for: id }, 'Motivo para mantenerla en el servicio'), reason,
        h('p', { class: 'field-error', id: `${id}-error`, 'data-field': 'body.reason', hidden: true })),
      h('button', { type: 'submit', class: 'secondary' }, 'Rechazar la baja'),
      h('p', { class: 'hint' }, 'Se avisa de nuevo a servicios sociales, con un plazo nuevo.'));
    reject.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(reject, general);
      // the API decides whether the reason is enough; its message is the one shown
      const res = await api('POST', `/api/contact-loss/cases/${c.id}/decision`, { decision: 'reject', reason: reason.value.trim() });
      if (res.status === 401) return onUnauthorized();
      if (!res.ok) return showErrors(reject, general, res.data).focus();
      done(`${c.expedienteCode}: baja rechazada. Sigue en el servicio y se avisa de nuevo a servicios sociales.`);
    });
    return h('div', { class: 'case-actions decision' },
      h('p', { class: 'decision-note' }, 'El sistema propone la baja; la decisión es suya. Revise el caso antes de decidir.'),
      h('div', { class: 'decision-grid' },
        reject,
        h('div', { class: 'confirm-side' },
          h('h3', null, 'Dar de baja'),
          h('p', null, 'La baja retira la protección del servicio a la persona usuaria.'),
          h('button', { type: 'button', class: 'danger-outline', onclick: () => dialog.open(c) }, 'Confirmar la baja…'))));
  }

  // ---- the list

  function summary(cases) {
    const proposed = cases.filter((c) => c.stage === 'baja_proposed').length;
    const overdue = cases.filter((c) => c.overdue).length;
    const items = [
      [plural(cases.length, 'procedimiento abierto', 'procedimientos abiertos'), ''],
      [plural(proposed, 'baja propuesta', 'bajas propuestas'), proposed ? 'warn' : ''],
      [plural(overdue, 'plazo vencido', 'plazos vencidos'), overdue ? 'danger' : ''],
    ];
    $('anexo-summary').replaceChildren(...items.map(([text, tone]) => h('li', { class: tone || null }, text)));
    $('nav-anexo').textContent = proposed ? String(proposed) : '';
    $('nav-anexo').classList.toggle('alert', proposed > 0);
  }

  async function load() {
    const res = await api('GET', '/api/contact-loss/cases');
    if (res.status === 401) return onUnauthorized();
    setText($('anexo-error'), res.ok ? '' : res.data.message);
    if (!res.ok) return;
    const cases = res.data;
    let tasks = [];
    if (cases.some((c) => c.stage === 'contacting_persons')) {
      const t = await api('GET', '/api/contact-loss/tasks');
      if (t.status === 401) return onUnauthorized();
      if (t.ok) tasks = t.data; else setText($('anexo-error'), t.data.message);
    }
    count = cases.length;
    list.replaceChildren(...cases.map((c) => caseItem(c, tasks)));
    $('anexo-empty').hidden = cases.length > 0;
    summary(cases);
    $('anexo-updated').textContent = `Actualizado a las ${new Date().toLocaleTimeString('es-ES', { hour: '2-digit', minute: '2-digit' })}`;
  }

  const refresh = oneAtATime(load);
  $('anexo-refresh').addEventListener('click', () => { setText($('anexo-status'), ''); void refresh(); });
  return { refresh, get count() { return count; }, get dialogOpen() { return dialog.isOpen; } };
}

/** The deliberate confirmation of a baja: she has to type the expediente code; nothing happens on one click. */
function bajaDialog({ onUnauthorized, onDone }) {
  const el = $('baja-dialog');
  const form = $('baja-form');
  const input = $('baja-confirm-code');
  const submit = $('baja-submit');
  const general = $('baja-error');
  let current = null;
  const matches = () => current?.expedienteCode && input.value.trim().toUpperCase() === current.expedienteCode.toUpperCase();

  input.addEventListener('input', () => { submit.disabled = !matches(); });
  $('baja-back').addEventListener('click', () => el.close());
  el.addEventListener('close', () => { current = null; input.value = ''; submit.disabled = true; clearErrors(form, general); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, general);
    if (!matches()) {
      return showErrors(form, general, { fields: [{ field: 'confirmCode', message: 'El código no coincide con el del expediente.' }] }).focus();
    }
    const c = current;
    submit.disabled = true;
    const res = await api('POST', `/api/contact-loss/cases/${c.id}/decision`, { decision: 'confirm' });
    if (res.status === 401) { el.close(); return onUnauthorized(); }
    if (!res.ok) { submit.disabled = false; return showErrors(form, general, res.data).focus(); }
    el.close();
    onDone(c, c.expedienteCode);
  });

  return {
    get isOpen() { return el.open; },
    open(c) {
      current = c;
      $('baja-code').textContent = c.expedienteCode ?? '—';
      $('baja-round').textContent = String(c.round);
      input.value = '';
      submit.disabled = true;
      clearErrors(form, general);
      el.showModal();
      input.focus();
    },
  };
}
