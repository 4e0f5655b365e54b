import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.close(); });

describe('no personal data in logs', () => {
  it('logs an alta, a search and a ficha read without her name, document, phone or address', async () => {
    const coord = (await signIn(t, 'coordinator')).token;
    const op = (await signIn(t, 'operator')).token;
    const centre = await createCentre(t.pool);
    const body = altaBody(centre.id, {
      identification: { givenName: 'Remedios', familyNames: 'Zarzalejo Quintanilla', idDocument: '87654321X', personalPhone: '+34 699 887 766' },
    });
    const before = t.logs.length;
    const alta = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
    expect(alta.statusCode).toBe(201);
    const search = await t.app.inject({ url: '/api/usuarias?name=Zarzalejo', headers: bearer(op) });
    expect(search.json()[0].familyNames).toBe('Zarzalejo Quintanilla');
    const ficha = await t.app.inject({ url: `/api/usuarias/${alta.json().usuariaId}`, headers: bearer(op) });
    expect(ficha.statusCode).toBe(200);
    const bad = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord),
      payload: { ...body, identification: { ...body.identification, personalPhone: '+34 699' } } });
    expect(bad.statusCode).toBe(400);

    const written = t.logs.slice(before).join('\n');
    expect(written).toContain('/api/usuarias'); // the requests were logged...
    for (const secret of ['Remedios', 'Zarzalejo', 'Quintanilla', '87654321X', '699887766', '699 887 766', 'Calle Inventada',
      body.terminal.msisdn, '622334455', 'Carmen', 'Turismo', 'Asma']) {
      expect(written, `log mentions ${secret}`).not.toContain(secret); // ...without anything that identifies her
    }
  });
});
