import { randomBytes } from 'node:crypto';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../access/secrets.ts';
import { usersRepo } from '../../store/users.repo.ts';
import { openBrowser, requireChromium } from '../helpers/browser.ts';
import { altaBody, bearer, createCentre, PASSWORD, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

const EMERGENCY_LINE = '+34900100100';
const TILES = 'https://tiles.mapas.test/{z}/{x}/{y}.png';
let t: TestApp;
let origin: string;
let page: Page;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let operator: { username: string; id: string };
let msisdn: string;
const errors: string[] = [];

beforeAll(async () => {
  requireChromium();
  t = await startTestApp({ mapTileUrl: TILES });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const coordinator = (await signIn(t, 'coordinator')).token;
  const centre = await createCentre(t.pool);
  const body = altaBody(centre.id);
  msisdn = body.terminal.msisdn;
  expect((await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coordinator), payload: body })).statusCode).toBe(201);
  const admin = (await signIn(t, 'admin')).token;
  const svc = await t.app.inject({ method: 'POST', url: '/api/service-tokens', headers: bearer(admin),
    payload: { name: 'plataforma-mapa', scopes: ['location:write'] } });
  // the terminal platform reports where she was five minutes ago
  const report = await t.app.inject({ method: 'POST', url: '/api/terminals/location', headers: bearer(svc.json().token),
    payload: { msisdn, lat: 40.41678, lon: -3.70379, accuracyM: 40, at: new Date(t.clock.now().getTime() - 5 * 60_000).toISOString() } });
  expect(report.statusCode, report.body).toBe(201);
  const username = `op-mapa-${randomBytes(3).toString('hex')}`;
  const user = await usersRepo(t.pool).create({ username, displayName: 'Operadora Mapa', role: 'operator',
    passwordHash: await hashPassword(PASSWORD), deviceUri: 'sip:op-mapa@10.0.0.9' });
  operator = { username, id: user.id };
  browser = await openBrowser('Europe/Madrid');
  page = browser.page;
  // the page's clock is the app's: the age label is read against the same "now"
  await page.clock.setFixedTime(t.clock.now());
  page.on('pageerror', (e) => errors.push(e.message));
  // the tile server is unreachable here: failed tile loads are expected, anything else is not
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the position on the operator console\'s map', () => {
  it('serves Leaflet from the app and lets the tile server through the CSP', async () => {
    const leaflet = await t.app.inject({ method: 'GET', url: '/consola/vendor/leaflet/leaflet-src.esm.js' });
    expect(leaflet.statusCode).toBe(200);
    expect(leaflet.headers['content-type']).toMatch(/javascript/);
    expect((await t.app.inject({ method: 'GET', url: '/consola/vendor/leaflet/leaflet.css' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/consola/vendor/leaflet/../package.json' })).statusCode).toBe(404);
    const html = await t.app.inject({ method: 'GET', url: '/consola/operadora.html' });
    expect(html.headers['content-security-policy']).toContain("img-src 'self' https://tiles.mapas.test");
    expect((await t.app.inject({ method: 'GET', url: '/consola/map-config.json' })).json()).toMatchObject({ tileUrl: TILES });
  });

  it('shows her latest position as a marker with its age when her emergency call pops', async () => {
    await page.goto(`${origin}/`);
    await page.getByLabel('Usuario').fill(operator.username);
    await page.getByLabel('Contraseña').fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(`${origin}/consola/operadora.html`);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('Conectada');
    await page.getByRole('button', { name: 'Disponible' }).click();
    await expect.poll(() => t.app.telephony.inbound.desk.presence(operator.id)).toBe('available');

    const plan = await t.app.telephony.inbound.accept({ provider: 'sip', providerCallId: `e2e-${randomBytes(4).toString('hex')}`,
      callerRaw: msisdn, dialled: EMERGENCY_LINE, receivedAt: t.clock.now() });
    expect(plan.action).toBe('connect');

    const marker = page.locator('#pop .position-map .position-marker');
    await marker.waitFor();
    expect(await marker.getAttribute('data-lat')).toBe('40.41678');
    expect(await marker.getAttribute('data-lon')).toBe('-3.70379');
    expect(await page.locator('#pop .position-map .leaflet-tooltip').textContent()).toBe('hace 5 min');
    expect(await page.locator('#pop .position-map .position-accuracy').count()).toBe(1);
    const card = page.locator('#pop section', { has: page.locator('h3', { hasText: 'Última posición del terminal' }) });
    expect(await card.textContent()).toContain('40.41678, -3.70379 (±40 m)');
    expect(await card.textContent()).toContain('Plataforma de terminales');
    // the marker sits where the map's centre is drawn, inside the map
    const [box, mapBox] = [await marker.boundingBox(), await page.locator('#pop .position-map').boundingBox()];
    expect(box!.x + box!.width / 2).toBeCloseTo(mapBox!.x + mapBox!.width / 2, 0);
    expect(errors).toEqual([]);
  });
});
