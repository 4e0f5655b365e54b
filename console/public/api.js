// The API as the pages use it: same origin, session cookie, answers and errors in Spanish.

const NETWORK = 'No se pudo contactar con el servidor. Compruebe la conexión y vuelva a intentarlo.';

/** Resolves to { ok, status, data }; never throws, so every caller shows what went wrong. */
export async function api(method, url, body) {
  let res;
  try {
    res = await fetch(url, {
      method, credentials: 'same-origin', cache: 'no-store',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, data: { message: NETWORK } };
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok && !data?.message) data = { ...(data ?? {}), message: fallbackMessage(res.status) };
  return { ok: res.ok, status: res.status, data };
}

function fallbackMessage(status) {
  if (status === 401) return 'La sesión ha caducado. Inicie sesión de nuevo.';
  if (status === 403) return 'No tiene permiso para esta acción.';
  if (status === 429) return 'Demasiados intentos. Espere un momento.';
  if (status >= 500) return 'Error del servidor. Vuelva a intentarlo; si persiste, avise a coordinación.';
  return 'No se pudo completar la operación.';
}

/**
 * Shows an API error in a form: each `fields[].field` (like `body.level`) next to the element with
 * that `data-field`, the rest in the form's general error. Returns the first element to focus.
 */
export function showErrors(form, general, data) {
  clearErrors(form, general);
  const byField = new Map();
  for (const f of data?.fields ?? []) {
    const list = byField.get(f.field) ?? [];
    if (f.message && !list.includes(f.message)) list.push(f.message);
    byField.set(f.field, list);
  }
  if (data?.field && !byField.has(data.field)) byField.set(data.field, [data.message]);
  let first = null;
  let placed = 0;
  for (const [field, messages] of byField) {
    const holder = form.querySelector(`.field-error[data-field="${CSS.escape(field)}"]`);
    if (!holder) continue;
    holder.textContent = capitalise(messages.join(' · ') || 'Revise este campo.');
    holder.hidden = false;
    placed++;
    const input = form.querySelector(`[name="${CSS.escape(field.split('.').pop())}"]`);
    if (input) {
      for (const el of form.querySelectorAll(`[name="${CSS.escape(input.name)}"]`)) el.setAttribute('aria-invalid', 'true');
      first ??= input;
    }
  }
  if (placed < byField.size || byField.size === 0) {
    general.textContent = data?.message ?? 'No se pudo completar la operación.';
    general.hidden = false;
  }
  return first ?? general;
}

export function clearErrors(form, general) {
  for (const el of form.querySelectorAll('.field-error')) { el.textContent = ''; el.hidden = true; }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  general.textContent = '';
  general.hidden = true;
}

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Signs a staff page in: back to the sign-in page without a session, operators to their console,
 * the user's name and the sign-out button wired. Resolves to her profile, or null when the page
 * must stop (the reason is in the session banner).
 */
export async function staffSession({ $, setText }, roles, refusal) {
  const me = await api('GET', '/api/auth/me');
  if (me.status === 401) { location.replace('./'); return null; }
  if (!me.ok) { setText($('session-banner'), me.data.message); return null; }
  if (me.data.role === 'operator') { location.replace('operadora.html'); return null; }
  $('who').textContent = me.data.displayName;
  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/auth/logout');
    location.replace('./');
  });
  if (!roles.includes(me.data.role)) { setText($('session-banner'), refusal); return null; }
  return me.data;
}
