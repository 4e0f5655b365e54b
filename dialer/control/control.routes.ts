import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../../access/auth.plugin.ts';
import { auditActor } from '../../access/actor.ts';
import type { Clock } from '../../common/clock.ts';
import { conflict, notFound } from '../../common/errors.ts';
import { auditRepo } from '../../store/audit.repo.ts';
import type { Pool } from '../../store/db.ts';
import { technicalRepo, type TaskKind } from '../../store/technical.repo.ts';
import type { ControlConfig } from './rules.ts';

export interface TechnicalRoutesOptions { pool: Pool; clock: Clock; config: ControlConfig }

const staff = { access: { roles: ['operator' as const, 'coordinator' as const] } };
const managers = { access: { roles: ['coordinator' as const, 'admin' as const] } };
const TASK_ES: Record<TaskKind, string> = {
  selftest_overdue: 'Autochequeo del terminal no recibido',
  control_no_test_call: 'Llamada de control sin llamada de prueba del terminal',
  control_not_done: 'Llamada de control no realizada',
};
const ModelBody = Type.Object({
  // 0 rather than null: the body is coerced, and a null would arrive as 0 anyway
  selftestPeriodHours: Type.Integer({ minimum: 0, maximum: 744, description: 'Hours between automatic self-tests; 0 when the model makes none' }),
  controlPeriodMonths: Type.Integer({ minimum: 1, maximum: 24 }),
}, { additionalProperties: false });

/** Technical control as people see it: the operators' tasks about terminals, and the terminal models' periods. */
export const technicalRoutes: FastifyPluginAsyncTypebox<TechnicalRoutesOptions> = async (app, { pool, clock, config }) => {
  const tags = ['technical-control'];
  const route = (req: { routeOptions: { url?: string } }) => req.routeOptions.url!;

  app.get('/api/technical/tasks', { config: staff, schema: { tags, summary: 'Open technical tasks (terminals to check), oldest first',
    querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false }) } },
  async (req) => {
    const tasks = await technicalRepo(pool).openTasks(req.query.limit);
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'technical_tasks.list', route: route(req), detail: { count: tasks.length } });
    return tasks.map((t) => ({ ...t, kindLabel: TASK_ES[t.kind], createdAt: t.createdAt.toISOString() }));
  });

  app.post('/api/technical/tasks/:id/done', { config: staff, schema: { tags, summary: 'Mark a technical task done',
    params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 204: Type.Null() } } },
  async (req, reply) => {
    const actor = actorOf(req);
    const done = await technicalRepo(pool).completeTask(req.params.id, actor.id, clock.now());
    if (!done) {
      if (await technicalRepo(pool).taskExists(req.params.id)) throw conflict('La tarea ya está hecha.');
      throw notFound('Tarea no encontrada.');
    }
    await auditRepo(pool).write({ actor: auditActor(actor), action: 'technical_task.done', usuariaId: done.usuariaId, route: route(req),
      detail: { taskId: done.id } });
    return reply.code(204).send(null);
  });

  app.get('/api/terminal-models', { config: managers, schema: { tags, summary: 'Self-test and control-call periods per terminal model' } },
    async () => ({
      defaults: { selftestPeriodHours: config.selftestPeriodHours, controlPeriodMonths: config.controlPeriodMonths },
      models: (await technicalRepo(pool).models()).map((m) => ({ ...m, updatedAt: m.updatedAt.toISOString() })),
    }));

  app.put('/api/terminal-models/:model', { config: managers, schema: { tags, summary: 'Set the periods of a terminal model',
    params: Type.Object({ model: Type.String({ minLength: 1, maxLength: 60 }) }), body: ModelBody } },
  async (req) => {
    const m = await technicalRepo(pool).upsertModel({ model: req.params.model, controlPeriodMonths: req.body.controlPeriodMonths,
      selftestPeriodHours: req.body.selftestPeriodHours || null }, clock.now());
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'terminal_model.update', route: route(req),
      detail: { model: m.model, selftestPeriodHours: m.selftestPeriodHours, controlPeriodMonths: m.controlPeriodMonths } });
    return { ...m, updatedAt: m.updatedAt.toISOString() };
  });
};
