import type { Queryable } from './db.ts';

export type PositionSource = 'sip_invite' | 'scaip' | 'platform';

/** A stored position, still sealed: only location/ opens it, and audits the read. */
export interface SealedPosition {
  id: string; usuariaId: string; terminalId: string; source: PositionSource; reportedAt: Date; receivedAt: Date; sealed: Buffer;
}

export interface PositionTerminal { terminalId: string; usuariaId: string }

interface PositionRow {
  id: string; usuaria_id: string; terminal_id: string; source: PositionSource; reported_at: Date; received_at: Date; position_enc: Buffer;
}
const toSealedPosition = (r: PositionRow): SealedPosition => ({ id: r.id, usuariaId: r.usuaria_id, terminalId: r.terminal_id,
  source: r.source, reportedAt: r.reported_at, receivedAt: r.received_at, sealed: r.position_enc });

const sql = {
  // the terminal a report is about: active and held by a usuaria, found by its number or its IMEI
  terminal: `select id as terminal_id, usuaria_id from terminals
    where status = 'active' and usuaria_id is not null and (msisdn = $1 or imei = $2)
    order by (msisdn = $1) desc limit 1`,
  insert: `insert into terminal_positions (id, usuaria_id, terminal_id, source, reported_at, received_at, position_enc)
    values ($1, $2, $3, $4, $5, $6, $7)`,
  // one statement for the INVITE path: the caller's terminal and the report, in a single round trip
  insertByMsisdn: `insert into terminal_positions (id, usuaria_id, terminal_id, source, reported_at, received_at, position_enc)
    select $1, t.usuaria_id, t.id, $3, $4, $5, $6 from terminals t
    where t.msisdn = $2 and t.status = 'active' and t.usuaria_id is not null`,
  latest: `select * from terminal_positions where usuaria_id = $1 order by reported_at desc limit $2`,
  purge: 'delete from terminal_positions where reported_at < $1',
};

export function locationRepo(db: Queryable) {
  return {
    async terminal(msisdn: string | null, imei: string | null): Promise<PositionTerminal | null> {
      const { rows } = await db.query<{ terminal_id: string; usuaria_id: string }>({ name: 'location.terminal', text: sql.terminal,
        values: [msisdn, imei] });
      return rows[0] ? { terminalId: rows[0].terminal_id, usuariaId: rows[0].usuaria_id } : null;
    },
    async insert(p: SealedPosition): Promise<void> {
      await db.query({ name: 'location.insert', text: sql.insert,
        values: [p.id, p.usuariaId, p.terminalId, p.source, p.reportedAt, p.receivedAt, p.sealed] });
    },
    /** Stores the report against the caller's active terminal; false when the number is nobody's terminal. */
    async insertByMsisdn(id: string, msisdn: string, source: PositionSource, reportedAt: Date, receivedAt: Date, sealed: Buffer): Promise<boolean> {
      const { rowCount } = await db.query({ name: 'location.insert_by_msisdn', text: sql.insertByMsisdn,
        values: [id, msisdn, source, reportedAt, receivedAt, sealed] });
      return (rowCount ?? 0) > 0;
    },
    /** Her most recent positions, newest first. */
    async latest(usuariaId: string, limit = 1): Promise<SealedPosition[]> {
      const { rows } = await db.query<PositionRow>({ name: 'location.latest', text: sql.latest, values: [usuariaId, limit] });
      return rows.map(toSealedPosition);
    },
    /** Deletes every position reported before `before`; returns how many. */
    async purge(before: Date): Promise<number> {
      const { rowCount } = await db.query({ name: 'location.purge', text: sql.purge, values: [before] });
      return rowCount ?? 0;
    },
  };
}
