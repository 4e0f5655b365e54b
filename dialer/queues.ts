/** Queue names and payloads, in one place (STYLE.md). Job ids are deterministic: the agenda item's. */
export const DIAL_QUEUE = 'dialer-dial';
export const MAINTENANCE_QUEUE = 'dialer-maintenance';

export interface DialJob { agendaItemId: string }
export type MaintenanceJob = { task: 'reconcile' } | { task: 'plan' } | { task: 'events' } | { task: 'deadlines' };

/** BullMQ ids may not contain ':' nor be all digits; the prefix keeps them readable too. */
export const dialJobId = (agendaItemId: string) => `item-${agendaItemId}`;
