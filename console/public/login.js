// Sign-in page: password, then the TOTP code when the API asks for it, or the first-time enrolment.
import { api, clearErrors, showErrors } from './api.js';
import { $ } from './dom.js';

const CONSOLE = 'operadora.html';
const COORDINATION = 'coordinacion.html';
/** Each profile to its own screen: operators take calls, coordinators run the agenda and Anexo IV. */
const home = (user) => (user?.role === 'coordinator' ? COORDINATION : user?.role === 'manager' ? 'dashboard.html' : CONSOLE);
const loginForm = $('login-form');
const enrollForm = $('enroll-form');
let enrollmentToken = null;

// already signed in: straight to the console
api('GET', '/api/auth/me').then((r) => { if (r.ok) location.replace(home(r.data)); });

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const general = $('login-error');
  clearErrors(loginForm, general);
  const body = { username: $('username').value.trim(), password: $('password').value };
  const totp = $('totp').value.trim();
  if (totp) body.totpCode = totp;
  const missing = [];
  if (!body.username) missing.push({ field: 'body.username', message: 'Escriba su usuario.' });
  if (!body.password) missing.push({ field: 'body.password', message: 'Escriba su contraseña.' });
  if (missing.length) return showErrors(loginForm, general, { fields: missing }).focus();

  const submit = loginForm.querySelector('button[type=submit]');
  submit.disabled = true;
  const res = await api('POST', '/api/auth/login', body);
  submit.disabled = false;
  if (res.ok && res.data.status === 'ok') return enter(res.data);
  if (res.ok && res.data.status === 'totp_enrollment') return startEnrollment(res.data);
  if (res.data?.reason === 'totp_required') {
    $('totp-field').hidden = false;
    general.textContent = res.data.message;
    general.hidden = false;
    return $('totp').focus();
  }
  $('totp').value = '';
  $('password').value = '';
  showErrors(loginForm, general, res.data);
  $('password').focus();
});

async function enter(data) {
  let user = data.user;
  if (!user) {
    const me = await api('GET', '/api/auth/me');
    user = me.ok ? me.data : null;
  }
  location.replace(home(user));
}

function startEnrollment(data) {
  enrollmentToken = data.enrollmentToken;
  $('enroll-secret').textContent = data.secret.replace(/(.{4})(?=.)/g, '$1 ');
  $('enroll-uri').textContent = data.otpauthUri;
  loginForm.hidden = true;
  enrollForm.hidden = false;
  $('enroll-code').focus();
}

enrollForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const general = $('enroll-error');
  clearErrors(enrollForm, general);
  const totpCode = $('enroll-code').value.replace(/\s+/g, '');
  if (!/^[0-9]{6}$/.test(totpCode)) {
    return showErrors(enrollForm, general, { fields: [{ field: 'body.totpCode', message: 'Escriba los 6 dígitos del código.' }] }).focus();
  }
  const res = await api('POST', '/api/auth/totp/enroll', { enrollmentToken, totpCode });
  if (res.ok && res.data.status === 'ok') return enter(res.data);
  showErrors(enrollForm, general, res.data);
  $('enroll-code').select();
});
