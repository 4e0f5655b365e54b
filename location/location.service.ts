import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.ts';
import { auditRepo, type AuditActor } from '../store/audit.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Pool, Queryable } from '../store/db.ts';
import { locationRepo, type PositionTerminal } from '../store/location.repo.ts';
import { openPosition, sealPosition, type Position, type PositionSource, type PositionView } from './position.ts';

export interface LocationDeps { pool: Pool; cipher: FieldCipher; clock: Clock; log: Logger; retentionDays: number }

const DAY_MS = 24 * 3600_000;

/**
 * Positions from the three sources (SIP INVITE, SCAIP, the terminal platform): stored sealed,
 * opened only through `latest`, which audits the read, and deleted once older than the retention.
 */
export function locationService(d: LocationDeps) {
  const cutoff = () => new Date(d.clock.now().getTime() - d.retentionDays * DAY_MS);

  return {
    retentionDays: d.retentionDays,
    /** The oldest report time still kept: anything before it would be deleted at once. */
    cutoff,

    /** Stores a report about a known terminal; returns the position's id. */
    async record(db: Queryable, terminal: PositionTerminal, source: PositionSource, p: Position): Promise<string> {
      const id = randomUUID();
      await locationRepo(db).insert({ id, usuariaId: terminal.usuariaId, terminalId: terminal.terminalId, source, reportedAt: p.at,
        receivedAt: d.clock.now(), sealed: sealPosition(d.cipher, id, p) });
      return id;
    },

    /** Stores a report about the caller's terminal (one statement); false when the number is nobody's terminal. */
    async recordForCaller(msisdn: string, source: PositionSource, p: Position): Promise<boolean> {
      const id = randomUUID();
      return locationRepo(d.pool).insertByMsisdn(id, msisdn, source, p.at, d.clock.now(), sealPosition(d.cipher, id, p));
    },

    terminal: (msisdn: string | null, imei: string | null) => locationRepo(d.pool).terminal(msisdn, imei),

    /** Her latest positions, newest first; the read is audited before anything is returned. */
    async latest(usuariaId: string, actor: AuditActor, route: string, limit = 1): Promise<PositionView[]> {
      const rows = await locationRepo(d.pool).latest(usuariaId, limit);
      await auditRepo(d.pool).write({ actor, action: 'location.read', usuariaId, route, detail: { positions: rows.length } });
      return rows.map((r) => openPosition(d.cipher, r));
    },

    /** Deletes what is past the retention. */
    async purgeExpired(): Promise<number> {
      const deleted = await locationRepo(d.pool).purge(cutoff());
      if (deleted) d.log.info({ deleted }, 'expired positions deleted');
      return deleted;
    },

    /** A periodic delete in this process; every instance may run it, the delete is idempotent. Returns the stop function. */
    startRetention(everyMs: number): () => void {
      const timer = setInterval(() => {
        void this.purgeExpired().catch((err: Error) => d.log.warn({ err: err.message }, 'position retention failed'));
      }, everyMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

export type LocationService = ReturnType<typeof locationService>;
