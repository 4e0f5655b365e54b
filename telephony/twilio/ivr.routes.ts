import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../common/clock.ts';
import { forbidden } from '../../common/errors.ts';
import { EMERGENCY_OUTCOME, type Advanced, type Instruction, type IvrSessions, type SessionRef, type SessionTokens, type StoredSession,
  type Turn }
  from '../../ivr/index.ts';
import { WAIT_MESSAGE, type InboundService } from '../inbound.ts';
import type { InboundCall, Line } from '../port.ts';
import type { TwilioConfig } from './config.ts';
import { captureTwilioBodies } from './form-body.ts';
import { callerOf, flowAnsweredEvent } from './from-twilio.ts';
import { renderInstruction, renderRetry, speak, type IvrTwimlOptions } from './ivr-twiml.ts';
import { twilioSignature } from './signature.ts';
import { renderFallback, renderHangup, renderPlan, type TwimlOptions } from './twiml.ts';
import { twilioUrls } from './urls.ts';

export interface TwilioIvrRoutesOptions {
  inbound: Pick<InboundService, 'connectFromIvr' | 'event'>;
  sessions: IvrSessions;
  tokens: SessionTokens;
  config: Pick<TwilioConfig, 'accountSid' | 'authToken' | 'publicBaseUrl' | 'ringTimeoutS' | 'fallbackDevices' | 'webhookFragment'>;
  clock: Clock;
  /** The flows' emergency key: pressed, it reaches an emergency operator even when the session is lost. */
  emergencyKey: string;
  promptBaseUrl?: string;
}

const CallSid = Type.String({ pattern: '^CA[0-9a-fA-F]{32}$', description: 'Twilio CallSid' });
const open = { additionalProperties: true } as const;
const CallBody = Type.Object({ AccountSid: Type.Optional(Type.String({ maxLength: 64 })), CallSid,
  From: Type.Optional(Type.String({ maxLength: 256 })), To: Type.Optional(Type.String({ maxLength: 256 })) }, open);
const InputBody = Type.Object({ ...CallBody.properties, Digits: Type.Optional(Type.String({ pattern: '^[0-9*#]{0,20}$' })) }, open);
const StartQuery = Type.Object({ flow: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }), callId: Type.String({ format: 'uuid' }),
  direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]) });
const SessionQuery = Type.Object({ s: Type.String({ maxLength: 200 }) });

type CallParams = { CallSid: string; From?: string; To?: string };

const REFUSED = 'Sesión de IVR no válida.';
const xml = (reply: FastifyReply, twiml: string) => reply.type('text/xml').send(twiml);

/**
 * Twilio IVR webhooks: a flow starts at /start (an info-line call redirected by the inbound plan,
 * or an answered control call / reminder), each key or silence comes back to /input, and a panic
 * to /panic. Every request is signed by Twilio (voice.routes.ts does the same); the session travels
 * in a signed, expiring reference, and one that does not verify gets 403 and changes nothing.
 */
export const twilioIvrRoutes: FastifyPluginAsyncTypebox<TwilioIvrRoutesOptions> = async (app, opts) => {
  const { inbound, sessions, tokens, config, clock, emergencyKey } = opts;
  captureTwilioBodies(app);
  app.addHook('preValidation', twilioSignature(config));
  app.addHook('preHandler', async (req) => {
    const account = (req.body as { AccountSid?: string } | undefined)?.AccountSid;
    if (account && account !== config.accountSid) throw forbidden('Cuenta de Twilio desconocida.');
  });
  const urls = twilioUrls(config.publicBaseUrl);
  const o: TwimlOptions = { urls, ringTimeoutS: config.ringTimeoutS, waitMessage: WAIT_MESSAGE };
  const io: IvrTwimlOptions = { urls, promptBaseUrl: opts.promptBaseUrl };
  const hide = { hide: true };

  /** The call as the inbound routing knows calls: the caller is her, whichever way the call went. */
  const callOf = (direction: StoredSession['direction'], p: CallParams): InboundCall => ({
    provider: 'twilio', providerCallId: p.CallSid, receivedAt: clock.now(),
    callerRaw: callerOf(direction === 'inbound' ? p.From : p.To), dialled: (direction === 'inbound' ? p.To : p.From) ?? '',
  });

  async function connect(call: InboundCall, callId: string, line: Line, prompts: Extract<Instruction, { do: 'connect' }>['prompts']) {
    const plan = await inbound.connectFromIvr(call, callId, line);
    return renderPlan(plan, o, (res) => speak(res, prompts, io));
  }

  /** Renders the turn's instruction and keeps it for a repeat of the same request. */
  async function respond(turn: Turn, p: CallParams): Promise<string> {
    const { stored, instruction: ins } = turn;
    const twiml = !ins ? renderHangup()
      : ins.do === 'connect' ? await connect(callOf(stored.direction, p), stored.callId, ins.line, ins.prompts)
      : renderInstruction(ins, tokens.sign({ sessionId: stored.session.id, turn: stored.turn }, clock.now()), io);
    await sessions.remember(stored.session.id, stored.turn, twiml);
    return twiml;
  }

  /** Our failure must not become hers: an emergency still reaches an operator, anything else the fallback. */
  async function failOpen(req: FastifyRequest, reply: FastifyReply, err: unknown, p: CallParams, emergency: boolean, callId: string) {
    req.log.error({ route: req.routeOptions.url, err: (err as Error).message }, 'ivr webhook failed: caller sent to an operator');
    if (emergency) {
      try {
        return xml(reply, await connect(callOf('inbound', p), callId, 'emergency', []));
      } catch { /* the fallback devices below */ }
    }
    return xml(reply, renderFallback(config.fallbackDevices, p.CallSid, o));
  }

  const verified = (s: string) => {
    const ref = tokens.verify(s, clock.now());
    if (!ref) throw forbidden(REFUSED);
    return ref;
  };

  /** A step that could not run the flow: a lost session, or a panic once the flow is over. */
  async function outsideFlow(result: Exclude<Advanced, { kind: 'advanced' }>, p: CallParams, ref: SessionRef, emergency: boolean): Promise<string> {
    if (result.kind === 'foreign') throw forbidden(REFUSED);
    if (result.kind === 'stale') return result.rendered ?? renderRetry(urls.ivrInput(tokens.sign(ref, clock.now())));
    // the session expired or Redis lost it: never leave her with nobody; the emergency key still means emergency
    return connect(callOf('inbound', p), ref.sessionId, emergency ? 'emergency' : 'general', []);
  }

  app.post('/twilio/ivr/start', { schema: { ...hide, querystring: StartQuery, body: CallBody } }, async (req, reply) => {
    const { flow, callId, direction } = req.query;
    try {
      const started = await sessions.start({ flowId: flow, callId, provider: 'twilio', providerCallId: req.body.CallSid, direction });
      if (started.kind === 'stale') return xml(reply, started.rendered ?? renderRetry(urls.ivrStart(flow, callId, direction)));
      // her call to us is answered by the flow from here (a call we placed was answered by her already)
      if (direction === 'inbound') {
        await inbound.event(flowAnsweredEvent(req.body.CallSid, flow, clock.now())).catch((err: Error) =>
          req.log.error({ callId, err: err.message }, 'flow answer not recorded'));
      }
      return xml(reply, await respond(started.turn, req.body));
    } catch (err) {
      return failOpen(req, reply, err, req.body, false, callId);
    }
  });

  app.post('/twilio/ivr/input', { schema: { ...hide, querystring: SessionQuery, body: InputBody } }, async (req, reply) => {
    const ref = verified(req.query.s);
    const digits = req.body.Digits ?? '';
    const emergency = digits.includes(emergencyKey);
    try {
      const result = await sessions.advance(ref.sessionId, ref.turn, digits ? { type: 'digits', digits } : { type: 'timeout' }, req.body.CallSid);
      if (result.kind === 'advanced') return xml(reply, await respond(result.turn, req.body));
      return xml(reply, await outsideFlow(result, req.body, ref, emergency));
    } catch (err) {
      if ((err as { code?: string }).code === 'forbidden') throw err;
      return failOpen(req, reply, err, req.body, emergency, ref.sessionId);
    }
  });

  // her terminal's panic during the flow (the live call redirected here): an emergency operator at once
  app.post('/twilio/ivr/panic', { schema: { ...hide, querystring: SessionQuery, body: CallBody } }, async (req, reply) => {
    const ref = verified(req.query.s);
    try {
      const result = await sessions.panic(ref.sessionId, req.body.CallSid);
      if (result.kind === 'advanced' && result.turn.instruction) return xml(reply, await respond(result.turn, req.body));
      if (result.kind === 'advanced') {
        // the flow had already ended: a panic still reaches an emergency operator, unless it already has
        const { stored } = result.turn;
        const last = stored.session.outcome === EMERGENCY_OUTCOME ? await sessionsRendered(stored) : null;
        if (last) return xml(reply, last);
        return xml(reply, await connect(callOf(stored.direction, req.body), stored.callId, 'emergency', []));
      }
      if (result.kind === 'stale') return xml(reply, await connect(callOf(result.stored.direction, req.body), result.stored.callId, 'emergency', []));
      return xml(reply, await outsideFlow(result, req.body, ref, true));
    } catch (err) {
      if ((err as { code?: string }).code === 'forbidden') throw err;
      return failOpen(req, reply, err, req.body, true, ref.sessionId);
    }
  });

  /** What the session's emergency connect rendered (it is the turn before the panic's). */
  async function sessionsRendered(stored: StoredSession): Promise<string | null> {
    return sessions.rendered(stored.session.id, stored.turn - 1);
  }
};
