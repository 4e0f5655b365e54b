import type { Queryable } from './db.ts';

export interface AuditActor { type: 'user' | 'service' | 'system'; id: string | null }

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  usuariaId?: string | null;
  route?: string | null;
  /** Never personal data: ids, counts, field names. */
  detail?: Record<string, unknown> | null;
}

export interface AuditRecord extends AuditEntry { id: number; at: Date }

interface AuditRow {
  id: number; at: Date; actor_type: AuditActor['type']; actor_id: string | null; action: string;
  usuaria_id: string | null; route: string | null; detail: Record<string, unknown> | null;
}
const toAuditRecord = (r: AuditRow): AuditRecord => ({
  id: r.id, at: r.at, actor: { type: r.actor_type, id: r.actor_id }, action: r.action,
  usuariaId: r.usuaria_id, route: r.route, detail: r.detail,
});

export interface AuditQuery { usuariaId?: string; actorId?: string; action?: string; from?: Date; to?: Date; limit: number; beforeId?: number }

export function auditRepo(db: Queryable) {
  return {
    async write(e: AuditEntry): Promise<void> {
      await db.query({
        name: 'audit.write',
        text: `insert into audit_log (actor_type, actor_id, action, usuaria_id, route, detail)
               values ($1, $2, $3, $4, $5, $6)`,
        values: [e.actor.type, e.actor.id, e.action, e.usuariaId ?? null, e.route ?? null, e.detail ?? null],
      });
    },
    async list(q: AuditQuery): Promise<AuditRecord[]> {
      const { rows } = await db.query<AuditRow>(
        `select * from audit_log
         where ($1::uuid is null or usuaria_id = $1) and ($2::uuid is null or actor_id = $2)
           and ($3::text is null or action = $3) and ($4::timestamptz is null or at >= $4)
           and ($5::timestamptz is null or at < $5) and ($6::bigint is null or id < $6)
         order by id desc limit $7`,
        [q.usuariaId ?? null, q.actorId ?? null, q.action ?? null, q.from ?? null, q.to ?? null, q.beforeId ?? null, q.limit]);
      return rows.map(toAuditRecord);
    },
  };
}
