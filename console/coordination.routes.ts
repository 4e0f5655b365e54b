import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../access/auth.plugin.ts';
import { auditActor, CASE_MANAGERS } from '../access/actor.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { Pool } from '../store/db.ts';

export interface CoordinationRoutesOptions { pool: Pool }

const Uuid = Type.String({ format: 'uuid' });
const CallWindow = Type.Object({
  usuariaId: Uuid,
  zone: Type.Union([Type.Literal('Europe/Madrid'), Type.Literal('Atlantic/Canary')]),
  weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 })),
  from: Type.String({ description: 'HH:MM in her zone' }),
  to: Type.String({ description: 'HH:MM in her zone' }),
});

/**
 * What the coordinator's screen needs beside the agenda API: the agreed call window of each
 * usuaria on it, so that planned calls are shown, and moved, in her own time zone (DOMAIN.md,
 * "Agenda rules"). Only the window: no name, no number. The agenda API answers with instants.
 */
export const coordinationRoutes: FastifyPluginAsyncTypebox<CoordinationRoutesOptions> = async (app, { pool }) => {
  app.post('/api/coordination/call-windows', { config: { access: { roles: CASE_MANAGERS } }, schema: { tags: ['agenda'],
    summary: 'The agreed call window (zone, weekdays, hours) of each of these usuarias',
    body: Type.Object({ usuariaIds: Type.Array(Uuid, { minItems: 1, maxItems: 2000 }) }, { additionalProperties: false }),
    response: { 200: Type.Array(CallWindow) } } },
  async (req) => {
    const ids = [...new Set(req.body.usuariaIds)];
    const { rows } = await pool.query<{ usuariaId: string; zone: 'Europe/Madrid' | 'Atlantic/Canary'; weekdays: number[]; from: string; to: string }>(
      `select usuaria_id as "usuariaId", zone, weekdays::int[] as weekdays, to_char(window_from, 'HH24:MI') as "from",
              to_char(window_to, 'HH24:MI') as "to"
         from agenda_policies where usuaria_id = any($1::uuid[])`, [ids]);
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'agenda.windows.read', route: req.routeOptions.url!,
      detail: { results: rows.length } });
    return rows;
  });
};
