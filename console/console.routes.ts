import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export const CONSOLE_PREFIX = '/consola/';
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
/** Leaflet is served from the installed package, under the console's own origin: no CDN. */
const LEAFLET_ROOT = path.join(path.dirname(createRequire(import.meta.url).resolve('leaflet/package.json')), 'dist');
export const LEAFLET_PREFIX = `${CONSOLE_PREFIX}vendor/leaflet/`;
/** uPlot, for the managers' dashboard charts, likewise from the installed package. */
const UPLOT_ROOT = path.join(path.dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
export const UPLOT_PREFIX = `${CONSOLE_PREFIX}vendor/uplot/`;
export const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';

/** The CSP source that lets the map load its tiles: the tile server's origin ({s} subdomains as a wildcard). */
export function tileSource(tileUrl: string): string {
  const url = new URL(tileUrl.replace('{s}.', 'a.'));
  return tileUrl.includes('{s}.') ? `${url.protocol}//*.${url.host.slice(2)}` : url.origin;
}

/**
 * The pages an operator works in show victims' data: nothing from elsewhere may run in them,
 * frame them or learn their address, and no copy of them may stay in a cache.
 */
const securityHeaders = (tileUrl: string): Record<string, string> => ({
  'content-security-policy': [
    "default-src 'self'", "connect-src 'self' ws: wss:", `img-src 'self' ${tileSource(tileUrl)}`, "object-src 'none'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
});

function secure(reply: FastifyReply, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  // HTML is never stored; scripts and styles are revalidated (ETag) so a deploy reaches every desk
  const html = /^text\/html\b/.test(String(reply.getHeader('content-type') ?? ''));
  reply.header('cache-control', html || reply.statusCode >= 300 ? 'no-store' : 'no-cache');
}

/** The operator console: static pages and modules, no build step, served under /consola/. */
export const consoleStaticRoutes: FastifyPluginAsync<{ mapTileUrl?: string }> = async (app, opts) => {
  const tileUrl = opts.mapTileUrl ?? DEFAULT_TILE_URL;
  const headers = securityHeaders(tileUrl);
  // encapsulated: these headers apply to the console's responses only, not to the API
  app.addHook('onSend', async (_req, reply, payload) => { secure(reply, headers); return payload; });
  await app.register(fastifyStatic, {
    root: ROOT, prefix: CONSOLE_PREFIX, index: 'index.html', dotfiles: 'ignore', cacheControl: false,
  });
  await app.register(fastifyStatic, {
    root: LEAFLET_ROOT, prefix: LEAFLET_PREFIX, decorateReply: false, dotfiles: 'ignore', cacheControl: false,
    allowedPath: (pathName) => /^\/(leaflet(-src\.esm)?\.js|leaflet\.css|images\/[\w-]+\.png)$/.test(pathName),
  });
  await app.register(fastifyStatic, {
    root: UPLOT_ROOT, prefix: UPLOT_PREFIX, decorateReply: false, dotfiles: 'ignore', cacheControl: false,
    allowedPath: (pathName) => /^\/uPlot\.(iife\.min\.js|min\.css)$/.test(pathName),
  });
  // the map's tile server, for console/public/map.js (configuration, not data)
  app.get(`${CONSOLE_PREFIX}map-config.json`, { schema: { hide: true } }, async () => ({ tileUrl,
    attribution: tileUrl === DEFAULT_TILE_URL ? '© OpenStreetMap' : '' }));
  for (const url of ['/', CONSOLE_PREFIX.slice(0, -1)]) {
    app.get(url, { schema: { hide: true } }, (_req, reply) => reply.redirect(CONSOLE_PREFIX));
  }
};
