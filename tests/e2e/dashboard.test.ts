import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../access/secrets.ts';
import { centresRepo } from '../../store/usuarias.repo.ts';
import { usersRepo } from '../../store/users.repo.ts';
import { openBrowser, requireChromium, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { altaBody, bearer, PASSWORD, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

// The fixture's calls are on fixed days and the range is chosen on screen; the app's clock is pinned
// at start and the browser's clock to the same instant (session cookies live in real time).
const FROM = '2026-03-01';
const TO = '2026-04-30';
let t: TestApp;
let origin: string;
let page: Page;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
const manager = { username: 'gerencia-prueba', displayName: 'Gerente de Prueba' };
const u = {} as Record<'M1' | 'M2' | 'K', string>;
const centres = {} as Record<'madrid' | 'getafe' | 'telde', string>;
const errors: string[] = [];

async function alta(centreId: string, municipality: string, provinceCode: string, agendaPolicy: object): Promise<string> {
  const body = altaBody(centreId, {
    location: { address: 'Calle Inventada 1', municipality, provinceCode },
    expediente: { centreId, altaType: 'ordinaria', requestedOn: '2026-01-05', altaOn: '2026-01-10', telematicControlOrder: false },
    agendaPolicy });
  const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer((await signIn(t, 'coordinator')).token), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().usuariaId;
}

/** An ended call, written as the telephony layer writes it; the report triggers place it. */
async function call(usuariaId: string, c: { line: string; kind: string; at: string; answerS?: number | null; filed?: object | null;
  outcome?: string; itemId?: string }): Promise<string> {
  const id = randomUUID();
  const started = new Date(c.at);
  const answered = c.answerS === undefined || c.answerS === null ? null : new Date(started.getTime() + c.answerS * 1000);
  await t.pool.query(`insert into call_attempts (id, direction, line, kind, provider, provider_call_id, usuaria_id, agenda_item_id,
      started_at, answered_at, ended_at, outcome, disposition) values ($1::uuid, $2, $3, $4, 'sip', $1::text, $5, $6, $7, $8, $9, $10, $11)`,
  [id, c.line === 'outbound' ? 'outbound' : 'inbound', c.line, c.kind, usuariaId, c.itemId ?? null, started, answered,
    new Date(started.getTime() + 300_000), c.outcome ?? 'completed', c.filed ?? null]);
  return id;
}

/** A follow-up occasion and its one attempt, as the dialer leaves them. */
async function followUp(usuariaId: string, plannedOn: string, at: string, contact: boolean, window: [string, string]): Promise<void> {
  const { rows: [o] } = await t.pool.query<{ id: string }>(`insert into followup_occasions (usuaria_id, kind, planned_on, status, closed_at, closed_by)
    values ($1, 'followup', $2, $3, $4, 'system:dialer') returning id`, [usuariaId, plannedOn, contact ? 'contact' : 'failed', new Date(at)]);
  const itemId = randomUUID();
  await t.pool.query(`insert into agenda_items (id, usuaria_id, kind, occasion_id, planned_on, not_before, not_after, status, created_by, outcome)
    values ($1, $2, 'followup', $3, $4, $5, $6, $7, 'system:dialer', $8)`,
  [itemId, usuariaId, o!.id, plannedOn, new Date(window[0]), new Date(window[1]), contact ? 'done' : 'failed', contact ? 'contacted' : 'no_answer']);
  const callId = await call(usuariaId, { line: 'outbound', kind: 'B', at, itemId, answerS: contact ? 8 : null,
    outcome: contact ? 'completed' : 'no_answer', filed: contact ? { kind: 'B', outcome: 'atendida' } : null });
  await t.pool.query('update agenda_items set call_attempt_id = $2 where id = $1', [itemId, callId]);
}

beforeAll(async () => {
  requireChromium();
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const centre = (provinceCode: string, municipality: string, code: string) => centresRepo(t.pool).create({ code,
    name: `Centro de Servicios Sociales de ${municipality}`, entidadLocal: `Ayuntamiento de ${municipality}`, provinceCode, municipality,
    email: null, phone: null }).then((c) => c.id);
  centres.madrid = await centre('28', 'Madrid', 'SS-T-28-1');
  centres.getafe = await centre('28', 'Getafe', 'SS-T-28-2');
  centres.telde = await centre('35', 'Telde', 'SS-T-35-1');
  const tuesdays = { frequency: 'quincenal', weekdays: [2], windowFrom: '10:00', windowTo: '12:00' };
  u.M1 = await alta(centres.madrid, 'Madrid', '28', tuesdays);
  u.M2 = await alta(centres.getafe, 'Getafe', '28', tuesdays);
  u.K = await alta(centres.telde, 'Telde', '35', { frequency: 'mensual', weekdays: [1, 2, 3, 4, 5, 6, 7], windowFrom: '09:00', windowTo: '13:00' });

  const atendida = { kind: 'A', outcome: 'atendida' };
  // M1 (Madrid): three calls of her own in March, one in April answered after 90 s, an emergency, three follow-ups (one failed)
  for (const at of ['2026-03-03T09:00:00Z', '2026-03-12T17:00:00Z', '2026-03-20T08:30:00Z']) {
    await call(u.M1, { line: 'general', kind: 'A', at, answerS: 20, filed: atendida });
  }
  await call(u.M1, { line: 'general', kind: 'A', at: '2026-04-02T10:00:00Z', answerS: 90, filed: atendida });
  const emergency = await call(u.M1, { line: 'emergency', kind: 'C', at: '2026-04-20T21:00:00Z', answerS: 5,
    filed: { kind: 'C', emergencyKind: 'prealarma', level: 2, outcome: 'atendida' } });
  await t.pool.query(`insert into incidents (usuaria_id, call_attempt_id, kind, level, opened_at) values ($1, $2, 'prealarma', 2, $3)`,
    [u.M1, emergency, new Date('2026-04-20T21:10:00Z')]);
  // her Tuesdays, 10:00-12:00 Madrid time (CET until 29 March, CEST after)
  await followUp(u.M1, '2026-03-10', '2026-03-10T09:30:00Z', true, ['2026-03-10T09:00:00Z', '2026-03-10T11:00:00Z']);
  await followUp(u.M1, '2026-03-24', '2026-03-24T09:30:00Z', false, ['2026-03-24T09:00:00Z', '2026-03-24T11:00:00Z']);
  await followUp(u.M1, '2026-04-07', '2026-04-07T08:30:00Z', true, ['2026-04-07T08:00:00Z', '2026-04-07T10:00:00Z']);
  // M2 (Getafe): two calls in March
  for (const at of ['2026-03-05T11:00:00Z', '2026-03-18T16:00:00Z']) await call(u.M2, { line: 'general', kind: 'A', at, answerS: 10, filed: atendida });
  // K (Telde, Canary time): two calls in April, an emergency, an autochequeo, and a follow-up placed at 20:00, outside her 09:00-13:00
  for (const at of ['2026-04-06T12:00:00Z', '2026-04-09T12:00:00Z']) await call(u.K, { line: 'general', kind: 'A', at, answerS: 30, filed: atendida });
  const kEmergency = await call(u.K, { line: 'emergency', kind: 'C', at: '2026-04-11T02:00:00Z', answerS: 4,
    filed: { kind: 'C', emergencyKind: 'psicosocial', level: 1, outcome: 'atendida' } });
  await t.pool.query(`insert into incidents (usuaria_id, call_attempt_id, kind, level, opened_at) values ($1, $2, 'psicosocial', 1, $3)`,
    [u.K, kEmergency, new Date('2026-04-11T02:20:00Z')]);
  await call(u.K, { line: 'selftest', kind: 'D', at: '2026-04-12T03:00:00Z', answerS: null });
  await followUp(u.K, '2026-04-14', '2026-04-14T19:00:00Z', true, ['2026-04-14T08:00:00Z', '2026-04-14T12:00:00Z']);

  await usersRepo(t.pool).create({ username: manager.username, displayName: manager.displayName, role: 'manager',
    passwordHash: await hashPassword(PASSWORD) });
  browser = await openBrowser('Europe/Madrid');
  page = browser.page;
  await browser.context.clock.setFixedTime(t.clock.now());
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const tile = (id: string) => page.locator(`#${id} [data-value]`);
/** Spanish percentages carry a no-break space before the sign: compared as a plain space. */
const plain = (s: string | null) => s?.replaceAll('\u00a0', ' ') ?? null;
const tileText = async (id: string) => plain(await tile(id).textContent());
/** The numbers a chart draws, read from the table beside it: series -> period -> value. */
const chartCell = (chart: string, period: string, series: string) =>
  page.locator(`table[data-chart="${chart}"] tr[data-period="${period}"] td[data-series="${series}"]`).textContent();

describe('managers\' dashboard in a browser', () => {
  it('takes a manager from sign-in to the dashboard, with the figures of the whole service', async () => {
    await page.goto(`${origin}/consola/`);
    await page.getByLabel('Usuario').fill(manager.username);
    await page.getByLabel('Contraseña').fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.locator('#enroll-form').waitFor();
    const secret = (await page.locator('#enroll-secret').textContent())!.replace(/\s+/g, '');
    await page.getByLabel('Código de 6 dígitos').fill(await generate({ secret, epoch: Math.floor(t.clock.now().getTime() / 1000) }));
    await page.getByRole('button', { name: 'Confirmar y entrar' }).click();
    await page.waitForURL(`${origin}/consola/dashboard.html`);
    expect(await page.title()).toBe('ATENPRO · Estadísticas');
    await expect.poll(() => page.locator('#who').textContent()).toBe(manager.displayName);

    // the default range is the twelve months up to the browser's today; then the fixture's two months
    const today = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Madrid' }).format(t.clock.now());
    const first = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 12, 1)).toISOString().slice(0, 10);
    await expect.poll(() => page.locator('#dash').getAttribute('data-loaded')).toBe('1');
    expect([await page.locator('#f-from').inputValue(), await page.locator('#f-to').inputValue()]).toEqual([first, today]);
    await page.getByLabel('Desde').fill(FROM);
    await page.getByLabel('Hasta').fill(TO);
    await expect.poll(() => tileText('tile-calls')).toBe('15');
    expect(await page.locator('#tile-calls [data-part="A · entrantes"]').textContent()).toBe('8');
    expect(await page.locator('#tile-calls [data-part="B · seguimiento"]').textContent()).toBe('4');
    expect(await tileText('tile-outside')).toBe('1');
    expect(await page.locator('#tile-outside').getAttribute('data-state')).toBe('alarm');
    expect(await tileText('tile-active')).toBe('3');
    expect(await tileText('tile-emergencies')).toBe('2');
    expect(await tileText('tile-contact')).toBe('75,0 %');
    expect(await tileText('tile-answer')).toBe('90,0 %');
    expect(await chartCell('chart-calls', '2026-03-01', 'A · entrantes')).toBe('5');
    expect(await chartCell('chart-calls', '2026-04-01', 'A · entrantes')).toBe('3');
    expect(await page.locator('#chart-calls canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#drill-body tr').evaluateAll((rows) => rows.map((r) => r.querySelector('th')!.textContent)))
      .toEqual(['Madrid', 'Las Palmas']);
  });

  it('changes tiles and charts to the province chosen, and drills down to municipality and centre', async () => {
    await page.getByLabel('Provincia').selectOption('28');
    await expect.poll(() => tileText('tile-calls')).toBe('10');
    expect(await tileText('tile-outside')).toBe('0');
    expect(await page.locator('#tile-outside').getAttribute('data-state')).toBe('ok');
    expect(await tileText('tile-active')).toBe('2');
    expect(await tileText('tile-emergencies')).toBe('1');
    expect(await tileText('tile-contact')).toBe('66,7 %');
    expect(await tileText('tile-answer')).toBe('85,7 %');
    expect(await chartCell('chart-calls', '2026-03-01', 'A · entrantes')).toBe('5');
    expect(await chartCell('chart-calls', '2026-04-01', 'A · entrantes')).toBe('1');
    expect(await chartCell('chart-rates', '2026-03-01', 'Contacto en seguimientos (%)')).toBe('50 %');

    // the table now lists her municipalities; Getafe leads to its centre
    await expect.poll(() => page.locator('#drill-place').textContent()).toBe('Municipio');
    const rows = await page.locator('#drill-body tr').evaluateAll((trs) => trs.map((r) => [...r.children].map((c) => c.textContent)));
    expect(rows.map((r) => r.map(plain))).toEqual([['Madrid', '1', '8', '66,7 %', '80,0 %', '1', '0'], ['Getafe', '1', '2', '—', '100,0 %', '0', '0']]);
    await page.locator('#drill-body').getByRole('button', { name: 'Getafe' }).click();
    await expect.poll(() => tileText('tile-calls')).toBe('2');
    await expect.poll(() => page.locator('#drill-place').textContent()).toBe('Centro de servicios sociales');
    expect(await page.locator('#drill-body th').allTextContents()).toEqual(['Centro de Servicios Sociales de Getafe']);
    expect(await page.locator('#drill-path').textContent()).toContain('Getafe');
    // back up to Madrid, where the page was
    await page.locator('#drill-path').getByRole('button', { name: 'Madrid' }).click();
    await expect.poll(() => tileText('tile-calls')).toBe('10');
  });

  it('is not blank on screen, and its CSV opens with the expected header and rows', async () => {
    await page.evaluate('window.scrollTo(0, 0)');
    const file = path.join(SCREENSHOT_DIR, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = decodePng(await readFile(file));
    expect(png.width).toBeGreaterThan(1500); // the viewport, less the scrollbar
    expect(png.height).toBeGreaterThan(1000);
    expect(png.colours).toBeGreaterThan(50);
    expect(png.lumaStdDev).toBeGreaterThan(20);

    const href = await page.locator('#exports-list a[data-figure="calls"]').getAttribute('href');
    expect(href).toContain('province=28');
    const res = await page.request.get(`${origin}${href}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^text\/csv/);
    const lines = (await res.text()).replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines[0]!.startsWith('periodo,provincia,nombre_provincia,municipio,centro_servicios_sociales,sentido,linea,tipo,llamadas,contestadas'))
      .toBe(true);
    // Madrid: March (A inbound, B outbound) and April (A inbound, C emergency, B outbound)
    expect(lines).toHaveLength(1 + 5);
    expect(lines.some((l) => l.includes('<3'))).toBe(true);
    expect(errors).toEqual([]);
  });
});

/** Width, height, distinct colours and the spread of brightness of an 8-bit RGB(A) PNG, with node's zlib only. */
function decodePng(buf: Buffer): { width: number; height: number; colours: number; lumaStdDev: number } {
  expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
  let offset = 8;
  let width = 0; let height = 0; let channels = 0;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const len = buf.readUInt32BE(offset);
    const type = buf.subarray(offset + 4, offset + 8).toString('latin1');
    const data = buf.subarray(offset + 8, offset + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const prev = Buffer.alloc(stride);
  const line = Buffer.alloc(stride);
  const colours = new Set<number>();
  let n = 0; let sum = 0; let sumSq = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? line[x - channels]! : 0;
      const b = prev[x]!;
      const c = x >= channels ? prev[x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a); const pb = Math.abs(p - b); const pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!;
      line[x] = (src[x]! + pred) & 0xff;
    }
    for (let x = 0; x < width; x += 3) {
      const r = line[x * channels]!; const g = line[x * channels + 1]!; const bl = line[x * channels + 2]!;
      colours.add((r << 16) | (g << 8) | bl);
      const luma = 0.299 * r + 0.587 * g + 0.114 * bl;
      n++; sum += luma; sumSq += luma * luma;
    }
    line.copy(prev);
  }
  return { width, height, colours: colours.size, lumaStdDev: Math.sqrt(sumSq / n - (sum / n) ** 2) };
}
