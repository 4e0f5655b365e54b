import { describe, expect, it } from 'vitest';
import { DomainError } from '../../common/errors.ts';
import { dueAt, InvalidTransitionError, open, recoveredViaSocialServices, step, type LossCase, type LossEvent,
  type Stage } from '../../dialer/contact-loss/machine.ts';

const T0 = new Date('2026-03-02T10:00:00Z');
const at = (iso: string) => new Date(iso);
const days = (n: number, from = T0) => new Date(from.getTime() + n * 86_400_000);

const base: LossCase = { stage: 'contacting_persons', round: 1, openedAt: T0, replyDeadline: null, interventionAt: null,
  proposedAt: null, closedAt: null, decidedBy: null, decidedAt: null };
const notified: LossCase = { ...base, stage: 'social_services_notified', replyDeadline: days(7) };
const intervened: LossCase = { ...notified, interventionAt: at('2026-03-05T23:00:00Z') }; // 6 March, Madrid midnight
const proposed: LossCase = { ...notified, stage: 'baja_proposed', proposedAt: days(7) };

describe('opening a case', () => {
  it.each([
    { round: 1 as const, persons: [{ id: 'b', priority: 2 }, { id: 'a', priority: 1 }], stages: ['contacting_persons'], cause: 'three_failed_followups' },
    { round: 2 as const, persons: [{ id: 'a', priority: 1 }], stages: ['contacting_persons'], cause: 'loss_after_recovery' },
    { round: 1 as const, persons: [], stages: ['contacting_persons', 'social_services_notified'], cause: 'three_failed_followups' },
    { round: 3 as const, persons: [{ id: 'a', priority: 1 }], stages: ['baja_proposed'], cause: 'third_consecutive_loss' },
    // DOMAIN step 5: another failure to collaborate runs the same escalation
    { round: 1 as const, persons: [{ id: 'a', priority: 1 }], stages: ['contacting_persons'], cause: 'failure_to_collaborate', origin: 'collaboration' as const },
    { round: 1 as const, persons: [], stages: ['contacting_persons', 'social_services_notified'], cause: 'failure_to_collaborate', origin: 'collaboration' as const },
    { round: 2 as const, persons: [{ id: 'a', priority: 1 }], stages: ['contacting_persons'], cause: 'loss_after_recovery', origin: 'collaboration' as const },
  ])('round $round with $persons.length contact persons -> $stages ($cause)', ({ round, persons, stages, cause, origin }) => {
    const ts = open(round, T0, persons, undefined, origin);
    expect(ts.map((t) => t.to)).toEqual(stages);
    expect(ts[0]!.from).toBeNull();
    expect(ts[0]!.cause).toBe(cause);
    expect(ts.at(-1)!.state.round).toBe(round);
  });

  it('asks for the contact persons by priority', () => {
    const [t] = open(1, T0, [{ id: 'c', priority: 3 }, { id: 'a', priority: 1 }, { id: 'b', priority: 2 }]);
    expect(t!.effects).toEqual([{ kind: 'create_person_tasks', persons: [{ id: 'a', priority: 1 }, { id: 'b', priority: 2 }, { id: 'c', priority: 3 }] }]);
  });

  it('with no contact persons notifies social services at once, with the reply deadline', () => {
    const [, t] = open(1, T0, [], { replyDays: 10, zone: 'Europe/Madrid' });
    expect(t!.cause).toBe('no_contact_persons');
    expect(t!.effects).toEqual([{ kind: 'notify_social_services', replyDeadline: days(10), reason: 'persons_exhausted' }]);
  });

  it('on a third consecutive loss proposes the baja straight away: no tasks, no notice, a coordinator decides', () => {
    const [t] = open(3, T0, [{ id: 'a', priority: 1 }]);
    expect(t!.effects).toEqual([]);
    expect(t!.state.proposedAt).toEqual(T0);
  });
});

type Row = { name: string; from: LossCase; event: LossEvent; to: Stage | null; cause?: string; effects?: string[] };
const rows: Row[] = [
  { name: 'persons exhausted -> social services notified', from: base, event: { type: 'persons_exhausted', at: days(2) },
    to: 'social_services_notified', cause: 'contact_persons_exhausted', effects: ['notify_social_services'] },
  { name: 'intervention recorded, same stage', from: notified, event: { type: 'social_services_intervened', at: days(5), interventionAt: days(4) },
    to: 'social_services_notified', cause: 'social_services_intervened', effects: [] },
  { name: 'tick before the reply deadline: nothing', from: notified, event: { type: 'tick', now: days(6.9) }, to: null },
  { name: 'reply deadline passed with no news -> proposed', from: notified, event: { type: 'tick', now: days(7) },
    to: 'baja_proposed', cause: 'reply_deadline_passed', effects: [] },
  { name: 'a week after the intervention: not yet at 6 days', from: intervened, event: { type: 'tick', now: at('2026-03-12T22:59:00Z') }, to: null },
  { name: 'a week after the intervention, the reply deadline no longer counts', from: intervened, event: { type: 'tick', now: days(7) }, to: null },
  { name: 'a week after the intervention -> proposed', from: intervened, event: { type: 'tick', now: at('2026-03-12T23:00:00Z') },
    to: 'baja_proposed', cause: 'intervention_week_elapsed' },
  { name: 'tick while calling contact persons: nothing', from: base, event: { type: 'tick', now: days(60) }, to: null },
  { name: 'tick on a proposal: nothing (idempotent)', from: proposed, event: { type: 'tick', now: days(60) }, to: null },
  { name: 'contact while calling contact persons', from: base, event: { type: 'contact_recovered', at: days(1) },
    to: 'closed_contact_recovered', cause: 'contact_recovered', effects: ['cancel_open_tasks'] },
  { name: 'contact after the notice counts as through social services', from: intervened, event: { type: 'contact_recovered', at: days(8) },
    to: 'closed_contact_recovered', cause: 'contact_recovered_via_social_services' },
  { name: 'contact while the baja is proposed', from: proposed, event: { type: 'contact_recovered', at: days(8) },
    to: 'closed_contact_recovered', cause: 'contact_recovered_via_social_services' },
  { name: 'coordinator confirms -> baja falta_contacto', from: proposed, event: { type: 'baja_confirmed', at: days(8), by: 'u1' },
    to: 'closed_baja', cause: 'baja_confirmed', effects: ['cancel_open_tasks', 'apply_baja'] },
  { name: 'coordinator rejects -> back to social services with a new deadline', from: proposed,
    event: { type: 'baja_rejected', at: days(8), by: 'u1', reason: 'Hospitalizada, confirmado por SS' },
    to: 'social_services_notified', cause: 'baja_rejected', effects: ['notify_social_services'] },
  { name: 'expediente closed elsewhere', from: notified, event: { type: 'expediente_closed', at: days(3) },
    to: 'closed_baja', cause: 'expediente_closed', effects: ['cancel_open_tasks'] },
];

describe('transitions', () => {
  it.each(rows)('$name', ({ from, event, to, cause, effects }) => {
    const t = step(from, event);
    if (to === null) return expect(t).toBeNull();
    expect(t).not.toBeNull();
    expect(t!.from).toBe(from.stage);
    expect(t!.to).toBe(to);
    expect(t!.state.stage).toBe(to);
    if (cause) expect(t!.cause).toBe(cause);
    if (effects) expect(t!.effects.map((e) => e.kind)).toEqual(effects);
  });
});

const invalidRows: { from: LossCase; event: LossEvent }[] = [
  { from: base, event: { type: 'social_services_intervened', at: days(1), interventionAt: days(1) } },
  { from: base, event: { type: 'baja_confirmed', at: days(1), by: 'u1' } },
  { from: notified, event: { type: 'persons_exhausted', at: days(1) } },
  { from: notified, event: { type: 'baja_rejected', at: days(1), by: 'u1', reason: 'x' } },
  { from: proposed, event: { type: 'persons_exhausted', at: days(8) } },
  { from: proposed, event: { type: 'social_services_intervened', at: days(8), interventionAt: days(8) } },
  { from: { ...proposed, stage: 'closed_baja', closedAt: days(9) }, event: { type: 'contact_recovered', at: days(10) } },
  { from: { ...base, stage: 'closed_contact_recovered', closedAt: days(1) }, event: { type: 'tick', now: days(10) } },
];

describe('invalid events', () => {
  it.each(invalidRows)('$event.type in $from.stage is refused, in Spanish', ({ from, event }) => {
    const fn = () => step(from, event);
    expect(fn).toThrow(InvalidTransitionError);
    expect(fn).toThrow(/^No se puede .+: el procedimiento está en la fase «/);
  });

  it.each([
    { name: 'an intervention in the future', event: { type: 'social_services_intervened', at: days(5), interventionAt: days(6) } as LossEvent, from: notified },
    { name: 'an intervention before the case opened', event: { type: 'social_services_intervened', at: days(5), interventionAt: days(-2) } as LossEvent, from: notified },
    { name: 'a rejection without a reason', event: { type: 'baja_rejected', at: days(8), by: 'u1', reason: '  ' } as LossEvent, from: proposed },
  ])('$name is invalid', ({ from, event }) => {
    expect(() => step(from, event)).toThrow(DomainError);
    try { step(from, event); } catch (err) { expect((err as DomainError).code).toBe('invalid'); }
  });
});

describe('state carried by transitions', () => {
  it('a rejection resets the intervention and gives a new reply deadline, so the next tick does not re-propose', () => {
    const t = step({ ...intervened, stage: 'baja_proposed', proposedAt: days(11) }, { type: 'baja_rejected', at: days(12), by: 'u1', reason: 'motivo' })!;
    expect(t.state).toMatchObject({ interventionAt: null, proposedAt: null, replyDeadline: days(19), decidedBy: 'u1', decidedAt: days(12) });
    expect(t.note).toBe('motivo');
    expect(step(t.state, { type: 'tick', now: days(18) })).toBeNull();
    expect(step(t.state, { type: 'tick', now: days(19) })!.to).toBe('baja_proposed');
  });

  it('the confirmed baja is falta_contacto, by the coordinator', () => {
    const t = step(proposed, { type: 'baja_confirmed', at: days(8), by: 'u1' })!;
    expect(t.effects).toContainEqual({ kind: 'apply_baja', cause: 'falta_contacto', at: days(8), by: 'u1' });
    expect(t.state).toMatchObject({ closedAt: days(8), decidedBy: 'u1' });
  });

  it('only a recovery after the notice chains a later loss (round rule)', () => {
    expect(recoveredViaSocialServices(step(base, { type: 'contact_recovered', at: days(1) })!.state)).toBe(false);
    expect(recoveredViaSocialServices(step(notified, { type: 'contact_recovered', at: days(1) })!.state)).toBe(true);
    expect(recoveredViaSocialServices(step(proposed, { type: 'baja_confirmed', at: days(8), by: 'u' })!.state)).toBe(false);
  });

  it('counts the week in calendar days across the change to summer time', () => {
    // 2026-03-29 is the last Sunday of March: a week is 167 hours, not 168
    const c = { ...notified, openedAt: at('2026-03-20T10:00:00Z'), interventionAt: at('2026-03-24T23:00:00Z') };
    expect(dueAt(c)).toEqual(at('2026-03-31T22:00:00Z'));
  });

  it('the due date of each stage', () => {
    expect(dueAt(base)).toBeNull();
    expect(dueAt(notified)).toEqual(days(7));
    expect(dueAt(proposed)).toEqual(days(7));
  });
});
