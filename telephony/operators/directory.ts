import type { Logger } from 'pino';
import type { Pool } from '../../store/db.ts';
import type { OperatorTarget } from '../port.ts';

const FRESH_MS = 30_000;

/**
 * Where each operator's phone rings (users.device_uri). Kept in memory and refreshed from the
 * store, so that with the store down an emergency can still ring the devices last known.
 */
export function operatorDirectory(pool: Pool, log: Logger) {
  let cache = new Map<string, string>();
  let loadedAt = 0;

  async function refresh(): Promise<void> {
    const { rows } = await pool.query<{ id: string; device_uri: string }>(
      `select id, device_uri from users where role = 'operator' and disabled_at is null and device_uri is not null`);
    cache = new Map(rows.map((r) => [r.id, r.device_uri]));
    loadedAt = Date.now();
  }

  async function fresh(): Promise<void> {
    if (Date.now() - loadedAt < FRESH_MS) return;
    await refresh().catch((err: Error) => log.warn({ err: err.message }, 'operator directory kept from cache'));
  }

  return {
    async target(operatorId: string): Promise<OperatorTarget | null> {
      await fresh();
      if (!cache.has(operatorId)) await refresh().catch(() => undefined);
      const device = cache.get(operatorId);
      return device ? { operatorId, device } : null;
    },
    async all(): Promise<OperatorTarget[]> {
      await fresh();
      return [...cache].map(([operatorId, device]) => ({ operatorId, device }));
    },
  };
}
