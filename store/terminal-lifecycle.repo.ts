import type { Queryable } from './db.ts';

export type TerminalStatus = 'active' | 'lost' | 'stolen' | 'in_repair' | 'returned';

export interface Terminal {
  id: string; usuariaId: string | null; msisdn: string; imei: string | null; model: string; status: TerminalStatus;
  deliveredOn: string | null; statusChangedAt: Date; denunciaRef: string | null; replacesId: string | null;
  lastSelftestAt: Date | null;
}

interface TerminalRow {
  id: string; usuaria_id: string | null; msisdn: string; imei: string | null; model: string; status: TerminalStatus;
  delivered_on: string | null; status_changed_at: Date; denuncia_ref: string | null; replaces_id: string | null;
  last_selftest_at: Date | null;
}

export const toTerminal = (r: TerminalRow): Terminal => ({
  id: r.id, usuariaId: r.usuaria_id, msisdn: r.msisdn, imei: r.imei, model: r.model, status: r.status,
  deliveredOn: r.delivered_on, statusChangedAt: r.status_changed_at, denunciaRef: r.denuncia_ref,
  replacesId: r.replaces_id, lastSelftestAt: r.last_selftest_at,
});

export interface NewTerminal { usuariaId: string; msisdn: string; imei: string | null; model: string; deliveredOn: string | null; replacesId?: string | null }

/** Assignment, replacement and status of the terminals women carry. */
export function terminalLifecycleRepo(db: Queryable) {
  return {
    async insertActive(t: NewTerminal): Promise<Terminal> {
      const { rows } = await db.query<TerminalRow>(`insert into terminals (usuaria_id, msisdn, imei, model, status, delivered_on, replaces_id)
        values ($1, $2, $3, $4, 'active', $5, $6) returning *`, [t.usuariaId, t.msisdn, t.imei, t.model, t.deliveredOn, t.replacesId ?? null]);
      return toTerminal(rows[0]!);
    },
    async byId(id: string, forUpdate = false): Promise<Terminal | null> {
      const { rows } = await db.query<TerminalRow>(`select * from terminals where id = $1${forUpdate ? ' for update' : ''}`, [id]);
      return rows[0] ? toTerminal(rows[0]) : null;
    },
    async activeOf(usuariaId: string): Promise<Terminal | null> {
      const { rows } = await db.query<TerminalRow>(`select * from terminals where usuaria_id = $1 and status = 'active'`, [usuariaId]);
      return rows[0] ? toTerminal(rows[0]) : null;
    },
    async activeByMsisdn(msisdn: string): Promise<Terminal | null> {
      const { rows } = await db.query<TerminalRow>(`select * from terminals where msisdn = $1 and status = 'active'`, [msisdn]);
      return rows[0] ? toTerminal(rows[0]) : null;
    },
    async setStatus(id: string, status: TerminalStatus, denunciaRef: string | null): Promise<Terminal> {
      const { rows } = await db.query<TerminalRow>(`update terminals set status = $2, denuncia_ref = coalesce($3, denuncia_ref),
        status_changed_at = now() where id = $1 returning *`, [id, status, denunciaRef]);
      return toTerminal(rows[0]!);
    },
  };
}
