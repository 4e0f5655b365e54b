import type { QueueRow } from '../../store/contact-loss.repo.ts';
import { dueAt, STAGE_LABELS, type ContactLossConfig } from './machine.ts';

const DAY_MS = 86_400_000;

export interface QueueEntry {
  id: string; usuariaId: string; expedienteCode: string | null; round: number; stage: QueueRow['stage']; stageLabel: string;
  openedAt: string; ageDays: number; replyDeadline: string | null; interventionAt: string | null; proposedAt: string | null;
  /** When the case becomes (or became) a proposed baja if nobody acts. */
  dueAt: string | null; overdue: boolean;
  tasks: { open: number; reached: number; notReached: number };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
// proposed bajas wait for a person: they come first, then whatever falls due soonest
const RANK: Record<string, number> = { baja_proposed: 0, social_services_notified: 1, contacting_persons: 2 };

/** The coordinator's view of the open cases: pure, given the time. */
export function queueOf(rows: QueueRow[], now: Date, config: ContactLossConfig): QueueEntry[] {
  const entries = rows.map((r) => {
    const due = dueAt(r, config);
    return { due, entry: {
      id: r.id, usuariaId: r.usuariaId, expedienteCode: r.expedienteCode, round: r.round, stage: r.stage, stageLabel: STAGE_LABELS[r.stage],
      openedAt: r.openedAt.toISOString(), ageDays: Math.floor((now.getTime() - r.openedAt.getTime()) / DAY_MS),
      replyDeadline: iso(r.replyDeadline), interventionAt: iso(r.interventionAt), proposedAt: iso(r.proposedAt),
      dueAt: iso(due), overdue: due !== null && now.getTime() >= due.getTime(),
      tasks: { open: r.tasksOpen, reached: r.tasksReached, notReached: r.tasksNotReached },
    } satisfies QueueEntry };
  });
  entries.sort((a, b) => (RANK[a.entry.stage]! - RANK[b.entry.stage]!)
    || ((a.due?.getTime() ?? Infinity) - (b.due?.getTime() ?? Infinity))
    || a.entry.openedAt.localeCompare(b.entry.openedAt));
  return entries.map((e) => e.entry);
}
