import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { accessRoutes } from '../access/access.routes.ts';
import { authPlugin } from '../access/auth.plugin.ts';
import { casesRoutes, importRoutes } from '../cases/index.ts';
import { consoleStaticRoutes, coordinationRoutes } from '../console/index.ts';
import { contactLossRoutes, contactLossService } from '../dialer/contact-loss/index.ts';
import { agendaRoutes } from '../dialer/agenda.routes.ts';
import { createDialer, type Dialer } from '../dialer/engine.ts';
import { technicalRoutes } from '../dialer/control/index.ts';
import { consoleRoutes, createTelephony, WAIT_MESSAGE, type Telephony } from '../telephony/index.ts';
import { incidentsRoutes } from '../telephony/incidents.routes.ts';
import { reportsRoutes, startReportsFolder } from '../reports/index.ts';
import { connectDrachtio, deviceUri, emergencyNumberOf, scaipIngress, sipAdapter } from '../telephony/sip/index.ts';
import { startSipIvr } from '../ivr/sip/index.ts';
import { locationRoutes, locationService } from '../location/index.ts';
import { registerTwilio, twilioConfigFrom } from '../telephony/twilio/index.ts';
import type { Clock } from '../common/clock.ts';
import type { FieldCipher } from '../store/crypto.ts';
import { createReadsPool, type Pool } from '../store/db.ts';
import type { Config } from './config.ts';
import { installErrorHandler } from './errors.ts';
import { healthRoutes } from './health.routes.ts';

export interface AppDeps {
  config: Config;
  pool: Pool;
  redis: Redis;
  cipher: FieldCipher;
  clock: Clock;
  logger: Logger;
  registry: Registry;
}

declare module 'fastify' {
  interface FastifyInstance { telephony: Telephony; dialer: Dialer; reportsReads: Pool }
}

/**
 * Builds the HTTP app from its parts. The connections it opens itself: Redis's subscriber, and the
 * dashboard's own Postgres connections (made with `pool`'s settings, closed with the app).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, pool, redis, cipher, clock, logger, registry } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: true,
    bodyLimit: 5 * 1024 * 1024,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array' } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandler(app);
  await app.register(cookie);
  await app.register(rateLimit, { global: false, redis, skipOnError: true, nameSpace: `${config.redisPrefix}:rl:` });
  await app.register(swagger, { openapi: { info: { title: 'atenpro-voice', version: '0.1.0',
    description: 'Telephony, IVR and case store of an ATENPRO attention centre' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }, security: [{ bearer: [] }] } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(authPlugin, { db: pool, clock });

  await app.register(healthRoutes, { pool, redis, registry });
  await app.register(accessRoutes, { pool, cipher, clock, config, loginRateLimit: config.loginRateLimitPerMinute });
  await app.register(casesRoutes, { pool, cipher, clock });
  await app.register(importRoutes, { pool, cipher });
  await app.register(contactLossRoutes, { pool, clock, replyDays: config.dialer.replyDays });

  const telephony = await createTelephony({ pool, redis, cipher, clock, log: logger, prefix: config.redisPrefix, registry,
    instanceId: config.instanceId, centreLines: config.centreLines, storeBudgetMs: config.storeBudgetMs });
  app.addHook('onClose', () => telephony.close());
  await app.register(websocket);
  await app.register(consoleRoutes, { pool, cipher, clock, inbound: telephony.inbound, hub: telephony.hub });
  await app.register(consoleStaticRoutes, { mapTileUrl: config.mapTileUrl });
  const location = locationService({ pool, cipher, clock, log: logger, retentionDays: config.locationRetentionDays });
  await app.register(locationRoutes, { pool, clock, location });
  const stopRetention = location.startRetention(3600_000);
  app.addHook('onClose', async () => stopRetention());
  await app.register(coordinationRoutes, { pool });
  // the outcomes of an IVR flow settle an outbound control call in the dialer, which is built below
  let dialerOf: Dialer | null = null;
  const onIvrOutcomes = (callAttemptId: string, outcomes: string[], at: Date) => {
    void outcomes.reduce((prev, outcome) => prev.then(() => dialerOf?.control.onFlowOutcome(callAttemptId, outcome, at)), Promise.resolve<unknown>(null))
      .catch((err: Error) => logger.error({ callId: callAttemptId, err: err.message }, 'control call outcome not settled'));
  };
  const twilioConfig = twilioConfigFrom(config);
  if (twilioConfig) {
    await registerTwilio(app, { inbound: telephony.inbound, config: twilioConfig, clock, redis, prefix: config.redisPrefix, cipher, pool,
      ivr: { ...config.ivr, onOutcomes: onIvrOutcomes } });
  }
  if (config.drachtio.host) {
    const srf = connectDrachtio({ host: config.drachtio.host, port: config.drachtio.port, secret: config.drachtio.secret }, logger);
    const sipMedia = await startSipIvr({ srf, media: config.media, emergencyKey: config.ivr.emergencyKey, routing: telephony.inbound, pool, clock,
      log: logger, deviceUri: (device) => deviceUri(device, config.sip.trunkHost), ringTimeoutS: config.operatorRingTimeoutS, waitMessage: WAIT_MESSAGE,
      onOutcomes: onIvrOutcomes });
    const scaip = scaipIngress({ pool, clock, log: logger, inbound: telephony.inbound, location,
      emergencyNumber: emergencyNumberOf(config.centreLines), storeBudgetMs: config.storeBudgetMs });
    telephony.inbound.register(sipAdapter(srf, telephony.inbound, { ...config.sip, ringTimeoutS: config.operatorRingTimeoutS }, clock, logger,
      { location, scaip, ivr: sipMedia?.ivr }));
    app.addHook('onClose', async () => { srf.disconnect(); await sipMedia?.close(); });
  }
  const contactLoss = contactLossService({ pool, clock, config: { replyDays: config.dialer.replyDays } });
  const dialer = await createDialer({ pool, redis, clock, log: logger, inbound: telephony.inbound, contactLoss,
    config: { prefix: config.redisPrefix, provider: config.dialer.provider, neutralNumber: config.dialer.neutralNumber,
      ringTimeoutS: config.dialer.ringTimeoutS, callsPerSecond: config.dialer.callsPerSecond, horizonHours: config.dialer.horizonHours,
      runWorkers: config.dialer.workers, lockMs: config.dialer.lockMs, keepFreeOperators: config.dialer.keepFreeOperators,
      control: config.dialer.control } });
  dialerOf = dialer;
  app.addHook('onClose', () => dialer.close());
  await app.register(agendaRoutes, { pool, clock, dialer });
  await app.register(technicalRoutes, { pool, clock, config: config.dialer.control });
  await app.register(incidentsRoutes, { pool, clock, cipher });
  const reportsReads = createReadsPool(pool);
  app.addHook('onClose', () => reportsReads.end());
  await app.register(reportsRoutes, { pool, reads: reportsReads, clock, chromiumPath: config.reports.chromiumPath,
    selftestPeriodHours: config.dialer.control.selftestPeriodHours });
  const reportsFolder = await startReportsFolder({ pool, redis, prefix: config.redisPrefix, log: logger });
  app.addHook('onClose', () => reportsFolder.close());
  app.decorate('telephony', telephony);
  app.decorate('dialer', dialer);
  app.decorate('reportsReads', reportsReads);
  return app as unknown as FastifyInstance;
}
