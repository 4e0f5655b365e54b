import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import { type BrowserContext, type Locator, type Page } from 'playwright-core';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../access/secrets.ts';
import { contactLossService, SYSTEM_ACTOR, type ContactLossService } from '../../dialer/contact-loss/index.ts';
import { agendaRepo } from '../../store/agenda.repo.ts';
import { withTransaction } from '../../store/db.ts';
import { usersRepo } from '../../store/users.repo.ts';
import { openBrowser, requireChromium, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { altaBody, bearer, createCentre, PASSWORD, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

const ZONE = 'Europe/Madrid';
const DAY = 86_400_000;

let t: TestApp;
let origin: string;
let context: BrowserContext;
let page: Page;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let service: ContactLossService;
let coordinatorToken: string;
let centreId: string;
let coordinator: { username: string; id: string };

interface Usuaria { usuariaId: string; expedienteCode: string }
/** P: a proposed baja; V: social services notified, deadline passed; C: contact persons being called; N: 10 days without contact. */
const u = {} as Record<'P' | 'V' | 'C' | 'N' | 'A' | 'K', Usuaria>;
const cases = {} as Record<'P' | 'V' | 'C', string>;
/** Her agenda (A, Madrid) and one in Canary time (K). */
const items = {} as Record<'move' | 'cancel' | 'canary', string>;
let today: DateTime;
let offDay: DateTime;                     // a weekday A did not agree to

const now = () => t.clock.now();
const isoDay = (d: DateTime) => d.toISODate()!;

async function alta(over: Record<string, unknown> = {}, contacts: object[] = []): Promise<Usuaria> {
  const requestedOn = isoDay(DateTime.fromJSDate(now(), { zone: ZONE }).minus({ days: 90 }));
  const altaOn = isoDay(DateTime.fromJSDate(now(), { zone: ZONE }).minus({ days: 88 }));
  const body = altaBody(centreId, { contacts,
    expediente: { centreId, altaType: 'ordinaria', requestedOn, altaOn, telematicControlOrder: false }, ...over });
  const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coordinatorToken), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Three failed follow-up occasions a fortnight apart, the last at `lastAt`, as the dialer records them: Anexo IV opens. */
async function lostContact(usuariaId: string, lastAt: Date): Promise<string> {
  let opened: string | null = null;
  for (const back of [30, 15, 0]) {
    const at = new Date(lastAt.getTime() - back * DAY);
    const result = await withTransaction(t.pool, async (tx) => {
      await tx.query(`insert into followup_occasions (usuaria_id, kind, planned_on, status, closed_at, closed_by)
        values ($1, 'followup', $2, 'failed', $3, $4)`, [usuariaId, isoDay(DateTime.fromJSDate(at, { zone: ZONE })), at, SYSTEM_ACTOR]);
      return service.onOccasionFailed(tx, usuariaId, at);
    });
    opened = result.opened?.id ?? opened;
  }
  expect(opened).not.toBeNull();
  return opened!;
}

/** A planned call in her agenda, as the planner writes it. */
async function planned(usuariaId: string, kind: 'followup' | 'reminder', from: DateTime, to: DateTime, attempt = 1): Promise<string> {
  const repo = agendaRepo(t.pool);
  const occasion = await repo.openOccasion(usuariaId, kind, isoDay(from));
  const item = await repo.insertItem({ usuariaId, kind, occasionId: occasion.id, attempt, plannedOn: isoDay(from),
    notBefore: from.toJSDate(), notAfter: to.toJSDate(), createdBy: SYSTEM_ACTOR, note: kind === 'reminder' ? 'Cita en el juzgado' : null });
  return item.id;
}

const stageOf = async (caseId: string) =>
  (await t.pool.query('select stage from contact_loss_cases where id = $1', [caseId])).rows[0].stage as string;

beforeAll(async () => {
  requireChromium();
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  service = contactLossService({ pool: t.pool, clock: t.clock, config: { replyDays: t.config.dialer.replyDays } });
  coordinatorToken = (await signIn(t, 'coordinator')).token;
  centreId = (await createCentre(t.pool)).id;

  // ---- Anexo IV: a proposed baja (P), an overdue notice to social services (V), calls to contact persons (C)
  u.P = await alta();
  u.V = await alta();
  u.C = await alta({}, [
    { priority: 2, fullName: 'Hermana Ficticia', relationship: 'hermana', phone1: '633445566', holdsKeys: false, consentOn: '2026-08-01' },
    { priority: 1, fullName: 'Carmen Vecina Ficticia', relationship: 'vecina', phone1: '622334455', holdsKeys: true, consentOn: '2026-08-01' },
  ]);
  u.N = await alta();
  // P: opened 12 days ago with nobody to call, so social services were told at once; 7 days later, no reply: proposed
  const openedP = new Date(now().getTime() - 12 * DAY);
  cases.P = await lostContact(u.P.usuariaId, openedP);
  expect(await service.tick(new Date(openedP.getTime() + 7 * DAY + 3_600_000))).toEqual([{ caseId: cases.P, to: 'baja_proposed' }]);
  // V: told 9 days ago; the reply deadline passed 2 days ago and no tick has run since: overdue until someone acts
  cases.V = await lostContact(u.V.usuariaId, new Date(now().getTime() - 9 * DAY));
  cases.C = await lostContact(u.C.usuariaId, new Date(now().getTime() - 2 * DAY));
  expect([await stageOf(cases.P), await stageOf(cases.V), await stageOf(cases.C)])
    .toEqual(['baja_proposed', 'social_services_notified', 'contacting_persons']);
  // N: one failed follow-up, and she last spoke with the centre 10 days ago
  await t.pool.query('update usuarias set last_communication_at = $2 where id = $1', [u.N.usuariaId, new Date(now().getTime() - 10 * DAY)]);
  await withTransaction(t.pool, async (tx) => {
    await tx.query(`insert into followup_occasions (usuaria_id, kind, planned_on, status, closed_at, closed_by)
      values ($1, 'followup', $2, 'failed', $3, $4)`, [u.N.usuariaId, isoDay(DateTime.fromJSDate(now(), { zone: ZONE })), new Date(now().getTime() - DAY), SYSTEM_ACTOR]);
  });

  // ---- the agenda: A in Madrid (every day but one, 08:00-22:00), K in Las Palmas (09:00-13:00 Canary time)
  today = DateTime.fromJSDate(now(), { zone: ZONE }).startOf('day');
  offDay = today.plus({ days: 3 });
  const agreed = [1, 2, 3, 4, 5, 6, 7].filter((d) => d !== offDay.weekday);
  u.A = await alta({ agendaPolicy: { frequency: 'quincenal', weekdays: agreed, windowFrom: '08:00', windowTo: '22:00' } });
  u.K = await alta({ location: { address: 'Calle Inventada 1', municipality: 'Telde', provinceCode: '35' },
    agendaPolicy: { frequency: 'mensual', weekdays: [1, 2, 3, 4, 5, 6, 7], windowFrom: '09:00', windowTo: '13:00' } });
  items.move = await planned(u.A.usuariaId, 'followup', today.set({ hour: 10 }), today.set({ hour: 12 }));
  items.cancel = await planned(u.A.usuariaId, 'reminder', today.set({ hour: 16 }), today.set({ hour: 18 }));
  const canary = today.setZone('Atlantic/Canary', { keepLocalTime: true });
  items.canary = await planned(u.K.usuariaId, 'followup', canary.set({ hour: 9 }), canary.set({ hour: 13 }), 2);

  const username = `coord-${randomBytes(3).toString('hex')}`;
  const user = await usersRepo(t.pool).create({ username, displayName: 'Coordinadora de Turno', role: 'coordinator',
    passwordHash: await hashPassword(PASSWORD) });
  coordinator = { username, id: user.id };

  browser = await openBrowser(ZONE);
  ({ context, page } = browser);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function screenshot(name: string, fullPage = true): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, name);
  // the section bar is sticky: from the top, a full-page capture shows it where it belongs
  if (fullPage) await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: file, fullPage });
  expect((await stat(file)).size).toBeGreaterThan(10_000);
  return file;
}

const caseCard = (code: string): Locator => page.locator('#anexo-list > li', { has: page.locator('.expediente', { hasText: code }) });
const planRow = (id: string): Locator => page.locator(`#plan-body tr[data-item="${id}"]`);

describe('coordination page and API', () => {
  it("serves the coordinator's screen with the console's strict headers", async () => {
    const html = await t.app.inject({ method: 'GET', url: '/consola/coordinacion.html' });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-security-policy']).toContain("default-src 'self'");
    expect(html.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
    expect(html.body).not.toMatch(/<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=/i); // nothing inline for the CSP to refuse
  });

  it('gives her agreed call window, and nothing else about her, to coordinators only', async () => {
    const ask = (token: string) => t.app.inject({ method: 'POST', url: '/api/coordination/call-windows', headers: bearer(token),
      payload: { usuariaIds: [u.A.usuariaId, u.K.usuariaId] } });
    const res = await ask(coordinatorToken);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(expect.arrayContaining([
      { usuariaId: u.A.usuariaId, zone: 'Europe/Madrid', weekdays: expect.any(Array), from: '08:00', to: '22:00' },
      { usuariaId: u.K.usuariaId, zone: 'Atlantic/Canary', weekdays: [1, 2, 3, 4, 5, 6, 7], from: '09:00', to: '13:00' },
    ]));
    expect((await ask((await signIn(t, 'operator')).token)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/coordination/call-windows', payload: { usuariaIds: [u.A.usuariaId] } })).statusCode).toBe(401);
  });
});

describe('coordinator screen in a browser', () => {
  const errors: string[] = [];

  it('signs the coordinator in with her first TOTP enrolment and takes her to the coordination screen', async () => {
    page.on('pageerror', (e) => errors.push(e.message));
    // a CSP violation or a script error shows here; the 4xx answers the page handles are only the browser's network log
    page.on('console', (m) => { if (m.type() === 'error' && !/responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });

    await page.goto(`${origin}/consola/`);
    await page.getByLabel('Usuario').fill(coordinator.username);
    await page.getByLabel('Contraseña').fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.locator('#enroll-form').waitFor();
    const secret = (await page.locator('#enroll-secret').textContent())!.replace(/\s+/g, '');
    await page.getByLabel('Código de 6 dígitos').fill(await generate({ secret, epoch: Math.floor(now().getTime() / 1000) }));
    await page.getByRole('button', { name: 'Confirmar y entrar' }).click();

    await page.waitForURL(`${origin}/consola/coordinacion.html`);
    await expect.poll(() => page.locator('#who').textContent()).toBe('Coordinadora de Turno');
    expect(await page.title()).toBe('ATENPRO · Coordinación');
    // the operator console sends a coordinator here too
    await page.goto(`${origin}/consola/operadora.html`);
    await page.waitForURL(`${origin}/consola/coordinacion.html`);
    await caseCard(u.P.expedienteCode).waitFor();
  });

  it('lists the open Anexo IV cases, the proposed baja first, with stage, round, age, deadlines and VENCIDO', async () => {
    const codes = await page.locator('#anexo-list > li .case-head .expediente').allTextContents();
    expect(codes[0]).toBe(u.P.expedienteCode);
    expect(codes).toEqual(expect.arrayContaining([u.V.expedienteCode, u.C.expedienteCode]));

    const p = caseCard(u.P.expedienteCode);
    expect(await p.locator('.stage').textContent()).toBe('Baja propuesta');
    expect(await p.locator('.round').textContent()).toBe('Ronda 1 de 3');
    expect(await p.locator('.overdue-mark').textContent()).toBe('VENCIDO');
    expect(await p.textContent()).toContain('12 días · desde el');

    const v = caseCard(u.V.expedienteCode);
    expect(await v.locator('.stage').textContent()).toBe('Servicios sociales avisados');
    expect(await v.locator('.overdue-mark').textContent()).toBe('VENCIDO');
    expect(await v.textContent()).toContain('Baja propuesta si no responden');

    const c = caseCard(u.C.expedienteCode);
    expect(await c.locator('.stage').textContent()).toBe('Llamando a personas de contacto');
    expect(await c.locator('.overdue-mark').count()).toBe(0);
    // her contact persons by priority, with the names the API returns
    expect(await c.locator('.task .person').allTextContents()).toEqual(['Carmen Vecina Ficticia', 'Hermana Ficticia']);

    expect(await page.locator('#anexo-summary').textContent()).toContain('1 baja propuesta');
    expect(await page.locator('#nav-anexo').textContent()).toBe('1');
    await page.locator('#plan-body tr[data-item]').first().waitFor();
    await page.locator('#nc-body tr').first().waitFor();
    await screenshot('coordinacion.png');
  });

  it('fits every panel in its width: nothing cut off at the right', async () => {
    const overflowing = await page.evaluate(`[...document.querySelectorAll('.panel, .case, .task')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.id || el.className)`);
    expect(overflowing).toEqual([]);
  });

  it('refuses to keep her in service without a reason, in Spanish, next to the field', async () => {
    const p = caseCard(u.P.expedienteCode);
    await p.getByRole('button', { name: 'Rechazar la baja' }).click();
    const error = page.locator(`#reason-${cases.P}-error`);
    await expect.poll(() => error.textContent()).toBe('Indique el motivo para mantenerla en el servicio.');
    expect(await p.getByLabel('Motivo para mantenerla en el servicio').getAttribute('aria-invalid')).toBe('true');
    expect(await stageOf(cases.P)).toBe('baja_proposed');
  });

  it('confirms a baja only deliberately: a dialog, the expediente code typed, then the baja in Postgres', async () => {
    const p = caseCard(u.P.expedienteCode);
    const dialog = page.getByRole('dialog', { name: 'Confirmar la baja por falta de contacto' });
    const submit = dialog.getByRole('button', { name: 'Confirmar la baja' });

    // opening the dialog decides nothing, and going back leaves her as she was
    await p.getByRole('button', { name: 'Confirmar la baja…' }).click();
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(u.P.expedienteCode);
    expect(await submit.isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Volver sin decidir' }).click();
    expect(await dialog.isVisible()).toBe(false);
    expect(await stageOf(cases.P)).toBe('baja_proposed');

    await p.getByRole('button', { name: 'Confirmar la baja…' }).click();
    const code = dialog.getByLabel('Para confirmar, escriba el código del expediente');
    await code.fill(u.V.expedienteCode); // another case's code does not do
    expect(await submit.isDisabled()).toBe(true);
    await code.fill(u.P.expedienteCode.toLowerCase());
    expect(await submit.isDisabled()).toBe(false);
    await screenshot('coordinacion-confirmar-baja.png', false);
    await submit.click();

    await expect.poll(() => page.locator('#anexo-status').textContent()).toContain(`el expediente ${u.P.expedienteCode} queda dado de baja`);
    expect(await dialog.isVisible()).toBe(false);
    await expect.poll(() => caseCard(u.P.expedienteCode).count()).toBe(0);
    const { rows: [exp] } = await t.pool.query('select status, baja_cause from expedientes where code = $1', [u.P.expedienteCode]);
    expect(exp).toEqual({ status: 'baja', baja_cause: 'falta_contacto' });
    const { rows: [lossCase] } = await t.pool.query('select stage, decided_by from contact_loss_cases where id = $1', [cases.P]);
    expect(lossCase).toEqual({ stage: 'closed_baja', decided_by: coordinator.id });
  });

  it('records the date social services intervened: the week runs from it and the case is no longer overdue', async () => {
    const v = caseCard(u.V.expedienteCode);
    const yesterday = isoDay(DateTime.fromJSDate(now(), { zone: ZONE }).minus({ days: 1 }));
    await v.getByLabel('Fecha en que servicios sociales intervinieron').fill(yesterday);
    await v.getByRole('button', { name: 'Registrar intervención' }).click();
    await expect.poll(() => page.locator('#anexo-status').textContent()).toContain('intervención del');
    await expect.poll(() => caseCard(u.V.expedienteCode).locator('.overdue-mark').count()).toBe(0);
    const { rows: [row] } = await t.pool.query('select stage, ss_intervention_at from contact_loss_cases where id = $1', [cases.V]);
    expect(row.stage).toBe('social_services_notified');
    expect(DateTime.fromJSDate(row.ss_intervention_at, { zone: ZONE }).toISODate()).toBe(yesterday);
  });

  it('closes a call to a contact person as reached, with notes', async () => {
    const c = caseCard(u.C.expedienteCode);
    const first = c.locator('.task', { hasText: 'Carmen Vecina Ficticia' });
    await first.getByLabel('Notas de la llamada').fill('Le dará el recado esta tarde');
    await first.getByRole('button', { name: 'Localizada', exact: true }).click();
    await expect.poll(() => page.locator('#anexo-status').textContent()).toContain('Carmen Vecina Ficticia localizada');
    const { rows } = await t.pool.query(`select t.priority, t.status, t.notes, t.done_by from contact_loss_tasks t
      where t.case_id = $1 order by t.priority`, [cases.C]);
    expect(rows).toEqual([
      { priority: 1, status: 'reached', notes: 'Le dará el recado esta tarde', done_by: coordinator.id },
      { priority: 2, status: 'open', notes: null, done_by: null },
    ]);
    await expect.poll(() => caseCard(u.C.expedienteCode).locator('.task .person').allTextContents()).toEqual(['Hermana Ficticia']);
  });

  it('lists who has had no contact for N days, N chosen among 7, 15 and 30', async () => {
    const codes = () => page.locator('#nc-body tr td:first-child .mono').allTextContents();
    await expect.poll(codes).toContain(u.N.expedienteCode);
    expect(await codes()).toEqual(expect.arrayContaining([u.V.expedienteCode, u.C.expedienteCode]));
    expect(await codes()).not.toContain(u.P.expedienteCode); // in baja now
    await page.locator('#sin-contacto').getByRole('radio', { name: '15 días', exact: true }).click();
    await expect.poll(() => page.locator('#nc-title').textContent()).toBe('Sin contacto desde hace 15 días');
    await expect.poll(codes).not.toContain(u.N.expedienteCode);
    expect(await codes()).toContain(u.V.expedienteCode);
    await page.locator('#sin-contacto').getByRole('radio', { name: '7 días', exact: true }).click();
    await expect.poll(codes).toContain(u.N.expedienteCode);
  });

  it("shows today's calls in her own time, and refuses a move outside her window with the API's Spanish error next to the field", async () => {
    const row = planRow(items.move);
    await row.waitFor();
    expect(await row.locator('td').first().textContent()).toBe('10:00–12:00');
    expect(await row.textContent()).toContain(u.A.expedienteCode);
    expect(await row.textContent()).toContain('Seguimiento');
    expect(await row.textContent()).toContain('Pendiente');
    // her window is in Canary time: 09:00-13:00 there, not the desk's 10:00-14:00
    const canary = planRow(items.canary);
    expect(await canary.locator('td').first().textContent()).toBe('09:00–13:00hora de Canarias');
    expect(await canary.locator('td').nth(3).textContent()).toBe('2');

    await row.getByRole('button', { name: `Mover la llamada de ${u.A.expedienteCode}` }).click();
    const form = page.getByRole('form', { name: `Mover la llamada de ${u.A.expedienteCode}` });
    const input = form.getByLabel('Nuevo momento');
    expect(await input.inputValue()).toBe(`${isoDay(today)}T10:00`);
    await input.fill(`${isoDay(offDay)}T10:30`);
    await form.getByRole('button', { name: 'Mover la llamada' }).click();
    const error = page.locator(`#move-${items.move}-error`);
    await expect.poll(() => error.textContent()).toBe('Ese momento está fuera de la franja acordada con la usuaria.');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect((await t.pool.query('select status from agenda_items where id = $1', [items.move])).rows[0].status).toBe('planned');
    await screenshot('coordinacion-mover-fuera-de-franja.png');

    // inside her window it moves: the old call is closed as moved, a new one waits at the chosen time
    const tomorrow = today.plus({ days: 1 }).set({ hour: 10, minute: 30 });
    await input.fill(`${isoDay(tomorrow)}T10:30`);
    await form.getByRole('button', { name: 'Mover la llamada' }).click();
    await expect.poll(() => page.locator('#plan-status').textContent()).toContain('movida al');
    expect(await page.locator('#plan-status').textContent()).toContain('de 10:30 a 22:00 (hora peninsular)');
    const { rows } = await t.pool.query(`select id, status, outcome, not_before from agenda_items where usuaria_id = $1 and kind = 'followup'
      order by created_at`, [u.A.usuariaId]);
    expect(rows.map((r) => [r.status, r.outcome])).toEqual([['cancelled', 'moved'], ['planned', null]]);
    expect(rows[1].not_before.getTime()).toBe(tomorrow.toMillis());
    await expect.poll(() => planRow(items.move).count()).toBe(0);
  });

  it('cancels a planned call only with a reason, and Postgres shows it cancelled', async () => {
    const row = planRow(items.cancel);
    await row.getByRole('button', { name: `Cancelar la llamada de ${u.A.expedienteCode}` }).click();
    const form = page.getByRole('form', { name: `Cancelar la llamada de ${u.A.expedienteCode}` });
    await form.getByRole('button', { name: 'Cancelar la llamada' }).click();
    await expect.poll(() => page.locator(`#cancel-${items.cancel}-error`).textContent()).toBe('Indique el motivo de la cancelación.');
    await form.getByLabel('Motivo de la cancelación').fill('La usuaria ha aplazado la cita');
    await form.getByRole('button', { name: 'Cancelar la llamada' }).click();
    await expect.poll(() => page.locator('#plan-status').textContent()).toBe(`Llamada de ${u.A.expedienteCode} cancelada.`);
    const { rows: [item] } = await t.pool.query(`select i.status, i.outcome, o.status as occasion from agenda_items i
      join followup_occasions o on o.id = i.occasion_id where i.id = $1`, [items.cancel]);
    expect(item).toEqual({ status: 'cancelled', outcome: 'cancelled_by_coordinator', occasion: 'cancelled' });
    await expect.poll(() => planRow(items.cancel).count()).toBe(0);
    const audit = await t.pool.query(`select actor_id from audit_log where action = 'agenda.cancel' and usuaria_id = $1`, [u.A.usuariaId]);
    expect(audit.rows).toEqual([{ actor_id: coordinator.id }]);
  });

  it("finds a usuaria by expediente, lists her calls, adds a reminder and asks for a call now", async () => {
    const section = page.locator('#agenda-usuaria');
    await section.getByLabel('Código de expediente').fill('VG-28');
    await section.getByRole('button', { name: 'Buscar' }).click();
    await expect.poll(() => page.locator('#ua-code-error').textContent()).toBe('Escriba un código de expediente como VG-28-000123.');
    await section.getByLabel('Código de expediente').fill(u.A.expedienteCode.toLowerCase());
    await section.getByRole('button', { name: 'Buscar' }).click();
    await expect.poll(() => page.locator('#ua-expediente').textContent()).toBe(u.A.expedienteCode);
    expect(await page.locator('#ua-name').textContent()).toContain('Lucía Prueba Sintética');
    expect(await page.locator('#ua-window').textContent()).toContain('de 08:00 a 22:00 (hora peninsular)');
    await expect.poll(() => page.locator('#ua-body tr[data-item]').count()).toBe(3); // the moved one, its replacement, the cancelled reminder

    const reminderAt = today.plus({ days: 1 }).set({ hour: 11 });
    await section.getByLabel('Fecha y hora').fill(`${isoDay(reminderAt)}T11:00`);
    await section.getByLabel('Nota').fill('Recordarle la cita con la abogada');
    await section.getByRole('button', { name: 'Programar recordatorio' }).click();
    await expect.poll(() => page.locator('#ua-status').textContent()).toContain('Recordatorio programado para el');
    const { rows: [reminder] } = await t.pool.query(`select status, not_before, note from agenda_items
      where usuaria_id = $1 and kind = 'reminder' and status = 'planned'`, [u.A.usuariaId]);
    expect(reminder).toEqual({ status: 'planned', not_before: reminderAt.toJSDate(), note: 'Recordarle la cita con la abogada' });
    await expect.poll(() => page.locator('#ua-body tr[data-item]').count()).toBe(4);

    // "now" is the server's: inside her window (08:00-22:00 Madrid, not on her day off) it is planned, outside the API says why
    const local = DateTime.fromJSDate(now(), { zone: ZONE });
    const inside = local.hour >= 8 && local.hour < 22 && local.weekday !== offDay.weekday;
    await section.getByRole('button', { name: 'Llamar ahora' }).click();
    if (inside) await expect.poll(() => page.locator('#ua-status').textContent()).toContain('se marcará en cuanto haya una operadora libre');
    else await expect.poll(() => page.locator('#ua-error').textContent()).toBe('Ahora está fuera de la franja acordada con la usuaria.');
    await screenshot('coordinacion-usuaria.png');
  });

  it('keeps her data out of the title and the address', async () => {
    expect(await page.title()).toBe('ATENPRO · Coordinación');
    expect(page.url()).toBe(`${origin}/consola/coordinacion.html`);
  });

  it('ran without a script error or a Content-Security-Policy violation', () => {
    expect(errors).toEqual([]);
  });
});
