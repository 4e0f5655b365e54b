/**
 * The floor of the `inbound` benchmark: a call's path with the app's work taken out, measured by
 * the same driver, over the same kinds of sockets, at the same rate. A bare fastify server checks
 * each webhook's Twilio signature as the app does (same parser, same hook), runs the caller's
 * identification query (the pop's, as the app runs it), publishes one fixed pop-sized message
 * through the screen-pop hub (one Redis PUBLISH, relayed by its subscriber to the console's
 * websocket) and answers a constant TwiML. No record, no desk, no audit, no status callbacks.
 */
import { randomUUID } from 'node:crypto';
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { createLogger } from '../common/log.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Pool } from '../store/db.ts';
import { popRepo } from '../store/pop.repo.ts';
import { screenpopHub } from '../telephony/screenpop/hub.ts';
import { captureTwilioBodies } from '../telephony/twilio/form-body.ts';
import { twilioSignature } from '../telephony/twilio/signature.ts';
import { freePort } from './lib.ts';

export const FLOOR_OPERATOR = 'floor-operator';
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>sip:floor@127.0.0.1</Sip></Dial></Response>';

export interface FloorServer { origin: string; close(): Promise<void> }

export async function startFloor(d: { pool: Pool; redis: Redis; cipher: FieldCipher; authToken: string; prefix: string;
  /** The pop-sized body every floor message carries (a real usuaria's pop). */
  body: Record<string, unknown> }): Promise<FloorServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const subscriber = d.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
  await subscriber.connect();
  const hub = screenpopHub(d.redis, subscriber, `${d.prefix}-floor`, d.cipher, createLogger('warn'));
  await hub.ready;
  const pops = popRepo(d.pool);

  const app = Fastify({ logger: false });
  await app.register(websocket);
  app.get('/ws/floor', { websocket: true }, async (socket) => {
    const detach = await hub.attach(FLOOR_OPERATOR, socket);
    socket.on('close', detach);
  });
  await app.register(async (scope) => {
    captureTwilioBodies(scope);
    scope.addHook('preValidation', twilioSignature({ authToken: d.authToken, publicBaseUrl: origin }));
    scope.post('/twilio/voice/incoming', async (req, reply) => {
      const { CallSid, From } = req.body as { CallSid: string; From: string };
      const row = await pops.loadByMsisdn(From);
      if (!row) throw new Error('floor: a seeded number was not found');
      await hub.publish(FLOOR_OPERATOR, 'call.offered', { ...d.body, callId: randomUUID(), callSid: CallSid }, false);
      return reply.type('text/xml').send(TWIML);
    });
  });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    origin,
    async close() {
      await app.close();
      await hub.close();
      subscriber.disconnect();
    },
  };
}
