import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../store/db.ts';
import { serviceTokensRepo, sessionsRepo } from '../store/users.repo.ts';
import type { Clock } from '../common/clock.ts';
import { forbidden, unauthorized } from '../common/errors.ts';
import { allows, type Access, type Actor } from './actor.ts';
import { tokenHash } from './secrets.ts';

declare module 'fastify' {
  interface FastifyRequest { actor: Actor | null }
  interface FastifyContextConfig { access?: Access; public?: boolean }
}

export const SESSION_COOKIE = 'atenpro_session';

/** The bearer token of a request: `Authorization: Bearer …` or the console's session cookie. */
export function requestToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m ? m[1]! : null;
  }
  return req.cookies?.[SESSION_COOKIE] ?? null;
}

async function resolveActor(db: Queryable, token: string, now: Date): Promise<Actor | null> {
  const hash = tokenHash(token);
  if (token.startsWith('svc_')) {
    const svc = await serviceTokensRepo(db).resolve(hash);
    return svc ? { type: 'service', id: svc.id, name: svc.name, scopes: svc.scopes } : null;
  }
  if (!token.startsWith('ses_')) return null;
  const user = await sessionsRepo(db).resolve(hash, 'session', now);
  return user ? { type: 'user', id: user.id, username: user.username, role: user.role } : null;
}

/**
 * Authenticates every request that carries a token and enforces each route's `access`.
 * A route under /api/ without `access` or `public` refuses to register.
 */
export const authPlugin = fp<{ db: Queryable; clock: Clock }>(async (app, { db, clock }) => {
  app.decorateRequest('actor', null);
  app.addHook('onRoute', (route) => {
    const cfg = route.config as { access?: Access; public?: boolean } | undefined;
    if (route.url.startsWith('/api/') && !cfg?.public && !cfg?.access) {
      throw new Error(`route ${route.method} ${route.url} declares neither access nor public`);
    }
  });
  app.addHook('onRequest', async (req: FastifyRequest, _reply: FastifyReply) => {
    const cfg = req.routeOptions.config;
    if (cfg.public || !cfg.access) return;
    const token = requestToken(req);
    if (!token) throw unauthorized();
    const actor = await resolveActor(db, token, clock.now());
    if (!actor) throw unauthorized('Sesión no válida o caducada.');
    req.actor = actor;
    if (!allows(cfg.access, actor)) throw forbidden();
  });
}, { name: 'auth' });

/** The authenticated actor of a route that declared `access` (the hook guarantees one). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw unauthorized();
  return req.actor;
}
