import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldCipher } from '../../store/crypto.ts';
import { sampleMsisdns, seedUsuarias } from '../../store/seed/index.ts';
import { terminalMsisdn } from '../../store/seed/identity.ts';
import type { LocationDoc } from '../../store/seed/types.ts';
import { terminalsRepo } from '../../store/terminals.repo.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
const cipher = fieldCipher(randomBytes(32));
beforeAll(async () => { db = await freshDatabase(); });
afterAll(async () => { await db.drop(); });

const one = async <T>(sql: string, values: unknown[] = []): Promise<T> => (await db.pool.query(sql, values)).rows[0] as T;

describe('synthetic seed', () => {
  it('appends on existing data without colliding with active terminals, and keeps correlativos consistent', async () => {
    // an active terminal that already holds the number the seeder would give its second terminal
    const taken = terminalMsisdn(1);
    const { rows: [u] } = await db.pool.query<{ id: string }>(
      `insert into usuarias (id, given_name, family_names, municipality, province_code, location_enc)
       values ($1, 'Prueba', 'Previa', 'Madrid', '28', '\\x00') returning id`, [randomUUID()]);
    await db.pool.query(`insert into terminals (usuaria_id, msisdn, status) values ($1, $2, 'active')`, [u!.id, taken]);

    const first = await seedUsuarias(db.pool, cipher, { usuarias: 300, seed: 3, batchSize: 120 });
    const second = await seedUsuarias(db.pool, cipher, { usuarias: 200, seed: 3, batchSize: 120 });
    expect(first.usuarias + second.usuarias).toBe(500);

    const counts = await one<{ u: number; t: number; m: number; e: number; c: number; max_ok: boolean }>(`
      select (select count(*)::int from usuarias) u,
             (select count(*)::int from terminals where status = 'active') t,
             (select count(distinct msisdn)::int from terminals where status = 'active') m,
             (select count(*)::int from expedientes where status = 'activa') e,
             (select sum(last_value)::int from expediente_counters) c,
             (select bool_and(k.last_value = (select max(substring(e.code from 7)::int) from expedientes e
                where e.code like 'VG-' || k.province_code || '-%')) from expediente_counters k) max_ok`);
    expect(counts).toEqual({ u: 501, t: 501, m: 501, e: 500, c: 500, max_ok: true });
  });

  it('writes ciphertexts the app can open with its contexts', async () => {
    const row = await one<{ id: string; location_enc: Buffer; data_enc: Buffer }>(`
      select u.id, u.location_enc, a.data_enc from usuarias u join aggressors a on a.usuaria_id = u.id limit 1`);
    const location = cipher.open<LocationDoc>(row.location_enc, `usuarias.location:${row.id}`);
    expect(location.address).toBeTruthy();
    expect(cipher.open<{ judicialMeasures: unknown[] }>(row.data_enc, `aggressors.data:${row.id}`).judicialMeasures).toBeInstanceOf(Array);
  });

  it('is what caller identification finds, in one query', async () => {
    const [msisdn] = await sampleMsisdns(db.pool, 1);
    const match = await terminalsRepo(db.pool).findActiveByMsisdn(msisdn!);
    const expected = await one<{ code: string; level: string }>(`
      select e.code, (select level from risk_assessments r where r.usuaria_id = t.usuaria_id
                      order by assessed_on desc, created_at desc limit 1) as level
        from terminals t join expedientes e on e.usuaria_id = t.usuaria_id and e.status <> 'baja'
       where t.msisdn = $1 and t.status = 'active'`, [msisdn]);
    expect(match).toMatchObject({ expedienteCode: expected.code, riskLevel: expected.level });
    expect(match!.zone).toMatch(/^(Europe\/Madrid|Atlantic\/Canary)$/);
    expect(await terminalsRepo(db.pool).findActiveByMsisdn('+34711111111')).toBeNull();
  });
});
