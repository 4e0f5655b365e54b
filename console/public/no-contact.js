// "Sin contacto desde hace N días": usuarias with a failed follow-up and no contact for N days or more.
import { api } from './api.js';
import { $, fillTable, formatDay, h, oneAtATime, setText } from './dom.js';
import { LOSS_STAGE, label } from './labels.js';

const DAY_MS = 86_400_000;

export function noContactList({ onUnauthorized }) {
  let days = Number(document.querySelector('input[name="nc-days"]:checked')?.value ?? 7);

  function since(value) {
    if (!value) return h('span', { class: 'muted' }, 'Nunca');
    const n = Math.floor((Date.now() - new Date(value).getTime()) / DAY_MS);
    return [h('span', { class: 'nowrap' }, formatDay(value)), h('span', { class: 'sub muted' }, `hace ${n} ${n === 1 ? 'día' : 'días'}`)];
  }

  const row = (r) => h('tr', null,
    h('td', null, h('span', { class: 'mono nowrap' }, r.expedienteCode),
      r.stage ? h('span', { class: 'sub' }, h('span', { class: `stage stage-${r.stage} small` }, label(LOSS_STAGE, r.stage)))
        : h('span', { class: 'sub muted' }, 'Sin procedimiento abierto')),
    h('td', null, since(r.lastContactAt)),
    h('td', { class: 'num' }, String(r.failedOccasions)));

  async function load() {
    const asked = days;
    const res = await api('GET', `/api/contact-loss/no-contact?days=${asked}`);
    if (res.status === 401) return onUnauthorized();
    if (asked !== days) return; // another choice was made meanwhile
    setText($('nc-error'), res.ok ? '' : res.data.message);
    if (!res.ok) return;
    fillTable('nc', res.data.map(row));
    $('nc-empty').textContent = `Ninguna usuaria lleva ${days} días o más sin contacto.`;
    $('nav-nc').textContent = res.data.length ? String(res.data.length) : '';
  }

  const refresh = oneAtATime(load);

  for (const radio of document.querySelectorAll('input[name="nc-days"]')) {
    radio.addEventListener('change', () => {
      days = Number(radio.value);
      $('nc-days').textContent = String(days);
      void load();
    });
  }
  $('nc-refresh').addEventListener('click', () => void refresh());
  return { refresh };
}
