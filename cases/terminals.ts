import type { Actor } from '../access/actor.ts';
import { auditActor } from '../access/actor.ts';
import { conflict, invalid, notFound } from '../common/errors.ts';
import { FieldErrors } from '../common/field-errors.ts';
import { auditRepo } from '../store/audit.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../store/db.ts';
import { technicalRepo } from '../store/technical.repo.ts';
import { terminalLifecycleRepo, type Terminal, type TerminalStatus } from '../store/terminal-lifecycle.repo.ts';
import { usuariasRepo } from '../store/usuarias.repo.ts';
import { phone } from './normalise.ts';
import type { TerminalInput } from './schemas.ts';

export type ReplaceReason = 'lost' | 'stolen' | 'fault';
const STATUS_OF_REPLACED: Record<ReplaceReason, TerminalStatus> = { lost: 'lost', stolen: 'stolen', fault: 'in_repair' };

function normaliseTerminal(input: TerminalInput, at: string) {
  const errors = new FieldErrors();
  const msisdn = phone(errors, `${at}.msisdn`, input.msisdn);
  errors.throwIfAny();
  return { msisdn: msisdn!, imei: input.imei ?? null, model: input.model ?? 'generico', deliveredOn: input.deliveredOn ?? null };
}

/** Inserts an active terminal, refusing an MSISDN that another active terminal already answers to. */
async function insertActive(db: Queryable, usuariaId: string, t: ReturnType<typeof normaliseTerminal>, replacesId: string | null) {
  const repo = terminalLifecycleRepo(db);
  if (await repo.activeByMsisdn(t.msisdn)) {
    throw conflict('Ya hay un terminal activo con ese número.', { field: 'body.msisdn' });
  }
  return repo.insertActive({ usuariaId, ...t, replacesId });
}

export function terminalsService(pool: Pool) {
  const audit = (db: Queryable, actor: Actor, action: string, route: string, usuariaId: string | null, detail: Record<string, unknown>) =>
    auditRepo(db).write({ actor: auditActor(actor), action, usuariaId, route, detail });

  return {
    /** Assigns her first (or next) terminal; she may carry one active terminal at a time. */
    async assign(actor: Actor, route: string, usuariaId: string, input: TerminalInput, db?: Queryable): Promise<Terminal> {
      const t = normaliseTerminal(input, db ? 'terminal' : '');
      const run = async (tx: Queryable) => {
        if (!(await usuariasRepo(tx).byId(usuariaId, true))) throw notFound('Usuaria no encontrada.');
        if (await terminalLifecycleRepo(tx).activeOf(usuariaId)) {
          throw conflict('La usuaria ya tiene un terminal activo: use la sustitución.');
        }
        const created = await insertActive(tx, usuariaId, t, null);
        await audit(tx, actor, 'terminal.assign', route, usuariaId, { terminalId: created.id });
        return created;
      };
      return db ? run(db) : withTransaction(pool, run);
    },

    /** Replaces a terminal; the old one leaves service as lost, stolen (with the denuncia) or in repair. */
    async replace(actor: Actor, route: string, terminalId: string, reason: ReplaceReason, denunciaRef: string | null,
      input: TerminalInput): Promise<Terminal> {
      const t = normaliseTerminal(input, '');
      return withTransaction(pool, async (tx) => {
        const repo = terminalLifecycleRepo(tx);
        const old = await repo.byId(terminalId, true);
        if (!old || !old.usuariaId) throw notFound('Terminal no encontrado.');
        if (old.status === 'returned') throw conflict('El terminal ya fue devuelto.');
        if (reason === 'stolen' && !denunciaRef && !old.denunciaRef) {
          throw invalid('La sustitución de un terminal robado necesita la referencia de la denuncia.',
            { fields: [{ field: 'body.denunciaRef', message: 'Obligatoria cuando el terminal fue robado.' }] });
        }
        await repo.setStatus(old.id, STATUS_OF_REPLACED[reason], denunciaRef);
        await technicalRepo(tx).cancelOpenControl(old.id);
        const created = await insertActive(tx, old.usuariaId, t, old.id);
        // DECISION (DOMAIN.md): a control call after any repair or replacement
        await technicalRepo(tx).oweControl(created.id, 'replacement');
        await audit(tx, actor, 'terminal.replace', route, old.usuariaId, { terminalId: created.id, replacedId: old.id, reason });
        return created;
      });
    },

    async setStatus(actor: Actor, route: string, terminalId: string, status: Exclude<TerminalStatus, 'returned'>,
      denunciaRef: string | null): Promise<Terminal> {
      return withTransaction(pool, async (tx) => {
        const repo = terminalLifecycleRepo(tx);
        const t = await repo.byId(terminalId, true);
        if (!t) throw notFound('Terminal no encontrado.');
        if (t.status === 'returned') throw conflict('El terminal ya fue devuelto.');
        if (status === 'stolen' && !denunciaRef && !t.denunciaRef) {
          throw invalid('Un terminal robado necesita la referencia de la denuncia.',
            { fields: [{ field: 'body.denunciaRef', message: 'Obligatoria cuando el terminal fue robado.' }] });
        }
        if (status === 'active' && t.status !== 'active') {
          const other = await repo.activeByMsisdn(t.msisdn);
          if (other) throw conflict('Otro terminal activo usa ya ese número.');
          if (t.usuariaId && (await repo.activeOf(t.usuariaId))) throw conflict('La usuaria ya tiene otro terminal activo.');
        }
        const updated = await repo.setStatus(t.id, status, denunciaRef);
        if (status === 'active' && t.status === 'in_repair') await technicalRepo(tx).oweControl(t.id, 'repair');
        if (status !== 'active') await technicalRepo(tx).cancelOpenControl(t.id);
        await audit(tx, actor, 'terminal.status', route, t.usuariaId, { terminalId: t.id, status });
        return updated;
      });
    },

    async markReturned(actor: Actor, route: string, terminalId: string): Promise<Terminal> {
      return withTransaction(pool, async (tx) => {
        const repo = terminalLifecycleRepo(tx);
        const t = await repo.byId(terminalId, true);
        if (!t) throw notFound('Terminal no encontrado.');
        const updated = await repo.setStatus(t.id, 'returned', null);
        await technicalRepo(tx).cancelOpenControl(t.id);
        await audit(tx, actor, 'terminal.return', route, t.usuariaId, { terminalId: t.id });
        return updated;
      });
    },
  };
}
