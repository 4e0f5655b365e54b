import { auditRepo } from '../../store/audit.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../../store/db.ts';
import { technicalRepo, type ControlCall, type TechnicalRepo } from '../../store/technical.repo.ts';

export interface TerminalCall {
  terminalId: string;
  /** When the call arrived (the adapter's receivedAt). */
  at: Date;
  /** The line it came in on: `selftest` for the terminal's automatic or manual test calls. */
  line: string;
  /** Our id of the inbound call attempt, already recorded. */
  callAttemptId: string | null;
}

export interface TerminalCallResult {
  /** The control call this call closed as a success, if one was awaiting it. */
  controlCallId: string | null;
  /** Whether this call was recorded as her terminal's delivery emission test. */
  emissionTest: boolean;
}

/**
 * An inbound call from one of her terminals, after the call is recorded. For every such call
 * (§10.1 D), in one transaction that holds the terminal's row:
 * - on the selftest line it is the terminal's self-test: `last_selftest_at` moves forward. It never
 *   touches her follow-up clock: an autochequeo is not a communication with her;
 * - a control call awaiting a test call from this terminal (she confirmed and was asked to press the
 *   button less than CONTROL_TESTCALL_MINUTES ago) is closed as a success, on the terminal and on
 *   the control call's attempt;
 * - on the selftest line, while the terminal's emission test of delivery is pending, the call is
 *   recorded as that test, passed (audited as the system's write).
 * Needs only Postgres: the timeout job of a control call closed here finds nothing left to do.
 */
export async function onTerminalCall(pool: Pool, call: TerminalCall): Promise<TerminalCallResult> {
  return withTransaction(pool, async (tx) => {
    const repo = technicalRepo(tx);
    const terminal = await repo.lockTerminal(call.terminalId);
    if (!terminal) return { controlCallId: null, emissionTest: false };
    if (call.line === 'selftest') await repo.recordSelftest(terminal.id, call.at);
    let controlCallId: string | null = null;
    const open = await repo.openControlOf(terminal.id);
    if (open?.status === 'awaiting_test_call') {
      const closed = await repo.closeSuccess(open.id, { attemptId: call.callAttemptId, at: call.at, line: call.line });
      if (closed) {
        await controlSucceeded(repo, closed);
        controlCallId = closed.id;
      }
    }
    const emissionTest = call.line === 'selftest' && terminal.status === 'active' && !(await repo.emissionPassed(terminal.id))
      && await recordAutomaticEmission(tx, repo, terminal, call);
    return { controlCallId, emissionTest };
  });
}

/** A control call closed as a success: the terminal's period restarts and the attempt says so. */
export async function controlSucceeded(repo: TechnicalRepo, c: ControlCall): Promise<void> {
  await repo.markControlled(c.terminalId, c.testCallAt!);
  if (c.controlAttemptId) {
    await repo.noteOnAttempt(c.controlAttemptId, { status: 'success', testCallAttemptId: c.testCallAttemptId, testCallAt: c.testCallAt });
  }
}

async function recordAutomaticEmission(tx: Queryable, repo: TechnicalRepo, terminal: { id: string; usuariaId: string | null },
  call: TerminalCall): Promise<boolean> {
  const recorded = await repo.insertDeliveryTest({ terminalId: terminal.id, kind: 'emission', result: 'ok', at: call.at, source: 'automatic',
    recordedBy: null, callAttemptId: call.callAttemptId });
  if (recorded) {
    await auditRepo(tx).write({ actor: { type: 'system', id: null }, action: 'terminal.delivery_test', usuariaId: terminal.usuariaId,
      route: 'selftest', detail: { terminalId: terminal.id, kind: 'emission', result: 'ok', source: 'automatic', callId: call.callAttemptId } });
  }
  return recorded;
}
