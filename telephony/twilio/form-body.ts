import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Twilio's bodies are small; anything bigger is not Twilio. */
const BODY_LIMIT = 64 * 1024;

// the body as received, for the signature: the parsed body may be coerced by validation later
const rawBodies = new WeakMap<FastifyRequest, string>();

export const rawBodyOf = (req: FastifyRequest): string | undefined => rawBodies.get(req);

export type FormParams = Record<string, string | string[]>;

/** Form fields as Twilio signs them: every value kept, a repeated key as an array. */
export function formParams(body: string): FormParams {
  // no prototype: a field named __proto__ must stay a field
  const params: FormParams = Object.create(null) as FormParams;
  for (const [key, value] of new URLSearchParams(body)) {
    const seen = params[key];
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

/**
 * Form and JSON parsers for the Twilio routes only (call this inside their encapsulated plugin),
 * keeping each raw body for the signature check. @fastify/formbody is not a dependency.
 */
export function captureTwilioBodies(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (req, body, done) => {
    rawBodies.set(req, body as string);
    done(null, formParams(body as string));
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (req, body, done) => {
    rawBodies.set(req, body as string);
    try {
      done(null, body ? JSON.parse(body as string) : {});
    } catch (err) {
      done(Object.assign(err as Error, { statusCode: 400 }), undefined);
    }
  });
}
