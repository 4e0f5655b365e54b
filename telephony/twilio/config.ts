/** What the Twilio adapter needs to know; read from the environment by the composition root. */
export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** The URL Twilio reaches us at (behind the proxy / TLS terminator), without a trailing slash. */
  publicBaseUrl: string;
  /** Only for tests and local fakes: where the REST client sends what it would send to api.twilio.com. */
  apiBaseUrl?: string;
  /** How long an operator's phone rings before the call goes back to the queue. */
  ringTimeoutS: number;
  /** Devices rung when the service itself fails while a call arrives (an emergency is never dropped). */
  fallbackDevices: string[];
  /**
   * Connection overrides configured on the Twilio number (the part after `#`, e.g. `rc=2&rt=3000`).
   * Twilio never sends the fragment, so we can only add it back if we are told it.
   */
  webhookFragment?: string;
}

export const DEFAULT_RING_TIMEOUT_S = 20;

/**
 * The Twilio settings from TWILIO_* variables, or null when the account is not configured (the
 * centre may run on SIP alone). A half-configured account fails loudly at boot, not at the first call.
 */
export function twilioConfigFromEnv(env: NodeJS.ProcessEnv, publicBaseUrl: string): TwilioConfig | null {
  const accountSid = env.TWILIO_ACCOUNT_SID?.trim();
  const authToken = env.TWILIO_AUTH_TOKEN?.trim();
  if (!accountSid && !authToken) return null;
  if (!accountSid || !authToken) throw new Error('config: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together');
  if (!accountSid.startsWith('AC')) throw new Error('config: TWILIO_ACCOUNT_SID must start with AC');
  const ring = env.TWILIO_RING_TIMEOUT_S ? Number(env.TWILIO_RING_TIMEOUT_S) : DEFAULT_RING_TIMEOUT_S;
  if (!Number.isInteger(ring) || ring < 5 || ring > 600) throw new Error('config: TWILIO_RING_TIMEOUT_S must be 5..600 seconds');
  return {
    accountSid, authToken, publicBaseUrl: publicBaseUrl.replace(/\/+$/, ''),
    apiBaseUrl: env.TWILIO_API_BASE_URL?.replace(/\/+$/, '') || undefined,
    ringTimeoutS: ring,
    fallbackDevices: (env.TWILIO_FALLBACK_DEVICES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    webhookFragment: env.TWILIO_WEBHOOK_FRAGMENT?.replace(/^#/, '') || undefined,
  };
}
