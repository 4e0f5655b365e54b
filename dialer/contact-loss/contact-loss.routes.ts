import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../../access/auth.plugin.ts';
import { auditActor, CASE_MANAGERS, FICHA_READERS } from '../../access/actor.ts';
import type { Clock } from '../../common/clock.ts';
import { invalid, notFound } from '../../common/errors.ts';
import { auditRepo } from '../../store/audit.repo.ts';
import { contactLossRepo, type LossCaseRecord } from '../../store/contact-loss.repo.ts';
import type { Pool } from '../../store/db.ts';
import { contactLossService } from './contact-loss.service.ts';
import { dueAt, STAGE_LABELS } from './machine.ts';
import { queueOf } from './queue.ts';

export interface ContactLossRoutesOptions { pool: Pool; clock: Clock; replyDays?: number }

const Uuid = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Uuid });
const closed = { additionalProperties: false } as const;
// coordinators decide; operators place the calls to contact persons
const coordinators = { access: { roles: CASE_MANAGERS } };
const callers = { access: { roles: FICHA_READERS } };
const route = (req: FastifyRequest) => req.routeOptions.url!;
const tags = ['contact-loss'];

/** Anexo IV for coordinators and operators: the queue, the tasks, social services' reply and the decision. */
export const contactLossRoutes: FastifyPluginAsyncTypebox<ContactLossRoutesOptions> = async (app, { pool, clock, replyDays }) => {
  const service = contactLossService({ pool, clock, config: replyDays ? { replyDays } : {} });
  const view = (c: LossCaseRecord) => {
    const due = dueAt(c, service.config);
    return { id: c.id, usuariaId: c.usuariaId, round: c.round, stage: c.stage, stageLabel: STAGE_LABELS[c.stage],
      openedAt: c.openedAt, replyDeadline: c.replyDeadline, interventionAt: c.interventionAt, proposedAt: c.proposedAt,
      closedAt: c.closedAt, decidedBy: c.decidedBy, decidedAt: c.decidedAt, dueAt: due,
      overdue: due !== null && clock.now().getTime() >= due.getTime() };
  };

  app.get('/api/contact-loss/cases', { config: coordinators, schema: { tags,
    summary: 'Open contact-loss cases: proposed bajas first, then by deadline' } },
  async () => queueOf(await contactLossRepo(pool).queue(), clock.now(), service.config));

  app.get('/api/contact-loss/cases/:id', { config: coordinators, schema: { tags, summary: 'One case with its tasks and every transition',
    params: IdParams } },
  async (req) => {
    const repo = contactLossRepo(pool);
    const c = await repo.byId(req.params.id);
    if (!c) throw notFound('Procedimiento de pérdida de contacto no encontrado.');
    return { ...view(c), tasks: await repo.tasksOf(c.id), transitions: await repo.transitionsOf(c.id) };
  });

  app.get('/api/contact-loss/no-contact', { config: coordinators, schema: { tags,
    summary: 'Usuarias without contact for N days, from the first failed follow-up occasion',
    querystring: Type.Object({ days: Type.Integer({ minimum: 0, maximum: 3650, default: 0 }) }, closed) } },
  async (req) => contactLossRepo(pool).noContact(req.query.days, clock.now()));

  app.get('/api/contact-loss/tasks', { config: callers, schema: { tags, summary: 'Open calls to contact persons, by case age and priority (audited)' } },
    async (req) => {
      const tasks = await contactLossRepo(pool).openTasks();
      await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'contact_loss.tasks.read', route: route(req),
        detail: { results: tasks.length } });
      return tasks;
    });

  app.post('/api/contact-loss/tasks/:id', { config: callers, schema: { tags, summary: 'Close a call to a contact person',
    params: IdParams, body: Type.Object({ outcome: Type.Union([Type.Literal('reached'), Type.Literal('not_reached')]),
      notes: Type.Optional(Type.String({ maxLength: 1000 })) }, closed) } },
  async (req) => view(await service.closeTask(actorOf(req), route(req), req.params.id, req.body.outcome, req.body.notes ?? null)));

  app.post('/api/contact-loss/cases/:id/intervention', { config: coordinators, schema: { tags,
    summary: 'The date social services report they intervened', params: IdParams,
    body: Type.Object({ interventionOn: Type.String({ format: 'date', description: 'YYYY-MM-DD' }) }, closed) } },
  async (req) => view(await service.recordIntervention(actorOf(req), route(req), req.params.id, req.body.interventionOn)));

  app.post('/api/contact-loss/cases/:id/decision', { config: coordinators, schema: { tags,
    summary: 'Confirm the proposed baja, or keep her in service (a new notice to social services)', params: IdParams,
    body: Type.Object({ decision: Type.Union([Type.Literal('confirm'), Type.Literal('reject')]),
      reason: Type.Optional(Type.String({ maxLength: 1000 })) }, closed) } },
  async (req) => {
    const { decision, reason } = req.body;
    if (decision === 'reject' && !reason?.trim()) {
      throw invalid('Indique el motivo para mantenerla en el servicio.', { field: 'body.reason' });
    }
    return view(await service.decide(actorOf(req), route(req), req.params.id,
      decision === 'confirm' ? { decision } : { decision, reason: reason! }));
  });
};
