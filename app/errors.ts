import type { FastifyError, FastifyInstance } from 'fastify';
import localizeEs from 'ajv-i18n/localize/es/index.js';
import { DomainError, type ErrorCode } from '../common/errors.ts';
import { DecryptionError } from '../store/crypto.ts';

const STATUS: Record<ErrorCode, number> = {
  invalid: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409, provider_unavailable: 503,
};

/** ajv's error to our field path: `body.contacts.0.phone1`, naming the missing property too. */
function fieldOf(where: string, e: { instancePath: string; params?: Record<string, unknown> }): string {
  const parts = e.instancePath.split('/').filter(Boolean);
  const missing = e.params?.missingProperty ?? e.params?.additionalProperty;
  if (typeof missing === 'string') parts.push(missing);
  return [where, ...parts].join('.');
}

/**
 * One place maps failures to HTTP. Validation names every field; 5xx never shows internals
 * (they go to the log, which carries no personal data).
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DomainError | Error, req, reply) => {
    if (err instanceof DomainError) {
      return reply.code(STATUS[err.code]).send({ error: err.code, message: err.message, ...err.detail });
    }
    const fe = err as FastifyError & { validationContext?: string };
    if (fe.validation) {
      localizeEs(fe.validation as never); // the messages reach operators: Spanish
      const fields = fe.validation.map((v) => ({ field: fieldOf(fe.validationContext ?? 'body', v as never),
        message: v.message ?? 'no válido' }));
      return reply.code(400).send({ error: 'invalid', message: `Datos no válidos: ${fields.map((f) => f.field).join(', ')}.`, fields });
    }
    const pgCode = (err as { code?: string }).code;
    if (pgCode === '23505') return reply.code(409).send({ error: 'conflict', message: 'El registro ya existe.' });
    if (pgCode === '23503') return reply.code(409).send({ error: 'conflict', message: 'El registro hace referencia a otro que no existe.' });
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      const message = fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
        ? 'El cuerpo de la petición no es JSON válido.' : fe.message;
      return reply.code(fe.statusCode).send({ error: fe.statusCode === 429 ? 'rate_limited' : 'bad_request', message });
    }
    if (err instanceof DecryptionError) req.log.error({ err: err.message }, 'encrypted field could not be opened');
    else req.log.error({ err: { message: err.message, code: pgCode, stack: err.stack } }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'Error interno. Se ha registrado para su revisión.' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `No existe ${req.method} ${req.url.split('?')[0]}.` }));
}
