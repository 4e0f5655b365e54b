import { auditActor, type Actor } from '../access/actor.ts';
import type { Clock } from '../common/clock.ts';
import { conflict, invalid, notFound } from '../common/errors.ts';
import { auditRepo } from '../store/audit.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../store/db.ts';
import { technicalRepo, type DeliveryKind, type DeliveryTest } from '../store/technical.repo.ts';
import { terminalLifecycleRepo } from '../store/terminal-lifecycle.repo.ts';
import type { DeliveryTestInput } from './schemas.ts';

/** One kind of delivery test as the ficha shows it: passed once, only failed so far, or not made yet. */
export interface DeliveryTestStatus { status: 'ok' | 'failed' | 'pending'; at: string | null; source: DeliveryTest['source'] | null }

/** §10.1 D on her active terminal: the alta is complete once both test calls have succeeded. */
export interface DeliveryTests { terminalId: string | null; reception: DeliveryTestStatus; emission: DeliveryTestStatus; complete: boolean }

/** A test made more than this far in the future of our clock is a typing error. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

function statusOf(tests: DeliveryTest[], kind: DeliveryKind): DeliveryTestStatus {
  const ofKind = tests.filter((t) => t.kind === kind).sort((a, b) => b.at.getTime() - a.at.getTime());
  const shown = ofKind.find((t) => t.result === 'ok') ?? ofKind[0];
  return shown ? { status: shown.result, at: shown.at.toISOString(), source: shown.source } : { status: 'pending', at: null, source: null };
}

/** Pure: the state of a terminal's delivery tests from every try recorded (a later failure does not undo a pass). */
export function deliveryState(terminalId: string | null, tests: DeliveryTest[]): DeliveryTests {
  const reception = statusOf(tests, 'reception');
  const emission = statusOf(tests, 'emission');
  return { terminalId, reception, emission, complete: reception.status === 'ok' && emission.status === 'ok' };
}

/** The delivery tests of her active terminal (none: nothing delivered, so the alta is not complete). */
export async function deliveryTestsOf(db: Queryable, usuariaId: string): Promise<DeliveryTests> {
  const terminal = await terminalLifecycleRepo(db).activeOf(usuariaId);
  return deliveryState(terminal?.id ?? null, terminal ? await technicalRepo(db).deliveryTestsOf(terminal.id) : []);
}

export function deliveryTestsService(pool: Pool, clock: Clock) {
  return {
    /**
     * An operator records a delivery test call made with her at the handover: reception (the centre
     * called the terminal) or emission (the terminal called the centre), its result and time.
     */
    async record(actor: Actor, route: string, terminalId: string, input: DeliveryTestInput): Promise<DeliveryTests> {
      const now = clock.now();
      const at = input.at ? new Date(input.at) : now;
      if (at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
        throw invalid('La prueba no puede tener una hora futura.', { fields: [{ field: 'body.at', message: 'Hora futura.' }] });
      }
      return withTransaction(pool, async (tx) => {
        const terminal = await terminalLifecycleRepo(tx).byId(terminalId, true);
        if (!terminal || !terminal.usuariaId) throw notFound('Terminal no encontrado.');
        if (terminal.status !== 'active') throw conflict('Las pruebas de entrega se hacen con un terminal activo.');
        await technicalRepo(tx).insertDeliveryTest({ terminalId, kind: input.kind, result: input.result, at, source: 'operator',
          recordedBy: actor.id, callAttemptId: null });
        await auditRepo(tx).write({ actor: auditActor(actor), action: 'terminal.delivery_test', usuariaId: terminal.usuariaId, route,
          detail: { terminalId, kind: input.kind, result: input.result, source: 'operator' } });
        return deliveryState(terminalId, await technicalRepo(tx).deliveryTestsOf(terminalId));
      });
    },
  };
}
