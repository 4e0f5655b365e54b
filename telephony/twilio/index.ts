import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Clock } from '../../common/clock.ts';
import { DEFAULT_EMERGENCY_KEY, ivrSessions, loadFlows, sessionTokens } from '../../ivr/index.ts';
import type { FieldCipher } from '../../store/crypto.ts';
import type { Queryable } from '../../store/db.ts';
import { callStateStore } from '../call-state.ts';
import type { InboundService } from '../inbound.ts';
import type { VoiceProvider } from '../port.ts';
import { twilioVoiceProvider } from './client.ts';
import type { TwilioConfig } from './config.ts';
import { twilioIvrRoutes } from './ivr.routes.ts';
import { twilioVoiceRoutes } from './voice.routes.ts';

export { DEFAULT_RING_TIMEOUT_S, twilioConfigFrom, type ServiceSettings, type TwilioConfig } from './config.ts';
export { twilioVoiceProvider } from './client.ts';
export { twilioSignature } from './signature.ts';
export { renderPlan } from './twiml.ts';
export { twilioUrls } from './urls.ts';
export { twilioVoiceRoutes } from './voice.routes.ts';
export { twilioIvrRoutes } from './ivr.routes.ts';

export interface TwilioDeps {
  inbound: InboundService;
  config: TwilioConfig;
  clock: Clock;
  /** The live-call state (shared with the inbound service) maps a CallSid back to our call id. */
  redis: Redis;
  prefix: string;
  cipher: FieldCipher;
  /** Where IVR outcomes are recorded (store/ivr.repo.ts). Without it the IVR is off: the info line goes to operators. */
  pool?: Queryable;
  ivr?: { emergencyKey?: string; promptBaseUrl?: string; storeBudgetMs?: number;
    onOutcomes?: (callAttemptId: string, outcomes: string[], at: Date) => void };
}

/** IVR action URLs are signed with a key derived from the auth token: every instance has it, nobody else. */
const ivrSessionKey = (authToken: string) => createHmac('sha256', authToken).update('atenpro-ivr-session-v1').digest();
const IVR_REF_TTL_S = 2 * 3600;

/** Plugs Twilio in: its webhook routes on `app` and its REST client as the inbound service's 'twilio' provider. */
export async function registerTwilio(app: FastifyInstance, deps: TwilioDeps): Promise<VoiceProvider> {
  const calls = callStateStore(deps.redis, deps.prefix, deps.cipher);
  const provider = twilioVoiceProvider({ config: deps.config, callIdOf: (sid) => calls.idOf('twilio', sid) });
  deps.inbound.register(provider);
  await app.register(twilioVoiceRoutes, { inbound: deps.inbound, config: deps.config, clock: deps.clock });
  if (deps.pool) await registerIvr(app, deps, deps.pool);
  return provider;
}

/** The information line and outbound IVR calls run their flows here (ivr/). */
async function registerIvr(app: FastifyInstance, deps: TwilioDeps, pool: Queryable): Promise<void> {
  const flows = loadFlows({ emergencyKey: deps.ivr?.emergencyKey });
  const sessions = ivrSessions({ redis: deps.redis, prefix: deps.prefix, pool, flows, clock: deps.clock, log: app.log,
    ttlS: IVR_REF_TTL_S, storeBudgetMs: deps.ivr?.storeBudgetMs, onOutcomes: deps.ivr?.onOutcomes });
  await app.register(twilioIvrRoutes, { inbound: deps.inbound, sessions, tokens: sessionTokens(ivrSessionKey(deps.config.authToken), IVR_REF_TTL_S),
    config: deps.config, clock: deps.clock, emergencyKey: deps.ivr?.emergencyKey ?? DEFAULT_EMERGENCY_KEY,
    promptBaseUrl: deps.ivr?.promptBaseUrl });
  deps.inbound.onCallEnded((ev) => sessions.callEnded(ev.provider, ev.providerCallId));
  deps.inbound.enableIvr('twilio');
}
