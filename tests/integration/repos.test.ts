import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRepo } from '../../store/audit.repo.ts';
import { fieldCipher } from '../../store/crypto.ts';
import { withTransaction } from '../../store/db.ts';
import { terminalLifecycleRepo } from '../../store/terminal-lifecycle.repo.ts';
import { terminalsRepo } from '../../store/terminals.repo.ts';
import { centresRepo, expedientesRepo, usuariasRepo } from '../../store/usuarias.repo.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
let centreId: string;
const cipher = fieldCipher(Buffer.alloc(32, 7));

beforeAll(async () => {
  db = await freshDatabase();
  centreId = (await centresRepo(db.pool).create({ code: 'SS-41-1', name: 'Centro', entidadLocal: 'Ayuntamiento de Sevilla',
    provinceCode: '41', municipality: 'Sevilla', email: null, phone: null })).id;
});
afterAll(async () => { await db.drop(); });

async function usuaria(provinceCode = '41') {
  const id = randomUUID();
  await usuariasRepo(db.pool).insert({ id, givenName: 'Ana', familyNames: 'Repositorio', idDocument: null, birthDate: null,
    nationality: null, disability: false, personalPhone: null, municipality: 'Sevilla', provinceCode,
    locationEnc: cipher.seal({ address: 'x' }, `usuarias.location:${id}`), otherResources: null, specialisedProgrammes: null });
  return id;
}

describe('repositories against PostgreSQL', () => {
  it('gives concurrent altas in one province distinct, consecutive expediente codes', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => usuaria()));
    const codes = await Promise.all(ids.map((usuariaId) => withTransaction(db.pool, (tx) => expedientesRepo(tx).insert({
      usuariaId, provinceCode: '41', centreId, altaType: 'ordinaria', altaCategory: 'victima', requestedOn: '2026-11-01',
      altaOn: '2026-11-02', authorisationRef: null, authorisedOn: null, telematicControlOrder: false }))));
    expect(codes.map((c) => c.code).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `VG-41-${String(i + 1).padStart(6, '0')}`));
  });

  it('refuses a second open expediente and an extraordinaria without authorisation at the database too', async () => {
    const id = await usuaria();
    const base = { usuariaId: id, provinceCode: '41', centreId, altaCategory: 'victima', requestedOn: '2026-11-01', altaOn: null,
      authorisedOn: null, telematicControlOrder: false };
    await expect(expedientesRepo(db.pool).insert({ ...base, altaType: 'extraordinaria', authorisationRef: null })).rejects.toMatchObject({ code: '23514' });
    await expedientesRepo(db.pool).insert({ ...base, altaType: 'ordinaria', authorisationRef: null });
    await expect(expedientesRepo(db.pool).insert({ ...base, altaType: 'ordinaria', authorisationRef: null })).rejects.toMatchObject({ code: '23505' });
  });

  it('lets one MSISDN belong to one active terminal only, and identifies by it', async () => {
    const a = await usuaria();
    const b = await usuaria();
    const repo = terminalLifecycleRepo(db.pool);
    const t = await repo.insertActive({ usuariaId: a, msisdn: '+34655999001', imei: null, model: 'T', deliveredOn: null });
    await expect(repo.insertActive({ usuariaId: b, msisdn: '+34655999001', imei: null, model: 'T', deliveredOn: null }))
      .rejects.toMatchObject({ code: '23505' });
    expect(await terminalsRepo(db.pool).findActiveByMsisdn('+34655999001')).toMatchObject({ usuariaId: a, terminalId: t.id });
    await repo.setStatus(t.id, 'lost', null);
    expect(await terminalsRepo(db.pool).findActiveByMsisdn('+34655999001')).toBeNull();
    await repo.insertActive({ usuariaId: b, msisdn: '+34655999001', imei: null, model: 'T', deliveredOn: null });
    expect(await terminalsRepo(db.pool).findActiveByMsisdn('+34655999001')).toMatchObject({ usuariaId: b });
  });

  it('keeps the audit log append-only', async () => {
    await auditRepo(db.pool).write({ actor: { type: 'system', id: null }, action: 'test.write' });
    await expect(db.pool.query(`update audit_log set action = 'changed'`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query('delete from audit_log')).rejects.toThrow(/append-only/);
    expect((await auditRepo(db.pool).list({ action: 'test.write', limit: 10 }))).toHaveLength(1);
  });
});
