/** What the Twilio adapter needs to know. */
export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** The URL Twilio reaches us at (behind the proxy / TLS terminator), without a trailing slash. */
  publicBaseUrl: string;
  /** Only for tests and local fakes: where the REST client sends what it would send to api.twilio.com. */
  apiBaseUrl?: string;
  /** How long an operator's phone rings before the call goes back to the queue. */
  ringTimeoutS: number;
  /** Devices rung when our own code fails while a call arrives (an emergency is never dropped). */
  fallbackDevices: string[];
  /**
   * Connection overrides configured on the Twilio number (the part after `#`, e.g. `rc=2&rt=3000`).
   * Twilio never sends the fragment, so the signature check can only add it back if told.
   */
  webhookFragment?: string;
}

export const DEFAULT_RING_TIMEOUT_S = 20;

/** The settings of the service this adapter reads (structurally, so the adapter never imports app/). */
export interface ServiceSettings {
  publicBaseUrl: string;
  operatorRingTimeoutS?: number;
  fallbackDevices?: string[];
  twilio: { accountSid?: string; authToken?: string; apiBaseUrl?: string; webhookFragment?: string };
}

/**
 * The adapter's configuration, or null when no Twilio account is configured (the centre may run
 * on SIP alone). Half an account fails loudly at boot rather than at the first call.
 */
export function twilioConfigFrom(s: ServiceSettings): TwilioConfig | null {
  const { accountSid, authToken } = s.twilio;
  if (!accountSid && !authToken) return null;
  if (!accountSid || !authToken) throw new Error('config: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together');
  if (!accountSid.startsWith('AC')) throw new Error('config: TWILIO_ACCOUNT_SID must start with AC');
  return {
    accountSid, authToken,
    publicBaseUrl: s.publicBaseUrl.replace(/\/+$/, ''),
    apiBaseUrl: s.twilio.apiBaseUrl?.replace(/\/+$/, '') || undefined,
    ringTimeoutS: s.operatorRingTimeoutS || DEFAULT_RING_TIMEOUT_S,
    fallbackDevices: s.fallbackDevices ?? [],
    webhookFragment: s.twilio.webhookFragment?.replace(/^#/, '') || undefined,
  };
}
