import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

let counter = 0;

/** The Redis every test file shares; isolate keys with uniquePrefix(). */
export function redisUrl(): string {
  return inject('redisUrl');
}

/**
 * A key prefix no other test uses, e.g. as a BullMQ `prefix` or before your own keys.
 * Only [a-z0-9-]: BullMQ and Redis Cluster hash tags both accept it unchanged.
 */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;
}
