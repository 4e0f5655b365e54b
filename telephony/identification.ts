import type { Logger } from 'pino';
import { onTerminalCall } from '../dialer/control/index.ts';
import { callsRepo } from '../store/calls.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Pool } from '../store/db.ts';
import { popRepo } from '../store/pop.repo.ts';
import { terminalsRepo } from '../store/terminals.repo.ts';
import type { PendingRecords } from './pending.ts';
import type { InboundCall, Line } from './port.ts';
import { buildPop, unknownPop, type Pop } from './screenpop/pop.ts';

export interface IdentificationDeps {
  pool: Pool; cipher: FieldCipher; log: Logger; pending: PendingRecords;
  /** An emergency never waits longer than this for the store (ARCHITECTURE.md: emergencies fail open). */
  storeBudgetMs: number;
}

const STORE_DOWN = 'Ficha no disponible: el almacén no responde. Atienda con el número.';

class StoreTimeout extends Error {}

const within = <T>(ms: number, p: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new StoreTimeout('store budget')), ms); })])
    .finally(() => clearTimeout(timer));
};

/**
 * Who is calling (her active terminal -> her pop), with the record of the call, and the fail-open
 * rule: on the emergency line the store gets `storeBudgetMs`, after which the call goes on with the
 * caller's number alone and its record waits in the pending store.
 */
export function callerIdentification(d: IdentificationDeps) {
  /**
   * `work` as it is, except on the emergency line: there it gets the store budget, and past it (or
   * on the store's failure) the call goes on with `fallback`; the work may still land afterwards.
   */
  async function underBudget<T>(line: Line, work: Promise<T>, fallback: (err: Error) => Promise<T>): Promise<T> {
    if (line !== 'emergency') return work;
    try {
      return await within(d.storeBudgetMs, work);
    } catch (err) {
      work.catch(() => undefined);
      return fallback(err as Error);
    }
  }

  async function identify(line: Line, caller: string | null): Promise<Pop> {
    if (!caller) return unknownPop(line, null);
    const row = await popRepo(d.pool).loadByMsisdn(caller);
    return row ? buildPop(row, line, caller, d.cipher) : unknownPop(line, caller);
  }

  return {
    /** Identification and the record of a new inbound call; a repeated webhook names the first attempt. */
    async identifyAndRecord(call: InboundCall, callId: string, line: Line, caller: string | null): Promise<{ pop: Pop; attemptId: string }> {
      const work = (async () => {
        const kind = line === 'emergency' ? 'C' : line === 'selftest' ? 'D' : 'A';
        // one statement: who is calling, and the CallAttempt written (a repeated webhook names the first one)
        const { attemptId, row, awaitingTestCall } = await popRepo(d.pool).identifyAndRecord({ id: callId, line, kind, provider: call.provider,
          providerCallId: call.providerCallId, caller, startedAt: call.receivedAt });
        const pop = row ? buildPop(row, line, caller, d.cipher) : unknownPop(line, caller);
        // her terminal called (§10.1 D) while a control call awaits its test call: it closes; never in the call's way
        if (row?.terminal_id && awaitingTestCall && (attemptId ?? callId) === callId) {
          void onTerminalCall(d.pool, { terminalId: row.terminal_id, at: call.receivedAt, line, callAttemptId: callId })
            .catch((err: Error) => d.log.error({ callId, err: err.message }, 'terminal call not noted for technical control'));
        }
        return { pop, attemptId: attemptId ?? callId };
      })();
      // the pending record is idempotent with the work if it still lands
      return underBudget(line, work, async (err) => {
        d.log.warn({ callId, err: err.message }, 'store unavailable: emergency routed with the caller number alone');
        await d.pending.add({ callId, provider: call.provider, providerCallId: call.providerCallId, line, caller,
          startedAt: call.receivedAt.toISOString() });
        return { pop: unknownPop(line, caller, STORE_DOWN), attemptId: callId };
      });
    },

    /** Identification alone, for a call recorded already (an IVR flow asking for an operator). */
    async identify(line: Line, caller: string | null, log: Logger): Promise<Pop> {
      return underBudget(line, identify(line, caller), async (err) => {
        log.warn({ err: err.message }, 'store unavailable: emergency from an IVR routed with the caller number alone');
        return unknownPop(line, caller, STORE_DOWN);
      });
    },

    /**
     * The terminal's autochequeo: recorded against the terminal, answered by no one. Technical control
     * then hears of it: the self-test time, a control call awaiting this test call, a pending emission test.
     */
    async selftest(call: InboundCall, callId: string, caller: string | null): Promise<void> {
      const match = caller ? await terminalsRepo(d.pool).findActiveByMsisdn(caller) : null;
      const attempt = await callsRepo(d.pool).insert({ id: callId, direction: 'inbound', line: 'selftest', kind: 'D', provider: call.provider,
        providerCallId: call.providerCallId, caller, usuariaId: match?.usuariaId ?? null, terminalId: match?.terminalId ?? null,
        startedAt: call.receivedAt });
      if (match) await onTerminalCall(d.pool, { terminalId: match.terminalId, at: call.receivedAt, line: 'selftest', callAttemptId: attempt.id });
    },
  };
}
