import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let coord: string;
beforeAll(async () => {
  t = await startTestApp();
  coord = (await signIn(t, 'coordinator')).token;
  await createCentre(t.pool, '28', 'SS-28-CENTRO');
  await createCentre(t.pool, '38', 'SS-38-ARONA');
});
afterAll(async () => { await t.close(); });

const HEADER = 'given_name,family_names,id_document,personal_phone,address,municipality,province_code,centre_code,alta_type,' +
  'requested_on,alta_on,risk_level,risk_assessed_on,terminal_msisdn,contact1_name,contact1_relationship,contact1_phone,' +
  'contact1_consent_on,contact2_name,contact2_relationship,contact2_phone,contact2_consent_on,agenda_frequency,agenda_weekdays,' +
  'agenda_window_from,agenda_window_to';
const ROWS = [
  // line 2: good
  'Ana,Sintética Uno,10000001A,611000001,Calle Falsa 1,Madrid,28,SS-28-CENTRO,ordinaria,2026-11-01,2026-11-03,bajo,2026-10-30,+34655100001,Rosa Ficticia,madre,622000001,2026-11-01,,,,,quincenal,2|4,10:00,12:00',
  // line 3: bad phone of contact 2, bad province, unknown weekday
  'Berta,Sintética Dos,10000002B,611000002,Calle Falsa 2,Madrid,99,SS-28-CENTRO,ordinaria,2026-11-01,,,,+34655100002,Rosa Ficticia,madre,622000002,2026-11-01,Luis Ficticio,hermano,12345,2026-11-01,mensual,9,10:00,12:00',
  // line 4: unknown centre, missing family names
  'Carla,,10000003C,,Calle Falsa 3,Arona,38,SS-99-NADA,ordinaria,2026-11-01,,,,,,,,,,,,,,,,',
  // line 5: good, Canary
  'Dolores,Sintética Cuatro,10000004D,,Calle Falsa 4,Arona,38,SS-38-ARONA,ordinaria,2026-11-01,2026-11-02,,,+34655100004,,,,,,,,,mensual,1,17:00,19:00',
  // line 6: the same terminal number as line 2: refused by the store, nothing of it written
  'Elena,Sintética Cinco,10000005E,,Calle Falsa 5,Madrid,28,SS-28-CENTRO,ordinaria,2026-11-01,2026-11-02,,,+34655100001,,,,,,,,,,,,',
  // line 7: window that ends before it starts
  'Fátima,Sintética Seis,10000006F,,Calle Falsa 6,Madrid,28,SS-28-CENTRO,ordinaria,2026-11-01,,,,,,,,,,,,,quincenal,3,12:00,10:00',
];

const send = (csv: string, query = '') => t.app.inject({ method: 'POST', url: `/api/import/usuarias${query}`,
  headers: { ...bearer(coord), 'content-type': 'text/csv' }, payload: csv });

describe('CSV import', () => {
  it('reports every bad row by line and column and writes nothing from it', async () => {
    const res = await send([HEADER, ...ROWS].join('\n'));
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ total: 6, imported: 2, rejected: 4, dryRun: false });
    const byLine = Object.fromEntries(report.rows.map((r: { line: number }) => [r.line, r]));
    expect(byLine[2].status).toBe('imported');
    expect(byLine[5].status).toBe('imported');
    const cols = (line: number) => byLine[line].errors.map((e: { column: string }) => e.column).sort();
    expect(cols(3)).toEqual(['agenda_weekdays', 'province_code']);
    expect(cols(4)).toEqual(['centre_code', 'family_names']);
    expect(cols(6)).toEqual(['terminal_msisdn']);
    expect(cols(7)).toEqual(['agenda_window_to']);
    // the report never echoes a cell
    expect(res.body).not.toMatch(/Berta|12345|Calle Falsa/);

    const { rows } = await t.pool.query(`select u.given_name, e.code, p.zone, p.weekdays, t.msisdn,
      (select count(*)::int from contact_persons c where c.usuaria_id = u.id) as contacts
      from usuarias u join expedientes e on e.usuaria_id = u.id left join agenda_policies p on p.usuaria_id = u.id
      left join terminals t on t.usuaria_id = u.id order by u.given_name`);
    expect(rows).toEqual([
      { given_name: 'Ana', code: expect.stringMatching(/^VG-28-/), zone: 'Europe/Madrid', weekdays: [2, 4], msisdn: '+34655100001', contacts: 1 },
      { given_name: 'Dolores', code: expect.stringMatching(/^VG-38-/), zone: 'Atlantic/Canary', weekdays: [1], msisdn: '+34655100004', contacts: 0 },
    ]);
    const leftovers = await t.pool.query(`select count(*)::int as n from usuarias where given_name in ('Berta', 'Carla', 'Elena', 'Fátima')`);
    expect(leftovers.rows[0].n).toBe(0);
  });

  it('validates without writing in a dry run', async () => {
    const before = (await t.pool.query('select count(*)::int as n from usuarias')).rows[0].n;
    const row = 'Gema,Sintética Siete,10000007G,,Calle Falsa 7,Madrid,28,SS-28-CENTRO,ordinaria,2026-11-01,,,,+34655100007,,,,,,,,,,,,';
    const res = await send([HEADER, row].join('\n'), '?dryRun=true');
    expect(res.json()).toMatchObject({ total: 1, imported: 1, rejected: 0, dryRun: true });
    expect((await t.pool.query('select count(*)::int as n from usuarias')).rows[0].n).toBe(before);
  });

  it('refuses an unknown or incomplete header, and unreadable CSV, as a whole', async () => {
    const unknown = await send('given_name,family_names,colour\nA,B,C');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ unknownColumns: ['colour'], missingColumns: expect.arrayContaining(['address', 'centre_code']) });
    const broken = await send(`${HEADER}\n"unterminated,quote`);
    expect(broken.statusCode).toBe(400);
    const json = await t.app.inject({ method: 'POST', url: '/api/import/usuarias', headers: bearer(coord), payload: { a: 1 } });
    expect(json.statusCode).toBe(415);
  });
});
