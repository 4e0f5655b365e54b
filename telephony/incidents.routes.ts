import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../access/auth.plugin.ts';
import { auditActor } from '../access/actor.ts';
import type { Clock } from '../common/clock.ts';
import { conflict, notFound } from '../common/errors.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import { withTransaction, type Pool } from '../store/db.ts';

const staff = { access: { roles: ['operator' as const, 'coordinator' as const] } };

/**
 * Open emergencies and their closing. Post-emergency follow-up calls go on daily until the
 * incident is closed (§10.1 C); closing it cancels the ones still planned.
 */
export const incidentsRoutes: FastifyPluginAsyncTypebox<{ pool: Pool; clock: Clock; cipher: FieldCipher }> = async (app, { pool, clock, cipher }) => {
  app.get('/api/incidents', { config: staff, schema: { tags: ['incidents'], summary: 'Open incidents, oldest first' } }, async (req) => {
    const { rows } = await pool.query(`select i.id, i.kind, i.level, i.opened_at as "openedAt", e.code as "expedienteCode",
        (select count(*)::int from agenda_items a where a.incident_id = i.id and a.status = 'planned') as "plannedFollowUps"
      from incidents i left join expedientes e on e.usuaria_id = i.usuaria_id and e.status <> 'baja'
      where i.status = 'open' order by i.opened_at`);
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'incidents.list', route: req.routeOptions.url!, detail: { count: rows.length } });
    return rows;
  });

  app.post('/api/incidents/:id/close', { config: staff, schema: { tags: ['incidents'], summary: 'Close an incident once the situation is resolved',
    params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
    body: Type.Object({ resolution: Type.String({ minLength: 3, maxLength: 4000 }) }, { additionalProperties: false }) } },
  async (req, reply) => {
    await withTransaction(pool, async (tx) => {
      const { rows: [incident] } = await tx.query<{ id: string; usuaria_id: string | null; status: string; notes_enc: Buffer | null }>(
        'select id, usuaria_id, status, notes_enc from incidents where id = $1 for update', [req.params.id]);
      if (!incident) throw notFound('Incidencia no encontrada.');
      if (incident.status !== 'open') throw conflict('La incidencia ya está cerrada.');
      // the operator's notes stay; the resolution is added beside them, sealed the same way
      const context = `incidents.notes:${incident.id}`;
      const notes = incident.notes_enc ? cipher.open<Record<string, unknown>>(incident.notes_enc, context) : {};
      await tx.query(`update incidents set status = 'closed', closed_at = $2, notes_enc = $3 where id = $1`,
        [incident.id, clock.now(), cipher.seal({ ...notes, resolution: req.body.resolution }, context)]);
      await tx.query(`update agenda_items set status = 'cancelled', outcome = 'incident_closed', updated_at = now()
        where incident_id = $1 and status = 'planned'`, [incident.id]);
      await tx.query(`update followup_occasions set status = 'cancelled', closed_at = $2, closed_by = $3
        where incident_id = $1 and status = 'open'`, [incident.id, clock.now(), actorOf(req).id]);
      await auditRepo(tx).write({ actor: auditActor(actorOf(req)), action: 'incident.close', usuariaId: incident.usuaria_id,
        route: req.routeOptions.url!, detail: { incidentId: incident.id } });
    });
    return reply.code(204).send(null);
  });
};
