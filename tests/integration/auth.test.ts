import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../access/secrets.ts';
import { usersRepo } from '../../store/users.repo.ts';
import { bearer, PASSWORD, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => { t = await startTestApp({ loginRateLimitPerMinute: 5 }); });
afterAll(async () => { await t.close(); });

const login = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/auth/login', payload });

describe('sign-in', () => {
  it('refuses a wrong password and an unknown user with the same 401', async () => {
    await usersRepo(t.pool).create({ username: 'op-wrong', displayName: 'x', role: 'operator', passwordHash: await hashPassword(PASSWORD) });
    const wrong = await login({ username: 'op-wrong', password: 'otra-contraseña-1' });
    const unknown = await login({ username: 'nadie-aqui', password: 'otra-contraseña-1' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().message).toBe(unknown.json().message);
  });

  it('lets an operator in with a password alone when TOTP is not required for operators', async () => {
    await usersRepo(t.pool).create({ username: 'op-plain', displayName: 'x', role: 'operator', passwordHash: await hashPassword(PASSWORD) });
    const res = await login({ username: 'op-plain', password: PASSWORD });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ok');
    const me = await t.app.inject({ url: '/api/auth/me', headers: bearer(res.json().token) });
    expect(me.json()).toMatchObject({ username: 'op-plain', role: 'operator' });
  });

  it('makes a coordinator enrol a second factor, then demands it and refuses a replayed code', async () => {
    await usersRepo(t.pool).create({ username: 'coord-2fa', displayName: 'x', role: 'coordinator', passwordHash: await hashPassword(PASSWORD) });
    const first = await login({ username: 'coord-2fa', password: PASSWORD });
    expect(first.json().status).toBe('totp_enrollment');
    const { enrollmentToken, secret } = first.json();
    const at = () => Math.floor(t.clock.now().getTime() / 1000);
    const enrolled = await t.app.inject({ method: 'POST', url: '/api/auth/totp/enroll',
      payload: { enrollmentToken, totpCode: await generate({ secret, epoch: at() }) } });
    expect(enrolled.statusCode).toBe(200);
    expect(enrolled.json().status).toBe('ok');

    expect((await login({ username: 'coord-2fa', password: PASSWORD })).json().reason).toBe('totp_required');
    t.clock.advance(60_000);
    const code = await generate({ secret, epoch: at() });
    expect((await login({ username: 'coord-2fa', password: PASSWORD, totpCode: code })).statusCode).toBe(200);
    const replay = await login({ username: 'coord-2fa', password: PASSWORD, totpCode: code });
    expect(replay.statusCode).toBe(401);
  });

  it('rate-limits repeated attempts on one account', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await login({ username: 'limitada', password: 'mala-contraseña-9' })).statusCode);
    expect(codes.slice(0, 5).every((c) => c === 401)).toBe(true);
    expect(codes.at(-1)).toBe(429);
  });
});

describe('tokens and roles', () => {
  it('401 without a token, with a forged one, and after logout', async () => {
    expect((await t.app.inject({ url: '/api/usuarias' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/usuarias', headers: bearer('ses_forged') })).statusCode).toBe(401);
    const { token } = await signIn(t, 'operator');
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(token) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/auth/me', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('expires a session after its lifetime', async () => {
    const { token } = await signIn(t, 'operator');
    t.clock.advance(t.config.sessionTtlMinutes * 60_000 + 1);
    expect((await t.app.inject({ url: '/api/auth/me', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('keeps each role to its own routes', async () => {
    const op = await signIn(t, 'operator');
    const admin = await signIn(t, 'admin');
    expect((await t.app.inject({ url: '/api/users', headers: bearer(op.token) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/audit', headers: bearer(op.token) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/users', headers: bearer(admin.token) })).statusCode).toBe(200);
    // admins manage accounts; they do not read victims' files
    expect((await t.app.inject({ url: '/api/usuarias?name=abc', headers: bearer(admin.token) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(op.token), payload: {} })).statusCode).toBe(403);
  });

  it('gives a service token only its scopes, and nothing once revoked', async () => {
    const admin = await signIn(t, 'admin');
    const created = await t.app.inject({ method: 'POST', url: '/api/service-tokens', headers: bearer(admin.token),
      payload: { name: 'plataforma-import', scopes: ['usuarias:import'] } });
    expect(created.statusCode).toBe(201);
    const svc = created.json().token as string;
    expect(svc.startsWith('svc_')).toBe(true);
    const csv = 'given_name,family_names,address,municipality,province_code,centre_code,alta_type,requested_on\n';
    const imp = await t.app.inject({ method: 'POST', url: '/api/import/usuarias', headers: { ...bearer(svc), 'content-type': 'text/csv' }, payload: csv });
    expect(imp.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/usuarias?name=abc', headers: bearer(svc) })).statusCode).toBe(403);
    await t.app.inject({ method: 'DELETE', url: `/api/service-tokens/${created.json().id}`, headers: bearer(admin.token) });
    const after = await t.app.inject({ method: 'POST', url: '/api/import/usuarias', headers: { ...bearer(svc), 'content-type': 'text/csv' }, payload: csv });
    expect(after.statusCode).toBe(401);
  });

  it('refuses a weak password for a new account, naming the field', async () => {
    const admin = await signIn(t, 'admin');
    const res = await t.app.inject({ method: 'POST', url: '/api/users', headers: bearer(admin.token),
      payload: { username: 'nueva', displayName: 'Nueva', role: 'operator', password: 'corta' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields[0].field).toBe('body.password');
  });
});
