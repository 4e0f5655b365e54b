import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Clock } from '../../common/clock.ts';
import type { FieldCipher } from '../../store/crypto.ts';
import { callStateStore } from '../call-state.ts';
import type { InboundService } from '../inbound.ts';
import type { VoiceProvider } from '../port.ts';
import { twilioVoiceProvider } from './client.ts';
import type { TwilioConfig } from './config.ts';
import { twilioVoiceRoutes } from './voice.routes.ts';

export { DEFAULT_RING_TIMEOUT_S, twilioConfigFrom, type ServiceSettings, type TwilioConfig } from './config.ts';
export { twilioVoiceProvider } from './client.ts';
export { twilioSignature } from './signature.ts';
export { renderPlan } from './twiml.ts';
export { twilioUrls } from './urls.ts';
export { twilioVoiceRoutes } from './voice.routes.ts';

export interface TwilioDeps {
  inbound: InboundService;
  config: TwilioConfig;
  clock: Clock;
  /** The live-call state (shared with the inbound service) maps a CallSid back to our call id. */
  redis: Redis;
  prefix: string;
  cipher: FieldCipher;
}

/** Plugs Twilio in: its webhook routes on `app` and its REST client as the inbound service's 'twilio' provider. */
export async function registerTwilio(app: FastifyInstance, deps: TwilioDeps): Promise<VoiceProvider> {
  const calls = callStateStore(deps.redis, deps.prefix, deps.cipher);
  const provider = twilioVoiceProvider({ config: deps.config, callIdOf: (sid) => calls.idOf('twilio', sid) });
  deps.inbound.register(provider);
  await app.register(twilioVoiceRoutes, { inbound: deps.inbound, config: deps.config, clock: deps.clock });
  return provider;
}
