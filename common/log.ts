import pino, { type Logger, type DestinationStream } from 'pino';

/**
 * Keys that may carry personal data anywhere in a log object. pino censors them; request
 * URLs are logged without their query string (see `requestSerializer`) for the same reason.
 */
const REDACT = [
  'password', 'totp', 'token', 'authorization', 'cookie',
  'name', 'givenName', 'familyNames', 'fullName', 'idDocument', 'dni', 'phone', 'phone1', 'phone2',
  'personalPhone', 'msisdn', 'caller', 'from', 'to', 'address', 'location', 'body',
].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service: 'atenpro-voice' },
    // fastify's default would log the query string, where a search term could carry a name
    serializers: { req: requestSerializer },
  }, destination);
}

/** Masks a phone number for the rare log line that must refer to one: +34******789. */
export function maskPhone(e164: string | null | undefined): string {
  if (!e164) return 'unknown';
  return e164.length <= 6 ? '***' : `${e164.slice(0, 3)}${'*'.repeat(e164.length - 6)}${e164.slice(-3)}`;
}

/** What fastify logs of a request: never the query string, where a search term could be. */
export function requestSerializer(req: { method: string; url: string; id?: string }) {
  return { method: req.method, url: req.url.split('?')[0], id: req.id };
}
