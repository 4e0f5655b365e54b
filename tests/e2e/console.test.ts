import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { generate } from 'otplib';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../access/secrets.ts';
import { technicalRepo } from '../../store/technical.repo.ts';
import { usersRepo } from '../../store/users.repo.ts';
import { registerTwilio, twilioConfigFrom } from '../../telephony/twilio/index.ts';
import { openBrowser, requireChromium, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { altaBody, bearer, createCentre, PASSWORD, signIn, startTestApp, type TestApp } from '../helpers/app.ts';


// Twilio signs the public URL; plain http keeps the session cookie usable on 127.0.0.1
const BASE = 'http://voz.centro.test';
const ACCOUNT = `AC${'0'.repeat(31)}7`;
const AUTH = 'token-e2e-0123456789abcdef';
const EMERGENCY_LINE = '+34900100100';
const GENERAL_LINE = '+34900100200';
const DEVICE = 'sip:op-e2e@10.0.0.9';

let t: TestApp;
let origin: string;
let context: BrowserContext;
let page: Page;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let operator: { username: string; id: string };
let usuaria: { usuariaId: string; expedienteCode: string; msisdn: string };

beforeAll(async () => {
  requireChromium();
  t = await startTestApp({ publicBaseUrl: BASE, twilio: { accountSid: ACCOUNT, authToken: AUTH, apiBaseUrl: 'http://127.0.0.1:9' } }, {
    // the composition root plugs Twilio in when an account is configured; register it here only if it did not
    async beforeReady(app, { config, clock, redis, cipher }) {
      if (app.hasRoute({ method: 'POST', url: '/twilio/voice/incoming' })) return;
      await registerTwilio(app, { inbound: app.telephony.inbound, config: twilioConfigFrom(config)!, clock, redis,
        prefix: config.redisPrefix, cipher });
    },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;

  const coordinator = (await signIn(t, 'coordinator')).token;
  const centre = await createCentre(t.pool);
  const body = altaBody(centre.id);
  const alta = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coordinator), payload: body });
  expect(alta.statusCode, alta.body).toBe(201);
  usuaria = { ...alta.json(), msisdn: body.terminal.msisdn };
  const username = `op-e2e-${randomBytes(3).toString('hex')}`;
  const user = await usersRepo(t.pool).create({ username, displayName: 'Operadora Turno Mañana', role: 'operator',
    passwordHash: await hashPassword(PASSWORD), deviceUri: DEVICE });
  operator = { username, id: user.id };

  browser = await openBrowser('Europe/Madrid');
  ({ context, page } = browser);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** A webhook as Twilio sends it: a form body signed with the real SDK over the public URL. */
async function twilioWebhook(route: string, params: Record<string, string>) {
  const signature = twilio.getExpectedTwilioSignature(AUTH, `${BASE}${route}`, params);
  const res = await fetch(`${origin}${route}`, { method: 'POST', body: new URLSearchParams(params),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } });
  return { status: res.status, body: await res.text() };
}

const newSid = () => `CA${randomBytes(16).toString('hex')}`;
const incoming = (sid: string, from: string, to: string) =>
  twilioWebhook('/twilio/voice/incoming', { AccountSid: ACCOUNT, CallSid: sid, From: from, To: to, CallStatus: 'ringing', Direction: 'inbound' });
const callStatus = (sid: string, status: string, seq: number) =>
  twilioWebhook('/twilio/voice/status', { AccountSid: ACCOUNT, CallSid: sid, CallStatus: status, SequenceNumber: String(seq) });

async function screenshot(name: string): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  expect((await stat(file)).size).toBeGreaterThan(10_000);
  return file;
}

describe('console pages', () => {
  it('serves the console under /consola/ with strict headers, and / leads to it', async () => {
    const root = await t.app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/consola/');
    expect((await t.app.inject({ method: 'GET', url: '/consola' })).headers.location).toBe('/consola/');
    const html = await t.app.inject({ method: 'GET', url: '/consola/' });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.headers['content-security-policy']).toContain("default-src 'self'");
    expect(html.headers['content-security-policy']).toContain("connect-src 'self' ws: wss:");
    expect(html.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(html.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    const script = await t.app.inject({ method: 'GET', url: '/consola/app.js' });
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    // the API keeps its own headers
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).headers['content-security-policy']).toBeUndefined();
  });
});

describe('operator console in a browser', () => {
  let sid: string;
  const pop = () => page.locator('#pop');
  const errors: string[] = [];

  it('signs the operator in and sets her available', async () => {
    page.on('pageerror', (e) => errors.push(e.message));
    // a CSP violation or a script error shows here; 4xx answers the pages handle (a wrong password, the
    // deliberate incomplete disposition) are only the browser's own network log
    page.on('console', (m) => { if (m.type() === 'error' && !/responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });

    await page.goto(`${origin}/`);
    await expect.poll(() => page.url()).toBe(`${origin}/consola/`);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await expect.poll(() => page.locator('#username-error').textContent()).toBe('Escriba su usuario.');
    await page.getByLabel('Usuario').fill(operator.username);
    await page.getByLabel('Contraseña').fill('contraseña-equivocada');
    await page.getByRole('button', { name: 'Entrar' }).click();
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('Usuario o contraseña incorrectos');

    await page.getByLabel('Contraseña').fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(`${origin}/consola/operadora.html`);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('Conectada');
    expect(await page.locator('#who').textContent()).toBe('Operadora Turno Mañana');

    await page.getByRole('button', { name: 'Disponible' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Disponible' }).getAttribute('aria-pressed')).toBe('true');
    expect(await t.app.telephony.inbound.desk.presence(operator.id)).toBe('available');
  });

  it('drops a message it has already seen (same id), as a reconnect or a second instance could repeat it', async () => {
    const publish = (message: Record<string, unknown>) => t.redis.publish(`${t.config.redisPrefix}:screenpop`,
      JSON.stringify({ operatorId: operator.id, message: { at: new Date().toISOString(), ...message } }));
    const pressed = () => page.locator('[data-presence][aria-pressed="true"]').textContent();
    await publish({ id: 'mensaje-1', type: 'presence', presence: 'away' });
    await publish({ id: 'mensaje-2', type: 'presence', presence: 'wrap_up' });
    await expect.poll(pressed).toBe('Tras llamada');
    await publish({ id: 'mensaje-1', type: 'presence', presence: 'away' });
    await page.waitForTimeout(300);
    expect(await pressed()).toBe('Tras llamada');
    await page.getByRole('button', { name: 'Disponible' }).click();
    await expect.poll(pressed).toBe('Disponible');
  });

  it('pops her file when a signed Twilio webhook brings an emergency call from her terminal', async () => {
    sid = newSid();
    const res = await incoming(sid, usuaria.msisdn, EMERGENCY_LINE);
    expect(res.status).toBe(200);
    expect(res.body).toContain(`>${DEVICE}</Sip>`);

    await pop().locator('.expediente').waitFor();
    expect(await pop().locator('.expediente').textContent()).toContain(usuaria.expedienteCode);
    expect(await pop().locator('.name').textContent()).toBe('Lucía Prueba Sintética');
    expect(await pop().locator('.risk').textContent()).toBe('Riesgo: Medio');
    expect(await page.locator('.call-banner.emergency').textContent()).toContain('EMERGENCIA');
    // the sections in the order DOMAIN.md fixes
    expect(await pop().locator('.card h3').allTextContents()).toEqual(['Ubicación', 'Núcleo convivencial · 1 menor en riesgo',
      'Salud', 'Personas de contacto (por prioridad)', 'Recursos de emergencia', 'Agresor', 'Incidencias abiertas',
      'Últimas llamadas', 'Próxima llamada prevista', 'Última posición del terminal']);
    expect(await pop().textContent()).toContain('Calle Inventada 12, 3º B');
    expect(await pop().locator('.minor-risk').textContent()).toContain('Hija Ficticia');
    expect(await pop().textContent()).toContain('Tiene llaves');
    expect(await pop().textContent()).toContain('915 550 001');
    expect(await pop().textContent()).toContain('Turismo gris 0000-XXX');
    expect(await pop().textContent()).toContain('Sin posición');
    // focus moved to the pop; her data is in neither the title nor the address
    expect(await page.evaluate('document.activeElement?.id')).toBe('pop');
    expect(await page.title()).not.toMatch(/Lucía|Prueba|VG-/);
    expect(page.url()).toBe(`${origin}/consola/operadora.html`);
  });

  it('reconnects when the connection drops and catches up with what it missed meanwhile', async () => {
    for (const client of t.app.websocketServer.clients) client.terminate();
    // she answers while the console is cut off: only the reconnect's state can tell it
    expect((await callStatus(sid, 'in-progress', 2)).status).toBe(204);
    await expect.poll(() => page.locator('.banner-state').textContent()).toBe('En curso');
    await expect.poll(() => page.locator('#connection').textContent()).toBe('Conectada');
    expect(t.app.websocketServer.clients.size).toBe(1);
    expect(await pop().locator('.expediente').textContent()).toContain(usuaria.expedienteCode);
    await screenshot('consola-emergencia.png');
  });

  it('opens her whole ficha in a panel', async () => {
    await page.getByRole('button', { name: 'Abrir ficha completa' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ficha completa' });
    await expect.poll(() => dialog.textContent()).toContain('Polígono Ficticio 4');
    expect(await dialog.textContent()).toContain('Carmen Vecina Ficticia');
    await screenshot('consola-ficha.png');
    await dialog.getByRole('button', { name: 'Cerrar' }).click();
    expect(await dialog.isVisible()).toBe(false);
    const audit = await t.pool.query(`select actor_id from audit_log where action = 'ficha.read' and usuaria_id = $1`, [usuaria.usuariaId]);
    expect(audit.rows).toEqual([{ actor_id: operator.id }]);
  });

  it('gets the call back after a reload in the middle of it', async () => {
    await page.reload();
    await pop().locator('.expediente').waitFor();
    expect(await pop().locator('.expediente').textContent()).toContain(usuaria.expedienteCode);
    expect(await pop().locator('.name').textContent()).toBe('Lucía Prueba Sintética');
    expect(await page.locator('.call-banner.emergency').textContent()).toContain('EMERGENCIA');
    expect(await page.locator('.banner-state').textContent()).toBe('En curso');
    await expect.poll(() => page.getByRole('button', { name: 'Ocupada' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('files the emergency: API errors next to their field, then the incident and the notice to social services', async () => {
    const form = page.locator('#disposition-form');
    expect(await form.getByRole('radio', { name: 'C Emergencia' }).isChecked()).toBe(true);
    await form.getByLabel('Tipo de emergencia').selectOption('prealarma');
    await form.getByLabel('Resultado').selectOption('atendida');
    await form.getByLabel('Notas').fill('Agresor en el portal; patrulla avisada');
    await form.getByRole('button', { name: 'Guardar tipificación' }).click();
    await expect.poll(() => page.locator('#err-level').textContent()).toBe('Obligatorio en una emergencia.');
    expect(await page.locator('#err-emergencyKind').isVisible()).toBe(false);
    expect(await form.getByLabel('Movilización de recursos').getAttribute('aria-invalid')).toBe('true');

    await form.getByLabel('Movilización de recursos').check();
    await form.getByRole('button', { name: 'Guardar tipificación' }).click();
    await expect.poll(() => page.locator('#disp-done').textContent()).toContain('Incidencia abierta');

    const { rows: [call] } = await t.pool.query(`select id, kind, disposition from call_attempts where provider = 'twilio' and provider_call_id = $1`, [sid]);
    expect(call).toMatchObject({ kind: 'C', disposition: { kind: 'C', emergencyKind: 'prealarma', level: 2, outcome: 'atendida' } });
    const incident = await t.pool.query(`select id, kind, level, status, usuaria_id from incidents where call_attempt_id = $1`, [call.id]);
    expect(incident.rows).toEqual([{ id: expect.any(String), kind: 'prealarma', level: 2, status: 'open', usuaria_id: usuaria.usuariaId }]);
    const outbox = await t.pool.query(`select payload from outbox where kind = 'emergency_notice' and usuaria_id = $1`, [usuaria.usuariaId]);
    expect(outbox.rows).toEqual([{ payload: expect.objectContaining({ incidentId: incident.rows[0].id, emergencyKind: 'prealarma', level: 2,
      expedienteCode: usuaria.expedienteCode }) }]);
  });

  it('follows the end of the call into wrap-up and lists it as filed', async () => {
    expect((await callStatus(sid, 'completed', 3)).status).toBe(204);
    await expect.poll(() => page.locator('.banner-state').textContent()).toContain('Llamada finalizada');
    await expect.poll(() => page.getByRole('button', { name: 'Tras llamada' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => page.locator('#recent-body tr').first().textContent()).toContain('Hecha');
    expect(await page.locator('#recent-body tr').first().textContent()).toContain(usuaria.expedienteCode);
  });

  it('pops an unknown number as unknown on the next call, after she is available again', async () => {
    await page.getByRole('button', { name: 'Disponible' }).click();
    await page.locator('#call-idle').waitFor();
    const unknown = newSid();
    expect((await incoming(unknown, '+34611999888', GENERAL_LINE)).status).toBe(200);
    await expect.poll(() => page.locator('.caller-label').textContent()).toBe('Número desconocido');
    expect(await page.locator('.caller-number').textContent()).toBe('611 999 888');
    expect(await page.locator('.call-banner').textContent()).toContain('Línea general');
    expect(await page.locator('.call-banner.emergency').count()).toBe(0);
    expect(await page.locator('#disposition-form').getByRole('radio', { name: 'A Entrante' }).isChecked()).toBe(true);
    await screenshot('consola-desconocido.png');
  });

  it('lists the technical tasks, opens her ficha from one, and marks them done, one already done by someone else', async () => {
    const { rows: [terminal] } = await t.pool.query('select id from terminals where msisdn = $1', [usuaria.msisdn]);
    const repo = technicalRepo(t.pool);
    const overdue = (await repo.insertTask({ terminalId: terminal.id, usuariaId: usuaria.usuariaId, incidentId: null, controlCallId: null,
      kind: 'selftest_overdue', at: new Date(t.clock.now().getTime() - 3_600_000) }))!;
    const noTestCall = (await repo.insertTask({ terminalId: terminal.id, usuariaId: usuaria.usuariaId, incidentId: null, controlCallId: null,
      kind: 'control_no_test_call', at: t.clock.now() }))!;
    await page.locator('#tasks-refresh').click();
    const rows = page.locator('#tasks-body tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain('Autochequeo del terminal no recibido');
    expect(await rows.nth(0).textContent()).toContain(usuaria.expedienteCode);
    expect(await rows.nth(1).textContent()).toContain('Llamada de control sin llamada de prueba del terminal');
    expect(await page.locator('#tasks-count').textContent()).toBe('(2)');

    await rows.nth(0).getByRole('button', { name: /Ver la ficha/ }).click();
    await expect.poll(() => page.locator('#ficha-dialog').getAttribute('open')).not.toBeNull();
    await expect.poll(() => page.locator('#ficha-body').textContent()).toContain(usuaria.expedienteCode);
    await page.locator('#ficha-close').click();

    // another operator does the second one from her own console first
    const other = (await signIn(t, 'operator')).token;
    expect((await t.app.inject({ method: 'POST', url: `/api/technical/tasks/${noTestCall}/done`, headers: bearer(other) })).statusCode).toBe(204);
    await rows.nth(1).getByRole('button', { name: /Marcar hecha/ }).click();
    await expect.poll(() => page.locator('#tasks-status').textContent()).toBe('Otra persona ya la había marcado como hecha.');
    await expect.poll(() => rows.count()).toBe(1);

    await rows.nth(0).getByRole('button', { name: /Marcar hecha/ }).click();
    await expect.poll(() => page.locator('#tasks-empty').isVisible()).toBe(true);
    expect(await page.locator('#tasks-table').isVisible()).toBe(false);
    const { rows: done } = await t.pool.query('select id, status, done_by from technical_tasks where id = any($1) order by created_at',
      [[overdue, noTestCall]]);
    expect(done).toEqual([{ id: overdue, status: 'done', done_by: operator.id }, { id: noTestCall, status: 'done', done_by: expect.any(String) }]);
    expect(done[1].done_by).not.toBe(operator.id);
    const { rows: audit } = await t.pool.query(`select actor_id from audit_log where action = 'technical_task.done' and detail->>'taskId' = $1`,
      [overdue]);
    expect(audit).toEqual([{ actor_id: operator.id }]);
    await screenshot('consola-tareas-tecnicas.png');
  });

  it('signs out, and walks a coordinator through her first TOTP enrolment and then the TOTP code', async () => {
    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await page.waitForURL(`${origin}/consola/`);
    const username = `coord-e2e-${randomBytes(3).toString('hex')}`;
    await usersRepo(t.pool).create({ username, displayName: 'Coordinadora', role: 'coordinator', passwordHash: await hashPassword(PASSWORD) });
    const signInAs = async () => {
      await page.getByLabel('Usuario').fill(username);
      await page.getByLabel('Contraseña').fill(PASSWORD);
      await page.getByRole('button', { name: 'Entrar' }).click();
    };
    const code = () => generate({ secret, epoch: Math.floor(t.clock.now().getTime() / 1000) });

    await signInAs();
    await page.locator('#enroll-form').waitFor();
    const secret = (await page.locator('#enroll-secret').textContent())!.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(await page.locator('#enroll-uri').textContent()).toMatch(/^otpauth:\/\/totp\//);
    await screenshot('consola-alta-totp.png');
    await page.getByLabel('Código de 6 dígitos').fill(await code());
    await page.getByRole('button', { name: 'Confirmar y entrar' }).click();
    // the console is for operators: a coordinator goes to her own screen, and gets no presence
    await page.waitForURL(`${origin}/consola/coordinacion.html`);
    expect(await page.locator('[data-presence]').count()).toBe(0);

    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await page.waitForURL(`${origin}/consola/`);
    await signInAs();
    await expect.poll(() => page.locator('#login-error').textContent()).toBe('Introduzca el código de verificación (TOTP).');
    expect(await page.evaluate('document.activeElement?.id')).toBe('totp');
    t.clock.advance(30_000); // a code is good once: the next one
    await page.getByLabel('Código de verificación').fill(await code());
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(`${origin}/consola/coordinacion.html`);
    await expect.poll(() => page.locator('#who').textContent()).toBe('Coordinadora');
  });

  it('ran without a script error or a Content-Security-Policy violation', () => {
    expect(errors).toEqual([]);
  });
});
