import type { FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { forbidden } from '../../common/errors.ts';
import { formParams, rawBodyOf } from './form-body.ts';

export interface SignatureOptions {
  authToken: string;
  /** The public base URL Twilio calls; the Host header is never trusted (we run behind a proxy). */
  publicBaseUrl: string;
  /** Connection overrides set on the webhook URL in Twilio (`rc=2&rt=3000`), if any. */
  webhookFragment?: string;
}

const REFUSED = 'Firma de Twilio ausente o no válida.';

/** The URLs Twilio may have signed for this request; the SDK adds the with/without-port variants. */
function signedUrls(opts: SignatureOptions, path: string): string[] {
  const url = `${opts.publicBaseUrl.replace(/\/+$/, '')}${path}`;
  return opts.webhookFragment ? [url, `${url}#${opts.webhookFragment.replace(/^#/, '')}`] : [url];
}

function isJson(req: FastifyRequest): boolean {
  return /^application\/json\b/i.test(req.headers['content-type'] ?? '');
}

function verifies(opts: SignatureOptions, signature: string, url: string, req: FastifyRequest): boolean {
  try {
    return verifiesOrThrows(opts, signature, url, req);
  } catch {
    return false; // a URL the SDK cannot parse was not signed by Twilio
  }
}

function verifiesOrThrows(opts: SignatureOptions, signature: string, url: string, req: FastifyRequest): boolean {
  const raw = rawBodyOf(req) ?? '';
  if (new URL(url).searchParams.has('bodySHA256')) return twilio.validateRequestWithBody(opts.authToken, signature, url, raw);
  // a JSON body is only covered by the signature through bodySHA256
  if (isJson(req)) return false;
  return twilio.validateRequest(opts.authToken, signature, url, raw ? formParams(raw) : {});
}

/**
 * A hook that refuses (403) any request not signed by Twilio for exactly this URL and body.
 * Register it as `preValidation`: it must run before schema validation, which could reject an
 * unsigned request with a 400 that tells the sender about our schema, or coerce the body.
 */
export function twilioSignature(opts: SignatureOptions) {
  if (!opts.authToken) throw new Error('twilio: an auth token is needed to check webhook signatures');
  return async function verifyTwilioSignature(req: FastifyRequest): Promise<void> {
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || !signature) throw forbidden(REFUSED);
    const ok = signedUrls(opts, req.url).some((url) => verifies(opts, signature, url, req));
    if (!ok) {
      req.log.warn({ route: req.routeOptions.url }, 'twilio webhook refused: bad signature');
      throw forbidden(REFUSED);
    }
  };
}
