import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { DomainError } from '../../common/errors.ts';
import { WAIT_MESSAGE } from '../inbound.ts';
import type { OperatorTarget, OutboundCallRequest, VoiceProvider } from '../port.ts';
import type { TwilioConfig } from './config.ts';
import { renderBridge, renderOutboundBridge, type TwimlOptions } from './twiml.ts';
import { twilioUrls } from './urls.ts';

const API_ORIGIN = 'https://api.twilio.com';
// an operator is waiting on the other side of a bridge: fail fast rather than hang for 30 s
const REST_TIMEOUT_MS = 10_000;
// 20404: no such call; 21220: the call is no longer in progress. Either way it has already ended.
const ALREADY_OVER = new Set([20404, 21220]);

/** The SDK's own HTTP client, sending what is meant for api.twilio.com to another base URL (a local fake). */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(private readonly apiBaseUrl: string) {
    super({ timeout: REST_TIMEOUT_MS });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = opts.uri.startsWith(API_ORIGIN) ? this.apiBaseUrl + opts.uri.slice(API_ORIGIN.length) : opts.uri;
    return super.request({ ...opts, uri });
  }
}

export interface TwilioProviderOptions {
  config: Pick<TwilioConfig, 'accountSid' | 'authToken' | 'publicBaseUrl' | 'apiBaseUrl' | 'ringTimeoutS'>;
  /** Our call id for a live Twilio call, so that a bridged <Dial> reports back under it. */
  callIdOf(providerCallId: string): Promise<string | null>;
}

const alreadyOver = (err: unknown) => {
  const { status, code } = err as { status?: number; code?: number };
  return status === 404 || ALREADY_OVER.has(code ?? 0);
};

/** A REST failure without the SDK's message, which can quote the number dialled. */
function providerError(op: string, err: unknown): DomainError {
  const { status, code } = err as { status?: number; code?: number };
  const retryable = status === undefined || status === 429 || status >= 500;
  return new DomainError('provider_unavailable', `Twilio ${op} failed${status ? ` (HTTP ${status}${code ? `, code ${code}` : ''})` : ''}`,
    { provider: 'twilio', status, code }, retryable);
}

/** The voice port over Twilio's REST API. Inbound events arrive through voice.routes.ts. */
export function twilioVoiceProvider({ config, callIdOf }: TwilioProviderOptions): VoiceProvider {
  const rest = twilio(config.accountSid, config.authToken, config.apiBaseUrl
    ? { httpClient: new RedirectingRequestClient(config.apiBaseUrl.replace(/\/+$/, '')) }
    : { timeout: REST_TIMEOUT_MS });
  const urls = twilioUrls(config.publicBaseUrl);
  const twimlOptions: TwimlOptions = { urls, ringTimeoutS: config.ringTimeoutS, waitMessage: WAIT_MESSAGE };

  return {
    name: 'twilio',

    /** Replacing the live call's TwiML takes it out of its <Enqueue> and rings the operator. */
    async bridge(providerCallId: string, operator: OperatorTarget): Promise<void> {
      const callId = await callIdOf(providerCallId).catch(() => null);
      const twiml = renderBridge(callId, operator.device, callId ?? providerCallId, twimlOptions);
      await rest.calls(providerCallId).update({ twiml }).catch((err: unknown) => {
        // she hung up just as an operator freed up: the status callback on its way closes the call
        if (!alreadyOver(err)) throw providerError('bridge', err);
      });
    },

    async hangup(providerCallId: string): Promise<void> {
      await rest.calls(providerCallId).update({ status: 'completed' }).catch((err: unknown) => {
        if (!alreadyOver(err)) throw providerError('hangup', err);
      });
    },

    async placeCall(req: OutboundCallRequest): Promise<{ providerCallId: string }> {
      const amd = req.detectMachine
        ? { machineDetection: 'DetectMessageEnd', asyncAmd: 'true', asyncAmdStatusCallback: urls.amd(req.attemptId),
          asyncAmdStatusCallbackMethod: 'POST' }
        : {};
      // with an operator reserved, the answered call goes straight to her phone; nothing is said first.
      // An IVR call (control call, reminder) starts its flow when answered (ivr.routes.ts).
      const answer = req.operator ? { twiml: renderOutboundBridge(req.operator.device) }
        : req.flow ? { url: urls.ivrStart(req.flow, req.attemptId, 'outbound'), method: 'POST' }
        : { url: urls.outbound(req.attemptId), method: 'POST' };
      const call = await rest.calls.create({
        to: req.to, from: req.callerId, ...answer, timeout: req.ringTimeoutS,
        statusCallback: urls.status, statusCallbackMethod: 'POST', statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        ...amd,
      }).catch((err: unknown) => { throw providerError('placeCall', err); });
      return { providerCallId: call.sid };
    },
  };
}
