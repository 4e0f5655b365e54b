// The disposition form (tipificación): kind A-D, for C the emergency kind and level, outcome, notes.
import { api, clearErrors, showErrors } from './api.js';
import { $, formatTime, setText } from './dom.js';
import { LINE } from './labels.js';

const DEFAULT_KIND = { emergency: 'C', selftest: 'D' };

/** onFiled(callId, result) runs after the server accepted it. */
export function dispositionForm({ onFiled }) {
  const form = $('disposition-form');
  const general = $('disp-error');
  const done = $('disp-done');
  const emergency = $('emergency-fields');
  let callId = null;

  const kind = () => form.querySelector('input[name=kind]:checked')?.value ?? null;
  const syncEmergency = () => { emergency.hidden = kind() !== 'C'; };
  form.addEventListener('change', (e) => { if (e.target.name === 'kind') syncEmergency(); });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!callId) return;
    clearErrors(form, general);
    const body = { kind: kind() ?? undefined, outcome: $('outcome').value || undefined };
    if (body.kind === 'C') {
      body.emergencyKind = $('emergency-kind').value || undefined;
      const level = form.querySelector('input[name=level]:checked')?.value;
      body.level = level ? Number(level) : undefined;
    }
    const notes = $('notes').value.trim();
    if (notes) body.notes = notes;
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    const filing = callId;
    const res = await api('POST', `/api/calls/${encodeURIComponent(filing)}/disposition`, JSON.parse(JSON.stringify(body)));
    submit.disabled = false;
    if (filing !== callId) return; // another call took the form meanwhile
    if (!res.ok) return showErrors(form, general, res.data).focus();
    markFiled(res.data.incidentId
      ? 'Tipificación guardada. Incidencia abierta y aviso a sus Servicios Sociales registrado.'
      : 'Tipificación guardada.');
    onFiled(filing, res.data);
  });

  function markFiled(text) {
    form.hidden = true;
    setText(done, text);
    done.focus?.();
  }

  return {
    get callId() { return callId; },
    /** Opens the form for a call; the same call keeps what the operator already typed. */
    open(call) {
      $('disp-idle').hidden = true;
      if (call.callId === callId && !form.hidden) return;
      callId = call.callId;
      form.reset();
      clearErrors(form, general);
      const preset = DEFAULT_KIND[call.line] ?? 'A';
      const radio = form.querySelector(`input[name=kind][value="${preset}"]`);
      if (radio) radio.checked = true;
      syncEmergency();
      $('disp-context').textContent = [call.line ? LINE[call.line] : null, call.at ? `llamada de las ${formatTime(call.at)}` : null,
        call.expedienteCode ? `expediente ${call.expedienteCode}` : null].filter(Boolean).join(' · ');
      setText(done, '');
      form.hidden = false;
    },
    /** The call was filed before (another tab, or before a reload). */
    filed(id) {
      if (id !== callId || form.hidden) return;
      markFiled('Esta llamada ya está tipificada.');
    },
    close() {
      callId = null;
      form.hidden = true;
      setText(done, '');
      $('disp-idle').hidden = false;
    },
  };
}
