// The operator console: presence, the live call and its pop, the disposition, recent calls, technical tasks.
import { api } from './api.js';
import { dispositionForm } from './disposition.js';
import { fichaPanel } from './ficha.js';
import { $, h, setText, showSessionExpired } from './dom.js';
import { CALL_STATE, LINE, label } from './labels.js';
import { connectLive } from './live.js';
import { renderPop } from './pop.js';
import { recentCalls } from './recent.js';
import { technicalTasks } from './tasks.js';

const TITLE = 'ATENPRO · Consola de operadora';
const state = { presence: 'offline', call: null, filed: new Set() };
const ficha = fichaPanel();
const disposition = dispositionForm({
  onFiled: (callId) => {
    state.filed.add(callId);
    void recent.refresh();
    // an earlier call was filed from the list: the form goes back to the call on screen
    if (state.call && !state.filed.has(state.call.callId)) disposition.open(state.call);
  },
});
const recent = recentCalls({
  onFile: (call) => disposition.open(call),
  onLoaded: (rows) => {
    for (const r of rows) if (r.filed) state.filed.add(r.id);
    if (!state.call || !state.filed.has(state.call.callId)) return;
    // a call restored after a reload that has ended and been filed is done: her data leaves the screen
    if (state.call.restored && state.call.ended) clearCall();
    else disposition.filed(state.call.callId);
  },
  onUnauthorized: () => sessionExpired(),
});
const tasks = technicalTasks({ onOpenFicha: (usuariaId) => void ficha.open(usuariaId), onUnauthorized: () => sessionExpired() });
let live = null;

function announce(text) {
  const el = $('announcer');
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 50);
}

function sessionExpired() {
  // the pop stays on screen: she may still be talking to the caller
  showSessionExpired();
  live?.close();
}

// ---- presence

function setPresence(presence) {
  state.presence = presence;
  for (const button of document.querySelectorAll('[data-presence]')) {
    button.setAttribute('aria-pressed', String(button.dataset.presence === presence));
  }
  if (presence === 'available' && state.call && (state.call.ended || state.filed.has(state.call.callId))) clearCall();
}

async function choosePresence(presence) {
  setText($('presence-error'), '');
  const res = await api('POST', '/api/console/presence', { presence });
  if (res.status === 401) return sessionExpired();
  if (!res.ok) return setText($('presence-error'), res.data.message);
  setPresence(res.data.presence);
}

// ---- the call

function renderBanner() {
  const call = state.call;
  const emergency = call.line === 'emergency';
  const status = call.ended ? `Llamada finalizada · ${label(CALL_STATE, call.state)}` : label(CALL_STATE, call.state);
  $('call-active').classList.toggle('is-emergency', emergency);
  $('call-banner').className = `call-banner${emergency ? ' emergency' : ''}${call.ended ? ' ended' : ''}`;
  $('call-banner').replaceChildren(
    h('span', { class: 'banner-line' }, emergency ? 'EMERGENCIA' : label(LINE, call.line)),
    h('span', { class: 'banner-state' }, status));
  document.title = `${emergency ? 'EMERGENCIA' : 'Llamada'} · ${TITLE}`;
}

function renderCall() {
  const call = state.call;
  $('call-idle').hidden = true;
  $('call-active').hidden = false;
  renderBanner();
  $('pop').replaceChildren(call.pop
    ? renderPop(call.pop, (usuariaId) => void ficha.open(usuariaId))
    : h('p', { class: 'degraded' }, 'Los datos de esta llamada no están disponibles en la consola. Atienda con el número.'));
}

function clearCall() {
  state.call = null;
  ficha.close();
  disposition.close();
  $('pop').replaceChildren();
  $('call-active').hidden = true;
  $('call-idle').hidden = false;
  document.title = TITLE;
}

/** Any call message (live or the reconnect's `current`) brings the screen to that call. */
function showCall(m, { arrived, restored = false }) {
  const same = state.call?.callId === m.callId;
  const pop = m.pop ?? (same ? state.call.pop : null);
  state.call = {
    callId: m.callId, line: m.line ?? pop?.line ?? (same ? state.call.line : null), pop, at: same ? state.call.at : m.at,
    state: m.type === 'call.offered' ? 'offered' : m.state ?? 'in_progress',
    ended: m.type === 'call.ended' || (same && state.call.ended), expedienteCode: pop?.expedienteCode ?? null,
    restored: restored || (same && state.call.restored),
  };
  if (!same || m.pop) renderCall(); else renderBanner();
  disposition.open(state.call);
  if (state.filed.has(m.callId)) disposition.filed(m.callId);
  if (arrived && !same) {
    $('pop').focus();
    announce(state.call.line === 'emergency' ? 'Llamada de EMERGENCIA entrante.' : 'Llamada entrante.');
  }
}

function onMessage(m, { fresh }) {
  switch (m.type) {
    case 'state':
      if (m.presence) setPresence(m.presence);
      if (m.current?.callId) showCall(m.current, { arrived: fresh, restored: true });
      else if (state.call) clearCall();
      void recent.refresh();
      void tasks.refresh();
      break;
    case 'presence':
      setPresence(m.presence);
      if (m.reason === 'missed') announce('Su teléfono no contestó: su estado pasa a Ausente.');
      break;
    case 'call.offered':
    case 'call.state':
      showCall(m, { arrived: true });
      setPresence('busy'); // the desk made her busy when it gave her the call; no separate message says so
      if (m.type === 'call.state') void recent.refresh();
      break;
    case 'call.ended':
      showCall(m, { arrived: false });
      if (m.presence) setPresence(m.presence);
      void recent.refresh();
      break;
  }
}

function onStatus(status, delayMs) {
  const el = $('connection');
  el.dataset.state = status;
  el.textContent = status === 'open' ? 'Conectada'
    : status === 'retrying' ? `Sin conexión · reintento en ${Math.max(1, Math.round(delayMs / 1000))} s` : 'Conectando…';
}

async function start() {
  const me = await api('GET', '/api/auth/me');
  if (me.status === 401) return location.replace('./');
  if (!me.ok) return setText($('session-banner'), me.data.message);
  if (me.data.role === 'coordinator') return location.replace('coordinacion.html');
  if (me.data.role === 'manager') return location.replace('dashboard.html');
  $('who').textContent = me.data.displayName;
  $('logout').addEventListener('click', async () => {
    live?.close();
    await api('POST', '/api/auth/logout');
    location.replace('./');
  });
  if (me.data.role !== 'operator') {
    setText($('session-banner'), 'La consola de llamadas es para operadoras: su perfil no recibe llamadas.');
    for (const b of document.querySelectorAll('[data-presence]')) b.disabled = true;
    return;
  }
  for (const button of document.querySelectorAll('[data-presence]')) {
    button.addEventListener('click', () => void choosePresence(button.dataset.presence));
  }
  live = connectLive({
    onMessage, onStatus,
    shouldRetry: async () => {
      const r = await api('GET', '/api/auth/me');
      if (r.status === 401) { sessionExpired(); return false; }
      return true;
    },
  });
  void recent.refresh();
  void tasks.refresh();
}

void start();
