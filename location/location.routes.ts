import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditActor, FICHA_READERS } from '../access/actor.ts';
import { actorOf } from '../access/auth.plugin.ts';
import type { Clock } from '../common/clock.ts';
import { invalid, notFound } from '../common/errors.ts';
import { toE164 } from '../common/phone.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { Pool } from '../store/db.ts';
import type { LocationService } from './location.service.ts';
import { MAX_ACCURACY_M } from './position.ts';

export interface LocationRoutesOptions { pool: Pool; clock: Clock; location: LocationService }

/** A terminal's clock may run a little ahead of ours; more than this is a report from the future. */
const CLOCK_SKEW_MS = 60_000;

const Report = Type.Object({
  msisdn: Type.Optional(Type.String({ minLength: 6, maxLength: 32, description: 'The terminal\'s number (E.164)' })),
  imei: Type.Optional(Type.String({ pattern: '^[0-9]{15}$', description: 'The terminal\'s IMEI' })),
  lat: Type.Number({ minimum: -90, maximum: 90, description: 'WGS84 latitude, degrees' }),
  lon: Type.Number({ minimum: -180, maximum: 180, description: 'WGS84 longitude, degrees' }),
  accuracyM: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_ACCURACY_M, description: 'Radius of uncertainty, metres' })),
  at: Type.String({ format: 'date-time', description: 'When the terminal took the position' }),
}, { additionalProperties: false });

const View = Type.Object({
  lat: Type.Number(), lon: Type.Number(), accuracyM: Type.Union([Type.Number(), Type.Null()]), at: Type.String(), source: Type.String(),
});

/** The terminal platform reports positions; operators and coordinators read her latest ones. */
export const locationRoutes: FastifyPluginAsyncTypebox<LocationRoutesOptions> = async (app, { pool, clock, location }) => {
  app.post('/api/terminals/location', {
    config: { access: { scopes: ['location:write'] } },
    schema: { tags: ['location'], summary: 'A terminal\'s position, from the terminal platform (service token, scope location:write)',
      body: Report, response: { 201: Type.Object({ id: Type.String() }) } },
  }, async (req, reply) => {
    const b = req.body;
    if (!b.msisdn && !b.imei) {
      throw invalid('Indique el número o el IMEI del terminal.', { fields: [{ field: 'body.msisdn', message: 'Obligatorio sin IMEI.' }] });
    }
    const msisdn = b.msisdn ? toE164(b.msisdn) : null;
    if (b.msisdn && !msisdn) throw invalid('El número del terminal no es válido.', { fields: [{ field: 'body.msisdn', message: 'Número no válido.' }] });
    const at = new Date(b.at);
    const now = clock.now();
    if (at.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      throw invalid('La hora de la posición es posterior a la actual.', { fields: [{ field: 'body.at', message: 'Hora futura.' }] });
    }
    if (at < location.cutoff()) {
      throw invalid('La posición es más antigua que el periodo de conservación.', { fields: [{ field: 'body.at', message: 'Demasiado antigua.' }] });
    }
    const terminal = await location.terminal(msisdn, b.imei ?? null);
    if (!terminal) throw notFound('No hay ningún terminal activo con ese número o IMEI.');
    const id = await location.record(pool, terminal, 'platform', { lat: b.lat, lon: b.lon, accuracyM: b.accuracyM ?? null, at });
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'location.report', usuariaId: terminal.usuariaId,
      route: req.routeOptions.url!, detail: { positionId: id, terminalId: terminal.terminalId, source: 'platform' } });
    return reply.code(201).send({ id });
  });

  app.get('/api/usuarias/:id/location', {
    config: { access: { roles: FICHA_READERS } },
    schema: { tags: ['location'], summary: 'Her terminal\'s latest positions, newest first (audited)',
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 1 })) }),
      response: { 200: Type.Object({ positions: Type.Array(View) }) } },
  }, async (req) => {
    const positions = await location.latest(req.params.id, auditActor(actorOf(req)), req.routeOptions.url!, req.query.limit ?? 1);
    return { positions };
  });
};
