import type { Queryable } from './db.ts';

/** One outcome an IVR flow set during a call (see ivr/engine.ts). */
export interface IvrOutcome { callAttemptId: string; sessionId: string; flowId: string; seq: number; outcome: string; at: Date }

interface IvrOutcomeRow { call_attempt_id: string; session_id: string; flow_id: string; seq: number; outcome: string; at: Date }

const toIvrOutcome = (r: IvrOutcomeRow): IvrOutcome => ({
  callAttemptId: r.call_attempt_id, sessionId: r.session_id, flowId: r.flow_id, seq: r.seq, outcome: r.outcome, at: r.at,
});

const sql = {
  // unnest: every outcome of one engine step in one round trip; a repeated (session, seq) is ignored
  record: `insert into ivr_outcomes (call_attempt_id, session_id, flow_id, seq, outcome, at)
    select $1, $2, $3, s.seq, s.outcome, $6 from unnest($4::smallint[], $5::text[]) as s(seq, outcome)
    on conflict (session_id, seq) do nothing`,
  ofAttempt: `select call_attempt_id, session_id, flow_id, seq, outcome, at from ivr_outcomes
    where call_attempt_id = $1 order by at, session_id, seq`,
};

export function ivrRepo(db: Queryable) {
  return {
    /** Records outcomes numbered from `firstSeq` within the session; returns how many were new. */
    async record(o: { callAttemptId: string; sessionId: string; flowId: string; firstSeq: number; outcomes: string[]; at: Date }): Promise<number> {
      if (o.outcomes.length === 0) return 0;
      const seqs = o.outcomes.map((_, i) => o.firstSeq + i);
      const { rowCount } = await db.query({ name: 'ivr.record', text: sql.record,
        values: [o.callAttemptId, o.sessionId, o.flowId, seqs, o.outcomes, o.at] });
      return rowCount ?? 0;
    },
    /** Every outcome of the attempt, in the order they were set. */
    async ofAttempt(callAttemptId: string): Promise<IvrOutcome[]> {
      const { rows } = await db.query<IvrOutcomeRow>({ name: 'ivr.of_attempt', text: sql.ofAttempt, values: [callAttemptId] });
      return rows.map(toIvrOutcome);
    },
    /** The latest outcome of the attempt (what the flow concluded), or null. */
    async latest(callAttemptId: string): Promise<string | null> {
      const all = await this.ofAttempt(callAttemptId);
      return all.at(-1)?.outcome ?? null;
    },
  };
}
