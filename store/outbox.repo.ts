import type { Queryable } from './db.ts';

export interface OutboxEntry { kind: string; centreId: string | null; usuariaId: string | null; dueAt: Date; payload: Record<string, unknown> }

/** Notifications owed to social services centres: rows first, delivery by a worker later. */
export function outboxRepo(db: Queryable) {
  return {
    async add(e: OutboxEntry): Promise<string> {
      const { rows } = await db.query<{ id: string }>(
        'insert into outbox (kind, centre_id, usuaria_id, payload, due_at) values ($1, $2, $3, $4, $5) returning id',
        [e.kind, e.centreId, e.usuariaId, e.payload, e.dueAt]);
      return rows[0]!.id;
    },
  };
}
