import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, signIn, startTestApp, type TestApp } from '../helpers/app.ts';
import { call, centre, move, usuaria } from './reports-fixture.ts';

/**
 * Three usuarias in Madrid (28), one in Telde (35); Madrid's entity has the three. In March:
 * three inbound calls in Madrid, one emergency in Telde.
 */
let t: TestApp;
let manager: string;
const expedientes: string[] = [];
let fichaId = '';

beforeAll(async () => {
  t = await startTestApp();
  t.clock.set('2026-04-02T09:00:00Z');
  const c1 = await centre(t.pool, '28', 'Madrid', 'Ayuntamiento de Madrid');
  const c2 = await centre(t.pool, '35', 'Telde', 'Ayuntamiento de Telde');
  for (const altaOn of ['2026-02-01', '2026-02-03', '2026-03-05']) {
    const u = await usuaria(t.pool, { province: '28', municipality: 'Madrid', centreId: c1, altaOn });
    fichaId = u.usuariaId;
    expedientes.push(u.expedienteId);
    await call(t.pool, { usuariaId: u.usuariaId, direction: 'inbound', line: 'general', kind: 'A', startedAt: '2026-03-10T10:00:00Z',
      answerAfterS: 4, end: 'completed', filed: { kind: 'A', outcome: 'atendida' } });
  }
  const telde = await usuaria(t.pool, { province: '35', municipality: 'Telde', centreId: c2, altaOn: '2026-01-15' });
  await call(t.pool, { usuariaId: telde.usuariaId, direction: 'inbound', line: 'emergency', kind: 'C', startedAt: '2026-03-11T10:00:00Z',
    answerAfterS: 9, end: 'completed', filed: { kind: 'C', outcome: 'atendida' } });
  manager = (await signIn(t, 'manager')).token;
});
afterAll(async () => { await t?.close(); });

const MARCH = 'from=2026-03-01&to=2026-03-31';
const csvLines = (body: string) => body.replace(/^\uFEFF/, '').trimEnd().split('\r\n');

describe('who may read the statistics', () => {
  it('operators and admins get 403; managers and coordinators get aggregates', async () => {
    for (const role of ['operator', 'admin'] as const) {
      const { token } = await signIn(t, role);
      for (const url of [`/api/reports/calls?${MARCH}`, `/api/reports/calls.csv?${MARCH}`, '/api/reports/entity-monthly.csv?entidadLocal=x&month=2026-03']) {
        expect((await t.app.inject({ url, headers: bearer(token) })).statusCode, `${role} ${url}`).toBe(403);
      }
    }
    const coordinator = (await signIn(t, 'coordinator')).token;
    expect((await t.app.inject({ url: `/api/reports/calls?${MARCH}`, headers: bearer(coordinator) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/api/reports/calls?${MARCH}` })).statusCode).toBe(401);
  });

  it('a manager cannot read a ficha nor search usuarias, and the figures carry no name', async () => {
    expect((await t.app.inject({ url: `/api/usuarias/${fichaId}`, headers: bearer(manager) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/usuarias?name=Sint', headers: bearer(manager) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/auth/me', headers: bearer(manager) })).json().role).toBe('manager');
    const body = (await t.app.inject({ url: `/api/reports/calls?${MARCH}&by=centre&province=28`, headers: bearer(manager) })).body;
    expect(body).not.toMatch(/Sintética|De Prueba|\+34/);
  });

  it('bad filters are refused with a clear message', async () => {
    const res = await t.app.inject({ url: '/api/reports/calls?from=2026-03-31&to=2026-03-01', headers: bearer(manager) });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/posterior/);
    expect((await t.app.inject({ url: '/api/reports/calls?from=2026-03-01&to=2026-03-31&grain=year', headers: bearer(manager) })).statusCode).toBe(400);
    const national = await t.app.inject({ url: `/api/reports/calls?${MARCH}&by=centre`, headers: bearer(manager) });
    expect(national.statusCode).toBe(400);
    expect(national.json().message).toMatch(/Elija una provincia/);
  });
});

describe('the dashboard\'s connections', () => {
  it('figures are read on connections of their own, each statement planned once (a generic plan), never on the service\'s', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await t.app.inject({ url: `/api/reports/calls?${MARCH}`, headers: bearer(manager) })).statusCode).toBe(200);
    }
    // one request at a time: the dashboard's pool used its last connection again, and it is the one handed out now
    const reads = await t.app.reportsReads.connect();
    try {
      const { rows } = await reads.query<{ name: string; generic_plans: number; custom_plans: number }>(
        `select name, generic_plans::int, custom_plans::int from pg_prepared_statements where name like 'reports.%'`);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect({ name: r.name, custom: r.custom_plans }).toEqual({ name: r.name, custom: 0 });
      expect(rows.some((r) => r.generic_plans >= 1)).toBe(true);
    } finally {
      reads.release();
    }
    const service = await t.pool.connect();
    try {
      const { rows } = await service.query(`select name from pg_prepared_statements where name like 'reports.%'`);
      expect(rows).toEqual([]);
    } finally {
      service.release();
    }
  });
});

describe('exports', () => {
  it('CSV: the expected header, one line per row, small cells as "<3", and audited', async () => {
    const json = (await t.app.inject({ url: `/api/reports/calls?${MARCH}&by=province`, headers: bearer(manager) })).json();
    expect(json.rows.map((r: { province: string; calls: number }) => [r.province, r.calls])).toEqual([['28', 3], ['35', 1]]);
    const res = await t.app.inject({ url: `/api/reports/calls.csv?${MARCH}&by=province`, headers: bearer(manager) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="calls_2026-03-01_2026-03-31.csv"/);
    const lines = csvLines(res.body);
    expect(lines[0]).toBe('periodo,provincia,nombre_provincia,municipio,centro_servicios_sociales,sentido,linea,tipo,llamadas,contestadas,'
      + 'atendida,sin_voz,colgada,equivocada,prueba,no_es_ella,contestador,completada,no_contesta,ocupado,fallida');
    expect(lines).toHaveLength(1 + json.rows.length);
    expect(lines[1]).toBe('2026-03-01,28,Madrid,,,inbound,general,A,3,3,3,0,0,0,0,0,0,0,0,0,0');
    // Telde's row is about one usuaria: none of its figures leaves, its zeros included
    expect(lines[2]).toBe(`2026-03-01,35,Las Palmas,,,inbound,emergency,C,${Array(13).fill('<3').join(',')}`);

    const answers = csvLines((await t.app.inject({ url: `/api/reports/answer-times.csv?${MARCH}&by=province`, headers: bearer(manager) })).body);
    expect(answers[2]).toMatch(/^2026-03-01,35,Las Palmas,,,C,<3,<3,<3,<3,<3,<3,<3,<3,<3,<3,<3$/); // rates over one call too
    const { rows } = await t.pool.query(`select detail from audit_log where action = 'report.export' order by id`);
    expect(rows.map((r) => [r.detail.report, r.detail.format, r.detail.rows])).toEqual([['calls', 'csv', 2], ['answer-times', 'csv', 2]]);
  });

  it('census CSV suppresses small stocks; the JSON the dashboard reads does not', async () => {
    const json = (await t.app.inject({ url: `/api/reports/census?${MARCH}&by=province`, headers: bearer(manager) })).json();
    expect(json.rows.map((r: { province: string; activeAtEnd: number }) => [r.province, r.activeAtEnd])).toEqual([['28', 3], ['35', 1]]);
    const lines = csvLines((await t.app.inject({ url: `/api/reports/census.csv?${MARCH}&by=province`, headers: bearer(manager) })).body);
    expect(lines).toHaveLength(3);
    expect(lines[1]!.split(',').slice(0, 9)).toEqual(['2026-03-01', '28', 'Madrid', '', '', '3', '3', '<3', '0']);
    expect(lines[2]!.split(',').slice(0, 9)).toEqual(['2026-03-01', '35', 'Las Palmas', '', '', '<3', '<3', '0', '0']);
  });

  it('the monthly summary, with small cells suppressed once it leaves the centre', async () => {
    const json = (await t.app.inject({ url: '/api/reports/monthly-summary?month=2026-03', headers: bearer(manager) })).json();
    const value = (k: string) => json.items.find((i: { key: string }) => i.key === k)?.value;
    expect([value('usuarias_activas'), value('altas'), value('llamadas_A'), value('llamadas_C'), value('en_60s_A')]).toEqual([4, 1, 3, 1, 1]);
    const lines = csvLines((await t.app.inject({ url: '/api/reports/monthly-summary.csv?month=2026-03', headers: bearer(manager) })).body);
    expect(lines[0]).toBe('indicador,descripcion,valor');
    expect(lines.find((l) => l.startsWith('usuarias_activas,'))).toBe('usuarias_activas,Usuarias activas a final de mes,4');
    expect(lines.find((l) => l.startsWith('altas,'))).toBe('altas,Altas,<3');
    expect(lines.find((l) => l.startsWith('en_60s_C,'))).toMatch(/,<3$/);
    const html = (await t.app.inject({ url: '/api/reports/monthly-summary.html?month=2026-03', headers: bearer(manager) })).body;
    expect(html).toContain('ATENPRO en cifras: marzo de 2026');
    expect(html).toContain('&lt;3');
  });

  it('§7 monthly list of a local entity: codes and alta dates, as CSV, printable page and PDF, each audited', async () => {
    const q = 'entidadLocal=Ayuntamiento%20de%20Madrid&month=2026-03';
    const csv = csvLines((await t.app.inject({ url: `/api/reports/entity-monthly.csv?${q}`, headers: bearer(manager) })).body);
    const { rows: codes } = await t.pool.query<{ code: string; alta_on: string }>(
      'select code, alta_on from expedientes where id = any($1) order by alta_on', [expedientes]);
    expect(csv).toEqual(['expediente,fecha_alta', ...codes.map((c) => `${c.code},${c.alta_on}`)]);
    const feb = csvLines((await t.app.inject({ url: '/api/reports/entity-monthly.csv?entidadLocal=Ayuntamiento%20de%20Madrid&month=2026-02',
      headers: bearer(manager) })).body);
    expect(feb).toHaveLength(3); // the one with her alta in March is not on February's list
    const html = (await t.app.inject({ url: `/api/reports/entity-monthly.html?${q}`, headers: bearer(manager) })).body;
    for (const c of codes) expect(html).toContain(c.code);
    expect(html).toContain('05/03/2026');
    expect(html).not.toMatch(/Sintética|De Prueba/);
    const pdf = await t.app.inject({ url: `/api/reports/entity-monthly.pdf?${q}`, headers: bearer(manager) });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.rawPayload.length).toBeGreaterThan(1000);
    const { rows } = await t.pool.query(`select detail from audit_log where action = 'report.export' and detail->>'report' = 'entity-monthly' order by id`);
    expect(rows.map((r) => [r.detail.format, r.detail.month, r.detail.rows])).toEqual([['csv', '2026-03', 3], ['csv', '2026-02', 2],
      ['html', '2026-03', 3], ['pdf', '2026-03', 3]]);
  }, 60_000);

  it('every figure is in the OpenAPI document with its row schema', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    const index = (await t.app.inject({ url: '/api/reports', headers: bearer(manager) })).json() as { name: string }[];
    expect(index.map((f) => f.name)).toContain('outside-window');
    for (const f of index) {
      expect(doc.paths[`/api/reports/${f.name}`]?.get, f.name).toBeDefined();
      expect(doc.paths[`/api/reports/${f.name}.csv`]?.get, f.name).toBeDefined();
    }
    const calls = doc.paths['/api/reports/calls'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(calls.properties.rows.items.properties)).toEqual(expect.arrayContaining(['period', 'kind', 'atendida', 'noContesta']));
  });
});

describe('rows about fewer than three usuarias, however large their counts', () => {
  it('leave every export as "<3" whole, also where she no longer lives; the dashboard still reads them', async () => {
    // Ceuta: one usuaria, four calls. Melilla: three calls of one who has since moved to Madrid.
    const ceuta = await centre(t.pool, '51', 'Ceuta', 'Ciudad de Ceuta');
    const melilla = await centre(t.pool, '52', 'Melilla', 'Ciudad de Melilla');
    const inCeuta = await usuaria(t.pool, { province: '51', municipality: 'Ceuta', centreId: ceuta, altaOn: '2026-02-01' });
    const inMelilla = await usuaria(t.pool, { province: '52', municipality: 'Melilla', centreId: melilla, altaOn: '2026-02-01' });
    for (const [who, n] of [[inCeuta, 4], [inMelilla, 3]] as const) {
      for (let i = 0; i < n; i++) {
        await call(t.pool, { usuariaId: who.usuariaId, direction: 'inbound', line: 'general', kind: 'A', startedAt: `2026-03-2${i}T10:00:00Z`,
          answerAfterS: 5, end: 'completed', filed: { kind: 'A', outcome: 'atendida' } });
      }
    }
    await move(t.pool, inMelilla.usuariaId, '28', 'Madrid');
    const json = (await t.app.inject({ url: `/api/reports/calls?${MARCH}&by=province`, headers: bearer(manager) })).json();
    expect(json.rows.map((r: { province: string; calls: number }) => [r.province, r.calls])).toEqual([['28', 3], ['35', 1], ['51', 4], ['52', 3]]);
    const lines = csvLines((await t.app.inject({ url: `/api/reports/calls.csv?${MARCH}&by=province`, headers: bearer(manager) })).body);
    const line = (province: string) => lines.find((l) => l.split(',')[1] === province)!.split(',');
    expect(line('28').slice(8, 11)).toEqual(['3', '3', '3']);
    for (const province of ['51', '52']) expect(line(province).slice(8), province).toEqual(Array(13).fill('<3'));
    // a figure with measures too (answer times: rates and percentiles)
    const answers = csvLines((await t.app.inject({ url: `/api/reports/answer-times.csv?${MARCH}&by=province`, headers: bearer(manager) })).body);
    expect(answers.find((l) => l.split(',')[1] === '51')!.split(',').slice(6).every((v) => v === '<3')).toBe(true);
    const summary = csvLines((await t.app.inject({ url: '/api/reports/monthly-summary.csv?month=2026-03&province=51', headers: bearer(manager) })).body);
    expect(summary.slice(1).map((l) => l.split(',').at(-1))).toEqual(summary.slice(1).map(() => '<3'));
    const madrid = csvLines((await t.app.inject({ url: '/api/reports/monthly-summary.csv?month=2026-03&province=28', headers: bearer(manager) })).body);
    expect(madrid.find((l) => l.startsWith('llamadas_A,'))).toBe('llamadas_A,Llamadas entrantes de la usuaria (A),3');
  });
});
