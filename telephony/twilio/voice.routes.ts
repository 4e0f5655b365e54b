import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../common/clock.ts';
import { forbidden } from '../../common/errors.ts';
import { WAIT_MESSAGE, type InboundService } from '../inbound.ts';
import type { TwilioConfig } from './config.ts';
import { captureTwilioBodies } from './form-body.ts';
import { AMD_SEQUENCE, operatorAnsweredEvent, toCallEvent, toInboundCall, TWILIO_CALL_STATUSES } from './from-twilio.ts';
import { twilioSignature } from './signature.ts';
import { renderFallback, renderHangup, renderHold, renderPlan, renderRequeue, type TwimlOptions } from './twiml.ts';
import { twilioUrls } from './urls.ts';

export interface TwilioVoiceRoutesOptions {
  inbound: Pick<InboundService, 'accept' | 'event' | 'operatorMissed'>;
  config: Pick<TwilioConfig, 'accountSid' | 'authToken' | 'publicBaseUrl' | 'ringTimeoutS' | 'fallbackDevices' | 'webhookFragment'>;
  clock: Clock;
}

const CallSid = Type.String({ pattern: '^CA[0-9a-fA-F]{32}$', description: 'Twilio CallSid' });
// Twilio sends many more fields than these, and may add more: none of them is refused
const open = { additionalProperties: true } as const;
const Twilio = { AccountSid: Type.Optional(Type.String({ maxLength: 64 })) };

// From and To are free text on purpose: a malformed caller is an unknown caller, never a refused call
const IncomingBody = Type.Object({ ...Twilio, CallSid, From: Type.Optional(Type.String({ maxLength: 256 })),
  To: Type.Optional(Type.String({ maxLength: 256 })), CallStatus: Type.Optional(Type.String({ maxLength: 32 })) }, open);
const StatusBody = Type.Object({ ...Twilio, CallSid,
  CallStatus: Type.Union(TWILIO_CALL_STATUSES.map((s) => Type.Literal(s))),
  SequenceNumber: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
  Timestamp: Type.Optional(Type.String({ maxLength: 64 })), CallDuration: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
  AnsweredBy: Type.Optional(Type.String({ maxLength: 32 })), ErrorCode: Type.Optional(Type.String({ maxLength: 16 })),
  Direction: Type.Optional(Type.String({ maxLength: 32 })) }, open);
// the operator's leg (CallSid) of the inbound call ParentCallSid
const OperatorAnsweredBody = Type.Object({ ...Twilio, CallSid, ParentCallSid: CallSid, CallStatus: Type.String({ maxLength: 32 }),
  Timestamp: Type.Optional(Type.String({ maxLength: 64 })) }, open);
const DialResultBody = Type.Object({ ...Twilio, CallSid, DialCallStatus: Type.Optional(Type.String({ maxLength: 32 })) }, open);
const DialResultQuery = Type.Object({ callId: Type.Optional(Type.String({ format: 'uuid' })) });
const HoldBody = Type.Object({ ...Twilio, CallSid: Type.Optional(CallSid) }, open);

// the operator leg ended with a conversation, or the caller is gone: nothing left to do for the call
const DIAL_OVER = new Set(['completed', 'answered', 'canceled']);

const xml = (reply: FastifyReply, twiml: string) => reply.type('text/xml').send(twiml);

/**
 * Twilio Programmable Voice webhooks. Authenticated by Twilio's signature, not by /api access.
 * The TwiML routes answer TwiML whatever happens here: a failure of ours still rings someone.
 */
export const twilioVoiceRoutes: FastifyPluginAsyncTypebox<TwilioVoiceRoutesOptions> = async (app, { inbound, config, clock }) => {
  captureTwilioBodies(app);
  app.addHook('preValidation', twilioSignature(config));
  app.addHook('preHandler', async (req) => {
    const account = (req.body as { AccountSid?: string } | undefined)?.AccountSid;
    if (account && account !== config.accountSid) throw forbidden('Cuenta de Twilio desconocida.');
  });
  const o: TwimlOptions = { urls: twilioUrls(config.publicBaseUrl), ringTimeoutS: config.ringTimeoutS, waitMessage: WAIT_MESSAGE };

  /** Our failure must not become the caller's: ring the fallback devices, or hold her. */
  const failOpen = (req: FastifyRequest, reply: FastifyReply, err: unknown, queue: string) => {
    req.log.error({ route: req.routeOptions.url, err: (err as Error).message }, 'twilio webhook failed: caller sent to the fallback');
    return xml(reply, renderFallback(config.fallbackDevices, queue, o));
  };
  const hide = { hide: true };

  app.post('/twilio/voice/incoming', { schema: { ...hide, body: IncomingBody } }, async (req, reply) => {
    try {
      return xml(reply, renderPlan(await inbound.accept(toInboundCall(req.body, clock)), o));
    } catch (err) {
      return failOpen(req, reply, err, req.body.CallSid);
    }
  });

  app.post('/twilio/voice/status', { schema: { ...hide, body: StatusBody } }, async (req, reply) => {
    await inbound.event(toCallEvent(req.body, clock));
    return reply.code(204).send();
  });

  // her call is answered when an operator's phone answers it (statusCallbackEvent=answered on the <Dial>'s nouns)
  app.post('/twilio/voice/operator-answered', { schema: { ...hide, querystring: DialResultQuery, body: OperatorAnsweredBody } },
    async (req, reply) => {
      if (req.body.CallStatus === 'in-progress') await inbound.event(operatorAnsweredEvent(req.body, clock));
      return reply.code(204).send();
    });

  // asynchronous answering-machine detection: only `human` can be contact; a machine is hung up on
  app.post('/twilio/voice/amd', { schema: { ...hide, body: StatusBody } }, async (req, reply) => {
    const ev = toCallEvent({ ...req.body, CallStatus: 'in-progress' }, clock);
    await inbound.event({ ...ev, sequence: AMD_SEQUENCE });
    return reply.code(204).send();
  });

  app.post('/twilio/voice/dial-result', { schema: { ...hide, querystring: DialResultQuery, body: DialResultBody } }, async (req, reply) => {
    const { callId } = req.query;
    const queue = callId ?? req.body.CallSid;
    try {
      if (DIAL_OVER.has(req.body.DialCallStatus ?? '')) return xml(reply, renderHangup());
      // no-answer, busy, failed (or anything unknown): she goes away, the call back to the head of its line
      if (callId) await inbound.operatorMissed(callId);
      return xml(reply, renderRequeue(queue, o));
    } catch (err) {
      return failOpen(req, reply, err, queue);
    }
  });

  app.post('/twilio/voice/hold', { schema: { ...hide, body: HoldBody } }, async (_req, reply) => xml(reply, renderHold(o)));
};
