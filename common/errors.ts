/** The few kinds of failure the domain reports; the HTTP layer maps each to one status. */
export type ErrorCode = 'invalid' | 'not_found' | 'conflict' | 'unauthorized' | 'forbidden' | 'provider_unavailable';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable detail safe to return to the client (never personal data). */
    readonly detail?: Record<string, unknown>,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (message: string, detail?: Record<string, unknown>) => new DomainError('invalid', message, detail);
export const notFound = (message: string) => new DomainError('not_found', message);
export const conflict = (message: string, detail?: Record<string, unknown>) => new DomainError('conflict', message, detail);
export const forbidden = (message = 'No tiene permiso para esta acción.') => new DomainError('forbidden', message);
export const unauthorized = (message = 'Autenticación necesaria.') => new DomainError('unauthorized', message);
