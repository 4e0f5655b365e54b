import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../access/auth.plugin.ts';
import { auditActor } from '../access/actor.ts';
import type { Clock } from '../common/clock.ts';
import { conflict, notFound } from '../common/errors.ts';
import { agendaRepo, type AgendaItem } from '../store/agenda.repo.ts';
import { auditRepo } from '../store/audit.repo.ts';
import { withTransaction, type Pool } from '../store/db.ts';
import type { Dialer } from './engine.ts';
import { policyOf } from './planner.ts';
import { reminderAt } from './rules.ts';
import { DateTime } from 'luxon';
import { firstSlot, isInside } from './window.ts';

export interface AgendaRoutesOptions { pool: Pool; clock: Clock; dialer: Dialer }

const Uuid = Type.String({ format: 'uuid' });
const staff = { access: { roles: ['operator' as const, 'coordinator' as const] } };
const coordinators = { access: { roles: ['coordinator' as const] } };
const KIND_ES: Record<AgendaItem['kind'], string> = { followup: 'Seguimiento', reminder: 'Recordatorio', post_emergency: 'Tras emergencia', control: 'Control técnico' };
const view = (i: AgendaItem & { expedienteCode?: string | null }) => ({
  id: i.id, usuariaId: i.usuariaId, expedienteCode: i.expedienteCode ?? null, kind: i.kind, kindLabel: KIND_ES[i.kind],
  attempt: i.attempt, plannedOn: i.plannedOn, notBefore: i.notBefore.toISOString(), notAfter: i.notAfter.toISOString(),
  status: i.status, outcome: i.outcome, note: i.note,
});

/** The agenda as people see and change it: the day's plan, her calls, moves, cancellations, reminders, a call now. */
export const agendaRoutes: FastifyPluginAsyncTypebox<AgendaRoutesOptions> = async (app, { pool, clock, dialer }) => {
  const tags = ['agenda'];

  app.get('/api/agenda/plan', { config: staff, schema: { tags, summary: 'Planned calls whose window falls in a period (default: today)',
    querystring: Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) },
      { additionalProperties: false }) } },
  async (req) => {
    const now = clock.now();
    const from = req.query.from ? new Date(req.query.from) : DateTime.fromJSDate(now, { zone: 'Europe/Madrid' }).startOf('day').toJSDate();
    const to = req.query.to ? new Date(req.query.to) : new Date(from.getTime() + 24 * 3600_000);
    return (await agendaRepo(pool).planBetween(from, to)).map(view);
  });

  app.get('/api/usuarias/:id/agenda', { config: staff, schema: { tags, summary: 'Her planned and recent calls', params: Type.Object({ id: Uuid }) } },
    async (req) => {
      const items = await agendaRepo(pool).itemsOf(req.params.id, new Date(clock.now().getTime() - 30 * 24 * 3600_000));
      await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'agenda.read', usuariaId: req.params.id, route: req.routeOptions.url! });
      return items.map(view);
    });

  app.post('/api/agenda/items/:id/move', { config: coordinators, schema: { tags, summary: 'Move a planned call to another moment of her window',
    params: Type.Object({ id: Uuid }), body: Type.Object({ at: Type.String({ format: 'date-time' }) }, { additionalProperties: false }) } },
  async (req) => {
    const at = new Date(req.body.at);
    const moved = await withTransaction(pool, async (tx) => {
      const repo = agendaRepo(tx);
      const item = await repo.item(req.params.id, true);
      if (!item) throw notFound('Llamada programada no encontrada.');
      const facts = await repo.facts(item.usuariaId);
      const policy = facts && policyOf(facts);
      const anyWeekday = item.kind === 'post_emergency';
      if (!policy || !isInside(policy.window, at, { anyWeekday })) {
        throw conflict('Ese momento está fuera de la franja acordada con la usuaria.', { field: 'body.at' });
      }
      if (!(await repo.transition(item.id, ['planned'], 'cancelled', { outcome: 'moved' }))) throw conflict('La llamada ya no está pendiente.');
      const slot = firstSlot(policy.window, at, { anyWeekday });
      const next = await repo.insertItem({ ...item, notBefore: slot.start, notAfter: slot.end, createdBy: actorOf(req).id });
      await auditRepo(tx).write({ actor: auditActor(actorOf(req)), action: 'agenda.move', usuariaId: item.usuariaId, route: req.routeOptions.url!,
        detail: { from: item.id, to: next.id } });
      return next;
    });
    await dialer.enqueue([moved]);
    return view(moved);
  });

  app.post('/api/agenda/items/:id/cancel', { config: coordinators, schema: { tags, summary: 'Cancel a planned call',
    params: Type.Object({ id: Uuid }), body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 300 }) }, { additionalProperties: false }) } },
  async (req, reply) => {
    await withTransaction(pool, async (tx) => {
      const item = await agendaRepo(tx).item(req.params.id, true);
      if (!item) throw notFound('Llamada programada no encontrada.');
      if (!(await agendaRepo(tx).transition(item.id, ['planned'], 'cancelled', { outcome: 'cancelled_by_coordinator' }))) {
        throw conflict('La llamada ya no está pendiente.');
      }
      // a cancelled follow-up is not a failed one: the occasion closes without counting for Anexo IV
      await agendaRepo(tx).closeOccasion(item.occasionId, 'cancelled', clock.now(), actorOf(req).id);
      await auditRepo(tx).write({ actor: auditActor(actorOf(req)), action: 'agenda.cancel', usuariaId: item.usuariaId,
        route: req.routeOptions.url!, detail: { itemId: item.id } });
    });
    return reply.code(204).send(null);
  });

  app.post('/api/usuarias/:id/reminders', { config: staff, schema: { tags, summary: 'A reminder call (cita, gestión) at a chosen time, in her window',
    params: Type.Object({ id: Uuid }), body: Type.Object({ at: Type.String({ format: 'date-time' }), note: Type.String({ minLength: 3, maxLength: 300 }),
      // Anexo IV step 5: a request to collaborate (a repair appointment) that fails with its retry escalates like lost contact
      collaboration: Type.Optional(Type.Boolean({ default: true, description: 'Unanswered, it opens the contact-loss procedure (DOMAIN step 5)' })) },
    { additionalProperties: false }) } },
  async (req, reply) => reply.code(201).send(view(await planOne(req.params.id, 'reminder', new Date(req.body.at), req.body.note, actorOf(req).id,
    req.body.collaboration ?? true))));

  app.post('/api/usuarias/:id/call-now', { config: staff, schema: { tags, summary: 'Call her now (inside her window): planned as a manual call, not as a follow-up occasion',
    params: Type.Object({ id: Uuid }) } },
  async (req, reply) => {
    const facts = await agendaRepo(pool).facts(req.params.id);
    const policy = facts && policyOf(facts);
    if (!policy || !isInside(policy.window, clock.now())) throw conflict('Ahora está fuera de la franja acordada con la usuaria.');
    return reply.code(201).send(view(await planOne(req.params.id, 'reminder', clock.now(), 'Llamada manual', actorOf(req).id, false)));
  });

  async function planOne(usuariaId: string, kind: 'reminder', at: Date, note: string, by: string, collaboration: boolean): Promise<AgendaItem> {
    const item = await withTransaction(pool, async (tx) => {
      const repo = agendaRepo(tx);
      const facts = await repo.facts(usuariaId);
      const policy = facts && policyOf(facts);
      if (!facts || !policy) throw notFound('La usuaria no tiene agenda acordada.');
      const plan = reminderAt(policy.window, at);
      const occasion = await repo.openOccasion(usuariaId, kind, plan.plannedOn, null, collaboration);
      const created = await repo.insertItem({ usuariaId, kind, occasionId: occasion.id, attempt: 1, plannedOn: plan.plannedOn,
        notBefore: plan.notBefore, notAfter: plan.notAfter, createdBy: by, note });
      await auditRepo(tx).write({ actor: { type: 'user', id: by }, action: 'agenda.add', usuariaId, route: 'agenda', detail: { itemId: created.id, kind } });
      return created;
    });
    await dialer.enqueue([item]);
    return item;
  }
};
