import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldCipher } from '../../store/crypto.ts';
import { randomBytes } from 'node:crypto';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let coord: string;
let op: string;
let centreId: string;
beforeAll(async () => {
  t = await startTestApp();
  coord = (await signIn(t, 'coordinator')).token;
  op = (await signIn(t, 'operator')).token;
  centreId = (await createCentre(t.pool)).id;
});
afterAll(async () => { await t.close(); });

const post = (url: string, payload: unknown, token = coord) =>
  t.app.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object });
const alta = (over: Record<string, unknown> = {}) => post('/api/usuarias', altaBody(centreId, over));
const fieldsOf = (res: { json(): { fields?: { field: string }[] } }) => (res.json().fields ?? []).map((f) => f.field);

describe('alta and ficha', () => {
  it('opens an expediente VG-<province>-<n> and reads the whole ficha back, decrypted and audited', async () => {
    const res = await alta();
    expect(res.statusCode).toBe(201);
    const { usuariaId, expedienteCode, status } = res.json();
    expect(expedienteCode).toMatch(/^VG-28-\d{6}$/);
    expect(status).toBe('activa');

    const ficha = await t.app.inject({ url: `/api/usuarias/${usuariaId}`, headers: bearer(op) });
    expect(ficha.statusCode).toBe(200);
    const f = ficha.json();
    expect(f.identification.personalPhone).toBe('+34611223344');
    expect(f.location).toMatchObject({ address: 'Calle Inventada 12, 3º B', municipality: 'Madrid', postalCode: '28013' });
    expect(f.location.work.municipality).toBe('Getafe');
    expect(f.contacts[0]).toMatchObject({ priority: 1, phone1: '+34622334455', holdsKeys: true });
    expect(f.resources[0]).toMatchObject({ category: 'fuerzas_seguridad', phone: '915550001' });
    expect(f.aggressor).toMatchObject({ vehicle: 'Turismo gris 0000-XXX', knowsHome: true });
    expect(f.health.notes).toBe('Asma; inhalador');
    expect(f.agendaPolicy).toMatchObject({ frequency: 'quincenal', weekdays: [2], windowFrom: '10:00', windowTo: '12:00', zone: 'Europe/Madrid' });
    expect(f.risk[0]).toMatchObject({ level: 'medio', assessedOn: '2026-10-30' });
    expect(f.terminals).toHaveLength(1);

    const { rows } = await t.pool.query(`select actor_type, action, route from audit_log where usuaria_id = $1 order by id`, [usuariaId]);
    expect(rows.map((r) => r.action)).toEqual(['usuaria.alta', 'ficha.read']);
    expect(rows[1].route).toBe('/api/usuarias/:id');
  });

  it('stores aggressor, health and location as ciphertext, and a wrong key fails loudly', async () => {
    const { usuariaId } = (await alta()).json();
    const { rows: [raw] } = await t.pool.query(`select u.location_enc, a.data_enc, h.notes_enc from usuarias u
      join aggressors a on a.usuaria_id = u.id join health_notes h on h.usuaria_id = u.id where u.id = $1`, [usuariaId]);
    for (const buf of [raw.location_enc, raw.data_enc, raw.notes_enc] as Buffer[]) {
      expect(buf.toString('latin1')).not.toMatch(/Inventada|Turismo|Asma/);
    }
    const wrong = fieldCipher(randomBytes(32));
    expect(() => wrong.open(raw.data_enc, `aggressors.data:${usuariaId}`)).toThrow(/could not be decrypted/);
    expect(t.cipher.open(raw.data_enc, `aggressors.data:${usuariaId}`)).toMatchObject({ vehicle: 'Turismo gris 0000-XXX' });
  });

  it('assigns the Canary zone to a usuaria of Las Palmas', async () => {
    const res = await alta({ location: { address: 'Calle Inventada 1', municipality: 'Telde', provinceCode: '35' } });
    const f = (await t.app.inject({ url: `/api/usuarias/${res.json().usuariaId}`, headers: bearer(op) })).json();
    expect(res.json().expedienteCode).toMatch(/^VG-35-/);
    expect(f.agendaPolicy.zone).toBe('Atlantic/Canary');
  });

  it('names every invalid field', async () => {
    const body = altaBody(centreId);
    const res = await post('/api/usuarias', { ...body, identification: { familyNames: 'X' },
      location: { ...body.location, provinceCode: '60' }, extra: true });
    expect(res.statusCode).toBe(400);
    expect(fieldsOf(res)).toEqual(expect.arrayContaining(['body.identification.givenName', 'body.location.provinceCode', 'body.extra']));

    const phones = await alta({ contacts: [{ priority: 1, fullName: 'A B', relationship: 'amiga', phone1: '1234', holdsKeys: false, consentOn: '2026-11-01' }],
      identification: { givenName: 'A', familyNames: 'B', personalPhone: '+34 000' } });
    expect(phones.statusCode, phones.body).toBe(400);
    expect(fieldsOf(phones)).toEqual(expect.arrayContaining(['body.contacts.0.phone1', 'body.identification.personalPhone']));

    const extra = await alta({ expediente: { centreId, altaType: 'extraordinaria', requestedOn: '2026-11-01', telematicControlOrder: false } });
    expect(fieldsOf(extra)).toEqual(expect.arrayContaining(['body.expediente.authorisationRef', 'body.expediente.authorisedOn']));

    const telematic = await alta({ expediente: { centreId, altaType: 'ordinaria', requestedOn: '2026-11-01', telematicControlOrder: true } });
    expect(fieldsOf(telematic)).toEqual(['body.expediente.telematicControlOrder']);

    const three = await alta({ resources: [1, 1].map(() => ({ category: 'sanitario', priority: 1, name: 'Centro de salud', phone: '915550002' })) });
    expect(fieldsOf(three)).toEqual(['body.resources.1.priority']);

    const json = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: { ...bearer(coord), 'content-type': 'application/json' }, payload: '{"identification":' });
    expect(json.statusCode).toBe(400);
    expect(json.json().message).toMatch(/JSON/);
    const { rows } = await t.pool.query(`select count(*)::int as n from usuarias where given_name = 'A'`);
    expect(rows[0].n).toBe(0);
  });

  it('refuses a second alta of the same document, pointing at her ficha', async () => {
    const body = altaBody(centreId);
    const first = await post('/api/usuarias', body);
    const again = await post('/api/usuarias', { ...altaBody(centreId), identification: body.identification });
    expect(again.statusCode).toBe(409);
    expect(again.json().usuariaId).toBe(first.json().usuariaId);
  });

  it('refuses a third alta after two bajas for incumplimiento (Anexo IV)', async () => {
    const { usuariaId } = (await alta()).json();
    const exp = { centreId, altaType: 'ordinaria', requestedOn: '2026-11-10', altaOn: '2026-11-11', telematicControlOrder: false };
    expect((await post(`/api/usuarias/${usuariaId}/baja`, { cause: 'falta_contacto', bajaOn: '2026-11-09' })).statusCode).toBe(200);
    expect((await post(`/api/usuarias/${usuariaId}/altas`, exp)).statusCode).toBe(201);
    expect((await post(`/api/usuarias/${usuariaId}/baja`, { cause: 'incumplimientos_reiterados', bajaOn: '2026-11-20' })).statusCode).toBe(200);
    const third = await post(`/api/usuarias/${usuariaId}/altas`, { ...exp, requestedOn: '2026-11-21', altaOn: null });
    expect(third.statusCode).toBe(409);
    expect(third.json().reason).toBe('two_bajas_incumplimiento');
    const { rows } = await t.pool.query(`select count(*)::int as n from outbox where usuaria_id = $1 and kind = 'baja_notice'`, [usuariaId]);
    expect(rows[0].n).toBe(2);
  });

  it('allows a new alta after a baja of another cause', async () => {
    const { usuariaId } = (await alta()).json();
    await post(`/api/usuarias/${usuariaId}/baja`, { cause: 'voluntaria', bajaOn: '2026-11-09' });
    const again = await post(`/api/usuarias/${usuariaId}/altas`, { centreId, altaType: 'ordinaria', requestedOn: '2026-11-12', telematicControlOrder: false });
    expect(again.statusCode).toBe(201);
    expect(again.json().status).toBe('solicitada');
    expect((await post(`/api/usuarias/${usuariaId}/altas`, { centreId, altaType: 'ordinaria', requestedOn: '2026-11-12', telematicControlOrder: false })).statusCode).toBe(409);
  });

  it('updates each part and audits it by part; operators may not restructure', async () => {
    const { usuariaId } = (await alta()).json();
    const put = (part: string, body: unknown, token = coord) =>
      t.app.inject({ method: 'PUT', url: `/api/usuarias/${usuariaId}/${part}`, headers: bearer(token), payload: body as object });
    expect((await put('contacts', [{ priority: 2, fullName: 'Hermana Ficticia', relationship: 'hermana', phone1: '633445566', holdsKeys: false, consentOn: '2026-11-03' }], op)).statusCode).toBe(204);
    expect((await put('location', { address: 'Otra Calle 5', municipality: 'Arona', provinceCode: '38' }, op)).statusCode).toBe(204);
    expect((await put('aggressor', { vehicle: 'Moto' }, op)).statusCode).toBe(403);
    expect((await put('aggressor', { vehicle: 'Moto' })).statusCode).toBe(204);
    expect((await post(`/api/usuarias/${usuariaId}/absences`, { startsOn: '2026-12-20', endsOn: '2026-12-28', reason: 'viaje familiar' }, op)).statusCode).toBe(201);
    const bad = await post(`/api/usuarias/${usuariaId}/absences`, { startsOn: '2026-12-28', endsOn: '2026-12-20', reason: 'x' }, op);
    expect(fieldsOf(bad)).toEqual(['body.endsOn']);
    const f = (await t.app.inject({ url: `/api/usuarias/${usuariaId}`, headers: bearer(op) })).json();
    expect(f.contacts.map((c: { priority: number }) => c.priority)).toEqual([2]);
    expect(f.location.provinceCode).toBe('38');
    expect(f.agendaPolicy.zone).toBe('Atlantic/Canary');
    expect(f.aggressor).toEqual({ vehicle: 'Moto' });
    expect(f.absences).toHaveLength(1);
    const { rows } = await t.pool.query(`select detail->>'part' as part from audit_log where usuaria_id = $1 and action = 'ficha.update' order by id`, [usuariaId]);
    expect(rows.map((r) => r.part)).toEqual(['contacts', 'location', 'aggressor', 'absences']);
  });

  it('answers 404 for an unknown usuaria and 400 for a malformed id', async () => {
    expect((await t.app.inject({ url: '/api/usuarias/00000000-0000-4000-8000-000000000000', headers: bearer(op) })).statusCode).toBe(404);
    const bad = await t.app.inject({ url: '/api/usuarias/nope', headers: bearer(op) });
    expect(bad.statusCode).toBe(400);
    expect(fieldsOf(bad)).toEqual(['params.id']);
  });
});

describe('terminals', () => {
  it('keeps one active terminal per MSISDN and per usuaria, and needs the denuncia to replace a stolen one', async () => {
    const a = (await alta()).json();
    const b = (await alta({ terminal: undefined })).json();
    const { rows: [ta] } = await t.pool.query(`select msisdn from terminals where id = $1`, [a.terminalId]);
    const dup = await post(`/api/usuarias/${b.usuariaId}/terminals`, { msisdn: ta.msisdn });
    expect(dup.statusCode).toBe(409);
    expect((await post(`/api/usuarias/${a.usuariaId}/terminals`, { msisdn: '+34655000111' })).statusCode).toBe(409);

    const stolen = await post(`/api/terminals/${a.terminalId}/replace`, { reason: 'stolen', terminal: { msisdn: '+34655000222' } });
    expect(stolen.statusCode).toBe(400);
    expect(fieldsOf(stolen)).toEqual(['body.denunciaRef']);
    const ok = await post(`/api/terminals/${a.terminalId}/replace`, { reason: 'stolen', denunciaRef: 'ATT-2026-1234', terminal: { msisdn: ta.msisdn } });
    expect(ok.statusCode).toBe(201);
    const { rows } = await t.pool.query(`select status, denuncia_ref from terminals where usuaria_id = $1 order by created_at`, [a.usuariaId]);
    expect(rows).toEqual([{ status: 'stolen', denuncia_ref: 'ATT-2026-1234' }, { status: 'active', denuncia_ref: null }]);

    expect((await post(`/api/terminals/${ok.json().id}/status`, { status: 'lost' })).statusCode).toBe(200);
    expect((await post(`/api/terminals/${ok.json().id}/return`, {})).json().status).toBe('returned');
    expect((await post(`/api/terminals/${ok.json().id}/status`, { status: 'active' })).statusCode).toBe(409);
  });
});
