import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { contactLossService, SYSTEM_ACTOR, type ContactLossService } from '../../dialer/contact-loss/index.ts';
import { withTransaction } from '../../store/db.ts';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

const DAY = 86_400_000;
let t: TestApp;
let service: ContactLossService;
let coord: { token: string; userId: string };
let op: { token: string; userId: string };
let centreId: string;

beforeAll(async () => {
  // the procedure runs over weeks of pinned time: sessions must outlive it
  t = await startTestApp({ sessionTtlMinutes: 10 * 365 * 24 * 60 });
  t.clock.set('2026-12-01T09:00:00Z');
  service = contactLossService({ pool: t.pool, clock: t.clock });
  coord = await signIn(t, 'coordinator');
  op = await signIn(t, 'operator');
  centreId = (await createCentre(t.pool)).id;
});
afterAll(async () => { await t.close(); });

const get = (url: string, token = coord.token) => t.app.inject({ method: 'GET', url, headers: bearer(token) });
const post = (url: string, payload: object, token = coord.token) => t.app.inject({ method: 'POST', url, headers: bearer(token), payload });
const now = () => t.clock.now();
const today = () => DateTime.fromJSDate(now(), { zone: 'Europe/Madrid' }).toISODate()!;

const CONTACTS = [
  { priority: 2, fullName: 'Hermana Ficticia', relationship: 'hermana', phone1: '633445566', holdsKeys: false, consentOn: '2026-11-02' },
  { priority: 1, fullName: 'Carmen Vecina Ficticia', relationship: 'vecina', phone1: '622334455', holdsKeys: true, consentOn: '2026-11-02' },
];

async function alta(contacts: object[] = []): Promise<{ usuariaId: string; expedienteCode: string }> {
  const res = await post('/api/usuarias', altaBody(centreId, { contacts }));
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** What the dialer does when an occasion ends (it is built elsewhere): the row, then the hook, in one transaction. */
async function occasion(usuariaId: string, status: 'failed' | 'contact' | 'cancelled') {
  t.clock.advance(15 * DAY); // quincenal: one occasion after another
  const at = now();
  const result = await withTransaction(t.pool, async (tx) => {
    await tx.query(`insert into followup_occasions (usuaria_id, kind, planned_on, status, closed_at, closed_by)
      values ($1, 'followup', $2, $3, $4, $5)`, [usuariaId, today(), status, at, SYSTEM_ACTOR]);
    if (status === 'failed') return service.onOccasionFailed(tx, usuariaId, at);
    if (status === 'contact') {
      await tx.query('update usuarias set last_communication_at = $2 where id = $1', [usuariaId, at]);
      await service.onContact(tx, usuariaId, at);
    }
    return null;
  });
  return result;
}
const failTimes = async (usuariaId: string, n: number) => {
  let last = null;
  for (let i = 0; i < n; i++) last = await occasion(usuariaId, 'failed');
  return last!;
};
const caseOf = async (usuariaId: string) =>
  (await t.pool.query(`select * from contact_loss_cases where usuaria_id = $1 order by opened_at desc limit 1`, [usuariaId])).rows[0];
const transitions = async (caseId: string) =>
  (await t.pool.query(`select from_stage, to_stage, cause, actor, at from contact_loss_transitions where case_id = $1 order by id`, [caseId])).rows;
const outbox = async (usuariaId: string, kind: string) =>
  (await t.pool.query(`select * from outbox where usuaria_id = $1 and kind = $2 order by created_at, id`, [usuariaId, kind])).rows;

/** Three failed occasions with no contact persons, then the reply deadline: a proposed baja. */
async function toProposal(usuariaId: string): Promise<string> {
  const { opened } = await failTimes(usuariaId, 3);
  expect(opened?.stage).toBe('social_services_notified');
  t.clock.advance(7 * DAY);
  await service.tick();
  expect((await caseOf(usuariaId)).stage).toBe('baja_proposed');
  return opened!.id;
}

describe('Anexo IV, the whole path', () => {
  it('three failed occasions -> contact persons -> social services -> intervention -> a week -> proposed -> confirmed baja', async () => {
    const { usuariaId, expedienteCode } = await alta(CONTACTS);
    expect((await failTimes(usuariaId, 2)).opened).toBeNull();
    const third = await occasion(usuariaId, 'failed');
    expect(third).toMatchObject({ trailingFailed: 3, opened: { round: 1, stage: 'contacting_persons' } });
    const caseId = third!.opened!.id;

    // the operator's tasks, priority 1 first
    const tasks = (await get('/api/contact-loss/tasks', op.token)).json().filter((x: { usuariaId: string }) => x.usuariaId === usuariaId);
    expect(tasks.map((x: { priority: number; fullName: string }) => [x.priority, x.fullName]))
      .toEqual([[1, 'Carmen Vecina Ficticia'], [2, 'Hermana Ficticia']]);
    expect(tasks[0]).toMatchObject({ expedienteCode, phone1: '+34622334455', status: 'open' });

    // reaching a contact person is not contact with her
    const first = await post(`/api/contact-loss/tasks/${tasks[0].id}`, { outcome: 'reached', notes: 'Le dará el recado' }, op.token);
    expect(first.statusCode).toBe(200);
    expect(first.json().stage).toBe('contacting_persons');
    expect((await post(`/api/contact-loss/tasks/${tasks[0].id}`, { outcome: 'not_reached' }, op.token)).statusCode).toBe(409);
    const second = await post(`/api/contact-loss/tasks/${tasks[1].id}`, { outcome: 'not_reached' }, op.token);
    expect(second.json().stage).toBe('social_services_notified');

    const notifiedAt = now();
    const [notice] = await outbox(usuariaId, 'contact_loss_notice');
    expect(notice.centre_id).toBe(centreId);
    expect(notice.payload).toMatchObject({ caseId, expedienteCode, round: 1, reason: 'persons_exhausted',
      replyDeadline: new Date(notifiedAt.getTime() + 7 * DAY).toISOString() });

    const queue = (await get('/api/contact-loss/cases')).json();
    expect(queue.find((q: { id: string }) => q.id === caseId)).toMatchObject({ expedienteCode, round: 1, stage: 'social_services_notified',
      ageDays: 0, overdue: false, dueAt: notice.payload.replyDeadline, tasks: { open: 0, reached: 1, notReached: 1 } });

    t.clock.advance(2 * DAY);
    const intervention = await post(`/api/contact-loss/cases/${caseId}/intervention`, { interventionOn: today() });
    expect(intervention.statusCode).toBe(200);
    expect(intervention.json()).toMatchObject({ stage: 'social_services_notified', overdue: false });

    t.clock.advance(6 * DAY);
    expect(await service.tick()).toEqual([]);                       // past the reply deadline, but the week runs from the intervention
    t.clock.advance(1 * DAY);
    expect(await service.tick()).toEqual([{ caseId, to: 'baja_proposed' }]);
    expect(await service.tick()).toEqual([]);                       // idempotent

    const proposedQueue = (await get('/api/contact-loss/cases')).json();
    expect(proposedQueue[0]).toMatchObject({ id: caseId, stage: 'baja_proposed', overdue: true });

    expect((await post(`/api/contact-loss/cases/${caseId}/decision`, { decision: 'confirm' }, op.token)).statusCode).toBe(403);
    const confirmed = await post(`/api/contact-loss/cases/${caseId}/decision`, { decision: 'confirm' });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ stage: 'closed_baja', decidedBy: coord.userId });
    expect((await post(`/api/contact-loss/cases/${caseId}/decision`, { decision: 'confirm' })).statusCode).toBe(409);

    const { rows: [exp] } = await t.pool.query(`select e.status, e.baja_cause, e.baja_on, u.bajas_incumplimiento
      from expedientes e join usuarias u on u.id = e.usuaria_id where e.code = $1`, [expedienteCode]);
    expect(exp).toMatchObject({ status: 'baja', baja_cause: 'falta_contacto', baja_on: today(), bajas_incumplimiento: 1 });
    expect((await outbox(usuariaId, 'baja_notice'))[0].payload).toMatchObject({ expedienteCode, cause: 'falta_contacto' });

    const history = await transitions(caseId);
    expect(history.map((h) => [h.from_stage, h.to_stage, h.cause, h.actor])).toEqual([
      [null, 'contacting_persons', 'three_failed_followups', SYSTEM_ACTOR],
      ['contacting_persons', 'social_services_notified', 'contact_persons_exhausted', op.userId],
      ['social_services_notified', 'social_services_notified', 'social_services_intervened', coord.userId],
      ['social_services_notified', 'baja_proposed', 'intervention_week_elapsed', SYSTEM_ACTOR],
      ['baja_proposed', 'closed_baja', 'baja_confirmed', coord.userId],
    ]);
    for (const h of history) expect(h.at).toBeInstanceOf(Date);
    expect(history.at(-1)!.at).toEqual(now());
    const detail = (await get(`/api/contact-loss/cases/${caseId}`)).json();
    expect(detail.transitions).toHaveLength(5);
    expect(detail.tasks.map((x: { status: string }) => x.status)).toEqual(['reached', 'not_reached']);
  });

  it('the reply deadline passing with no news proposes the baja; a rejection keeps her with a new notice', async () => {
    const { usuariaId } = await alta([]);
    const caseId = await toProposal(usuariaId);
    expect((await transitions(caseId)).map((h) => h.cause))
      .toEqual(['three_failed_followups', 'no_contact_persons', 'reply_deadline_passed']);

    expect((await post(`/api/contact-loss/cases/${caseId}/decision`, { decision: 'reject' })).statusCode).toBe(400);
    const rejected = await post(`/api/contact-loss/cases/${caseId}/decision`, { decision: 'reject', reason: 'Ingresada en hospital, lo confirma SS' });
    expect(rejected.json()).toMatchObject({ stage: 'social_services_notified', interventionAt: null, overdue: false });
    const notices = await outbox(usuariaId, 'contact_loss_notice');
    expect(notices.map((n) => n.payload.reason)).toEqual(['persons_exhausted', 'proposal_rejected']);
    expect(await service.tick()).toEqual([]);
    expect((await transitions(caseId)).at(-1)).toMatchObject({ cause: 'baja_rejected: Ingresada en hospital, lo confirma SS', actor: coord.userId });
    expect((await post(`/api/contact-loss/cases/${caseId}/decision`, { decision: 'confirm' })).statusCode).toBe(409);

    // she calls: the case closes, and nothing is left for a coordinator to decide
    await occasion(usuariaId, 'contact');
    expect(await caseOf(usuariaId)).toMatchObject({ stage: 'closed_contact_recovered' });
    expect((await transitions(caseId)).at(-1)).toMatchObject({ cause: 'contact_recovered_via_social_services', actor: SYSTEM_ACTOR });
  });
});

describe('recovered contact and the rounds', () => {
  it('contact while calling contact persons closes the case, cancels its tasks, and the next loss starts again at three', async () => {
    const { usuariaId } = await alta(CONTACTS);
    const { opened } = await failTimes(usuariaId, 3);
    await occasion(usuariaId, 'contact');
    expect(await caseOf(usuariaId)).toMatchObject({ id: opened!.id, stage: 'closed_contact_recovered' });
    const { rows } = await t.pool.query(`select status from contact_loss_tasks where case_id = $1`, [opened!.id]);
    expect(rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect((await transitions(opened!.id)).at(-1)!.cause).toBe('contact_recovered');
    expect((await failTimes(usuariaId, 2)).opened).toBeNull();   // not through social services: no chain
    expect((await occasion(usuariaId, 'failed'))!.opened).toMatchObject({ round: 1 });
  });

  it('after a recovery through social services, the next failed follow-up opens round 2; a third consecutive loss proposes the baja', async () => {
    const { usuariaId, expedienteCode } = await alta([]);
    const one = (await failTimes(usuariaId, 3)).opened!;
    expect(one).toMatchObject({ round: 1, stage: 'social_services_notified' });
    await occasion(usuariaId, 'contact');                        // through social services

    await occasion(usuariaId, 'cancelled');                      // an absence is no follow-up
    const two = (await occasion(usuariaId, 'failed'))!.opened!;
    expect(two).toMatchObject({ round: 2, stage: 'social_services_notified' });
    expect((await transitions(two.id))[0]).toMatchObject({ cause: 'loss_after_recovery', actor: SYSTEM_ACTOR });
    await occasion(usuariaId, 'contact');

    const three = (await occasion(usuariaId, 'failed'))!.opened!;
    expect(three).toMatchObject({ round: 3, stage: 'baja_proposed' });
    expect((await transitions(three.id)).map((h) => [h.from_stage, h.to_stage, h.cause]))
      .toEqual([[null, 'baja_proposed', 'third_consecutive_loss']]);
    expect(await outbox(usuariaId, 'contact_loss_notice')).toHaveLength(2); // rounds 1 and 2 only

    const queue = (await get('/api/contact-loss/cases')).json();
    expect(queue.find((q: { id: string }) => q.id === three.id)).toMatchObject({ expedienteCode, round: 3, overdue: true });
    expect((await post(`/api/contact-loss/cases/${three.id}/decision`, { decision: 'confirm' })).statusCode).toBe(200);
  });

  it('a follow-up that reaches her after the recovery breaks the chain', async () => {
    const { usuariaId } = await alta([]);
    await failTimes(usuariaId, 3);
    await occasion(usuariaId, 'contact');
    await occasion(usuariaId, 'contact');
    expect((await failTimes(usuariaId, 2)).opened).toBeNull();
    expect((await occasion(usuariaId, 'failed'))!.opened).toMatchObject({ round: 1 });
  });

  it('an absence never counts as failed, and a contact resets the count', async () => {
    const { usuariaId } = await alta([]);
    await occasion(usuariaId, 'failed');
    await occasion(usuariaId, 'cancelled');
    expect(await occasion(usuariaId, 'failed')).toMatchObject({ trailingFailed: 2, opened: null });
    await occasion(usuariaId, 'contact');
    expect(await failTimes(usuariaId, 2)).toMatchObject({ trailingFailed: 2, opened: null });
    await occasion(usuariaId, 'cancelled');
    expect(await occasion(usuariaId, 'failed')).toMatchObject({ trailingFailed: 3, opened: { round: 1 } });
  });
});

describe('what coordinators see and what follows', () => {
  it('lists her without contact from the first failed occasion, with her last communication', async () => {
    const { usuariaId, expedienteCode } = await alta([]);
    await occasion(usuariaId, 'contact');
    const lastContact = now();
    const find = async (days: number) => ((await get(`/api/contact-loss/no-contact?days=${days}`)).json() as { usuariaId: string }[])
      .find((r) => r.usuariaId === usuariaId);
    expect(await find(0)).toBeUndefined();

    await occasion(usuariaId, 'failed');
    expect(await find(15)).toMatchObject({ expedienteCode, failedOccasions: 1, lastCommunicationAt: lastContact.toISOString(),
      firstFailedOn: today(), caseId: null });
    expect(await find(16)).toBeUndefined();
    expect((await get('/api/contact-loss/no-contact?days=0', op.token)).statusCode).toBe(403);
    await occasion(usuariaId, 'contact');
    expect(await find(0)).toBeUndefined();
  });

  it('two bajas for falta de contacto block a new alta (Anexo IV)', async () => {
    const { usuariaId } = await alta([]);
    const realta = () => post(`/api/usuarias/${usuariaId}/altas`, { centreId, altaType: 'ordinaria', requestedOn: today(),
      altaOn: today(), telematicControlOrder: false });
    for (let loss = 1; loss <= 2; loss++) {
      const caseId = await toProposal(usuariaId);
      expect((await post(`/api/contact-loss/cases/${caseId}/decision`, { decision: 'confirm' })).statusCode).toBe(200);
      t.clock.advance(DAY);
      if (loss === 1) expect((await realta()).statusCode).toBe(201);
    }
    const refused = await realta();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().reason).toBe('two_bajas_incumplimiento');
  });

  it('closes an open case when her expediente ends by another baja', async () => {
    const { usuariaId } = await alta(CONTACTS);
    const { opened } = await failTimes(usuariaId, 3);
    expect((await post(`/api/usuarias/${usuariaId}/baja`, { cause: 'voluntaria', bajaOn: today() })).statusCode).toBe(200);
    expect(await service.tick()).toContainEqual({ caseId: opened!.id, to: 'closed_baja' });
    expect((await transitions(opened!.id)).at(-1)).toMatchObject({ cause: 'expediente_closed', actor: SYSTEM_ACTOR });
  });
});
