import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RateLimitOptions } from '@fastify/rate-limit';
import { conflict, invalid, notFound } from '../common/errors.ts';
import { auditRepo } from '../store/audit.repo.ts';
import { serviceTokensRepo, usersRepo } from '../store/users.repo.ts';
import { withTransaction } from '../store/db.ts';
import { actorOf, requestToken, SESSION_COOKIE } from './auth.plugin.ts';
import { auditActor } from './actor.ts';
import { loginService, publicUser, type LoginDeps } from './login.ts';
import { hashPassword, newToken, passwordProblem, tokenHash } from './secrets.ts';

export const SERVICE_SCOPES = ['usuarias:import', 'location:write'] as const;

const Username = Type.String({ pattern: '^[a-zA-Z0-9._-]{3,40}$', description: 'letters, digits, . _ -' });
const Role = Type.Union([Type.Literal('operator'), Type.Literal('coordinator'), Type.Literal('manager'), Type.Literal('admin')]);
const Uuid = Type.String({ format: 'uuid' });
const UserOut = Type.Object({ id: Uuid, username: Type.String(), displayName: Type.String(), role: Role });
const LoginOk = Type.Object({
  status: Type.String(), token: Type.Optional(Type.String()), expiresAt: Type.Optional(Type.String()),
  user: Type.Optional(UserOut), enrollmentToken: Type.Optional(Type.String()),
  otpauthUri: Type.Optional(Type.String()), secret: Type.Optional(Type.String()),
});

export interface AccessRoutesOptions extends LoginDeps { loginRateLimit: number }

export const accessRoutes: FastifyPluginAsyncTypebox<AccessRoutesOptions> = async (app, opts) => {
  const { pool, config } = opts;
  const logins = loginService(opts);
  const secure = config.publicBaseUrl.startsWith('https:');
  const rateLimit: RateLimitOptions = {
    max: opts.loginRateLimit, timeWindow: '1 minute', hook: 'preHandler',
    keyGenerator: (req) => `${req.ip}|${String((req.body as { username?: string } | undefined)?.username ?? '').toLowerCase()}`,
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: 'rate_limited',
      message: `Demasiados intentos. Espere ${Math.ceil(ctx.ttl / 1000)} s antes de volver a intentarlo.` }),
  };
  const setCookie = (reply: { setCookie: Function }, token: string, expiresAt: string) =>
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', expires: new Date(expiresAt) });

  app.post('/api/auth/login', {
    config: { public: true, rateLimit },
    schema: {
      tags: ['auth'], summary: 'Sign in with password and, where required, a TOTP code',
      body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 80 }), password: Type.String({ minLength: 1, maxLength: 200 }),
        totpCode: Type.Optional(Type.String({ maxLength: 10 })) }, { additionalProperties: false }),
      response: { 200: LoginOk },
    },
  }, async (req, reply) => {
    const result = await logins.login(req.body.username, req.body.password, req.body.totpCode, req.routeOptions.url!);
    if (result.status === 'ok') setCookie(reply, result.token, result.expiresAt);
    return result;
  });

  app.post('/api/auth/totp/enroll', {
    config: { public: true, rateLimit },
    schema: {
      tags: ['auth'], summary: 'Confirm the second factor with the first code from the authenticator app',
      body: Type.Object({ enrollmentToken: Type.String({ minLength: 1 }), totpCode: Type.String({ pattern: '^[0-9]{6}$' }) },
        { additionalProperties: false }),
      response: { 200: LoginOk },
    },
  }, async (req, reply) => {
    const result = await logins.completeEnrollment(req.body.enrollmentToken, req.body.totpCode, req.routeOptions.url!);
    if (result.status === 'ok') setCookie(reply, result.token, result.expiresAt);
    return result;
  });

  app.post('/api/auth/logout', {
    config: { access: { roles: ['operator', 'coordinator', 'manager', 'admin'] } },
    schema: { tags: ['auth'], response: { 204: Type.Null() } },
  }, async (req, reply) => {
    await logins.logout(requestToken(req)!);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  app.get('/api/auth/me', {
    config: { access: { roles: ['operator', 'coordinator', 'manager', 'admin'] } },
    schema: { tags: ['auth'], response: { 200: UserOut } },
  }, async (req) => {
    const user = await usersRepo(pool).byId(actorOf(req).id);
    if (!user) throw notFound('Usuario no encontrado.');
    return publicUser(user);
  });

  const adminOnly = { access: { roles: ['admin' as const] } };

  app.get('/api/users', { config: adminOnly, schema: { tags: ['admin'], response: { 200: Type.Array(
    Type.Object({ ...UserOut.properties, disabled: Type.Boolean(), totpEnabled: Type.Boolean(), deviceUri: Type.Union([Type.String(), Type.Null()]) })) } } },
  async () => (await usersRepo(pool).list()).map((u) =>
    ({ ...publicUser(u), disabled: u.disabled, totpEnabled: u.totpEnabled, deviceUri: u.deviceUri })));

  app.post('/api/users', {
    config: adminOnly,
    schema: {
      tags: ['admin'], summary: 'Create a user account',
      body: Type.Object({ username: Username, displayName: Type.String({ minLength: 1, maxLength: 120 }), role: Role,
        password: Type.String({ minLength: 1, maxLength: 200 }), deviceUri: Type.Optional(Type.String({ maxLength: 200 })) },
        { additionalProperties: false }),
      response: { 201: UserOut },
    },
  }, async (req, reply) => {
    const problem = passwordProblem(req.body.password);
    if (problem) throw invalid(problem, { fields: [{ field: 'body.password', message: problem }] });
    const username = req.body.username.toLowerCase();
    if (await usersRepo(pool).byUsername(username)) throw conflict('Ya existe un usuario con ese nombre.', { field: 'body.username' });
    const user = await usersRepo(pool).create({ username, displayName: req.body.displayName, role: req.body.role,
      passwordHash: await hashPassword(req.body.password), deviceUri: req.body.deviceUri ?? null });
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'user.create', route: req.routeOptions.url!,
      detail: { userId: user.id, role: user.role } });
    return reply.code(201).send(publicUser(user));
  });

  app.post('/api/users/:id/disable', {
    config: adminOnly,
    schema: { tags: ['admin'], params: Type.Object({ id: Uuid }), response: { 204: Type.Null() } },
  }, async (req, reply) => {
    await withTransaction(pool, async (tx) => {
      if (!(await usersRepo(tx).setDisabled(req.params.id, true))) throw notFound('Usuario no encontrado.');
      await auditRepo(tx).write({ actor: auditActor(actorOf(req)), action: 'user.disable', route: req.routeOptions.url!,
        detail: { userId: req.params.id } });
    });
    return reply.code(204).send(null);
  });

  app.get('/api/service-tokens', { config: adminOnly, schema: { tags: ['admin'] } },
    async () => serviceTokensRepo(pool).list());

  app.post('/api/service-tokens', {
    config: adminOnly,
    schema: {
      tags: ['admin'], summary: 'Create a token for a machine client; the token is shown once',
      body: Type.Object({ name: Type.String({ pattern: '^[a-z0-9._-]{3,60}$' }),
        scopes: Type.Array(Type.Union(SERVICE_SCOPES.map((s) => Type.Literal(s))), { minItems: 1, uniqueItems: true }) },
        { additionalProperties: false }),
      response: { 201: Type.Object({ id: Uuid, name: Type.String(), scopes: Type.Array(Type.String()), token: Type.String() }) },
    },
  }, async (req, reply) => {
    const token = newToken('svc');
    const created = await serviceTokensRepo(pool).create(req.body.name, tokenHash(token), req.body.scopes, actorOf(req).id)
      .catch((err: { code?: string }) => { throw err.code === '23505' ? conflict('Ya existe un token con ese nombre.') : err; });
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'service_token.create', route: req.routeOptions.url!,
      detail: { tokenId: created.id, scopes: created.scopes } });
    return reply.code(201).send({ id: created.id, name: created.name, scopes: created.scopes, token });
  });

  app.delete('/api/service-tokens/:id', {
    config: adminOnly, schema: { tags: ['admin'], params: Type.Object({ id: Uuid }), response: { 204: Type.Null() } },
  }, async (req, reply) => {
    if (!(await serviceTokensRepo(pool).revoke(req.params.id))) throw notFound('Token no encontrado.');
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'service_token.revoke', route: req.routeOptions.url!,
      detail: { tokenId: req.params.id } });
    return reply.code(204).send(null);
  });

  app.get('/api/audit', {
    config: adminOnly,
    schema: {
      tags: ['admin'], summary: 'The audit log, newest first',
      querystring: Type.Object({
        usuariaId: Type.Optional(Uuid), actorId: Type.Optional(Uuid), action: Type.Optional(Type.String({ maxLength: 60 })),
        from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })),
        beforeId: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
      }, { additionalProperties: false }),
    },
  }, async (req) => {
    const q = req.query;
    const rows = await auditRepo(pool).list({ usuariaId: q.usuariaId, actorId: q.actorId, action: q.action,
      from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, beforeId: q.beforeId, limit: q.limit });
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'audit.list', route: req.routeOptions.url!,
      detail: { usuariaId: q.usuariaId ?? null, count: rows.length } });
    return rows;
  });
};
