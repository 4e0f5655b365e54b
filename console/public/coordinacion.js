// The coordinator's screen: Anexo IV, the no-contact list, today's agenda and one usuaria's agenda.
import { staffSession } from './api.js';
import { todayPlan, usuariaAgenda } from './agenda.js';
import { lossQueue } from './anexo4.js';
import { $, setText, showSessionExpired } from './dom.js';
import { noContactList } from './no-contact.js';

const REFRESH_MS = 120_000;
let expired = false;

function announce(text) {
  const el = $('announcer');
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 50);
}

function sessionExpired() {
  if (expired) return;
  expired = true;
  // what is on screen stays: she may be reading it; nothing more is sent
  showSessionExpired();
}

/** A panel someone is typing in is not redrawn under her hands. */
function busy(panel) {
  if (panel.contains(document.activeElement) && document.activeElement.matches('input, textarea, select')) return true;
  for (const el of panel.querySelectorAll('input:not([type=radio]), textarea')) if (el.value.trim()) return true;
  return false;
}

async function start() {
  if (!(await staffSession({ $, setText }, ['coordinator'], 'Esta pantalla es para coordinación: su perfil no tiene acceso a ella.'))) return;
  $('coord').hidden = false;

  const noContact = noContactList({ onUnauthorized: sessionExpired });
  let usuaria = null;
  // a change made in one agenda list shows in the other
  const plan = todayPlan({ onUnauthorized: sessionExpired, onChanged: (m) => { announce(m); void usuaria?.refresh(); } });
  const queue = lossQueue({ onUnauthorized: sessionExpired, announce, onChanged: () => { void noContact.refresh(); void plan.refresh(); } });
  usuaria = usuariaAgenda({ onUnauthorized: sessionExpired, onChanged: (m) => { announce(m); void plan.refresh(); } });
  await Promise.all([queue.refresh(), plan.refresh(), noContact.refresh()]);

  // deadlines fall due while the screen is open: it keeps itself current, except where she is working
  setInterval(() => {
    if (expired || document.hidden || queue.dialogOpen) return;
    if (!busy($('anexo'))) void queue.refresh();
    if (!busy($('agenda-hoy'))) void plan.refresh();
    void noContact.refresh();
  }, REFRESH_MS);
}

void start();
