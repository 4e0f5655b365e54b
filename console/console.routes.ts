import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export const CONSOLE_PREFIX = '/consola/';
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

/**
 * The pages an operator works in show victims' data: nothing from elsewhere may run in them,
 * frame them or learn their address, and no copy of them may stay in a cache.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': [
    "default-src 'self'", "connect-src 'self' ws: wss:", "img-src 'self'", "object-src 'none'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

function secure(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  // HTML is never stored; scripts and styles are revalidated (ETag) so a deploy reaches every desk
  const html = /^text\/html\b/.test(String(reply.getHeader('content-type') ?? ''));
  reply.header('cache-control', html || reply.statusCode >= 300 ? 'no-store' : 'no-cache');
}

/** The operator console: static pages and modules, no build step, served under /consola/. */
export const consoleStaticRoutes: FastifyPluginAsync = async (app) => {
  // encapsulated: these headers apply to the console's responses only, not to the API
  app.addHook('onSend', async (_req, reply, payload) => { secure(reply); return payload; });
  await app.register(fastifyStatic, {
    root: ROOT, prefix: CONSOLE_PREFIX, index: 'index.html', dotfiles: 'ignore', cacheControl: false,
  });
  for (const url of ['/', CONSOLE_PREFIX.slice(0, -1)]) {
    app.get(url, { schema: { hide: true } }, (_req, reply) => reply.redirect(CONSOLE_PREFIX));
  }
};
