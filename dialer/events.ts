import type { Clock } from '../common/clock.ts';
import type { AgendaItem } from '../store/agenda.repo.ts';
import { callsRepo } from '../store/calls.repo.ts';
import { withTransaction, type Pool } from '../store/db.ts';
import type { OutboundCalls } from './outbound.ts';
import type { Planner } from './planner.ts';

interface EventRow { id: number; kind: string; usuaria_id: string; call_attempt_id: string | null; incident_id: string | null; at: Date }

/**
 * Consumes domain_events (written by the console's dispositions) one at a time, each in the
 * transaction that marks it consumed: a crash repeats an event whole or not at all, and two
 * instances never take the same one (skip locked).
 */
export async function consumeDomainEvents(pool: Pool, outbound: OutboundCalls, planner: Planner, clock: Clock,
  enqueue: (items: AgendaItem[]) => Promise<void>, limit = 200): Promise<number> {
  let handled = 0;
  for (; handled < limit; handled++) {
    const planned = await withTransaction(pool, async (tx) => {
      const { rows: [e] } = await tx.query<EventRow>(
        'select * from domain_events where consumed_at is null order by id limit 1 for update skip locked');
      if (!e) return null;
      const attempt = e.call_attempt_id ? await callsRepo(tx).byId(e.call_attempt_id) : null;
      const now = clock.now();
      let items: (AgendaItem | null)[] = [];
      if (e.kind === 'communication') {
        // she spoke with an operator: her clock restarts, also when her call's agenda item was settled
        // before (a control call whose flow then put her through to a person)
        items = (attempt?.agendaItemId ? await outbound.settleDisposition(tx, attempt, true, e.at) : null)
          ?? [await planner.contact(tx, e.usuaria_id, e.at, now)];
      } else if (e.kind === 'answered_not_her' && attempt) {
        items = await outbound.settleDisposition(tx, attempt, false, e.at) ?? [];
      } else if (e.kind === 'emergency_closed_call' && e.incident_id) {
        items = [await planner.postEmergency(tx, e.usuaria_id, e.incident_id, e.at)];
      }
      await tx.query('update domain_events set consumed_at = $2 where id = $1', [e.id, now]);
      return items.filter((i): i is AgendaItem => i !== null);
    });
    if (planned === null) break;
    await enqueue(planned);
  }
  return handled;
}
