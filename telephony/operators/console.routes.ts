import type {} from '@fastify/websocket';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../../access/auth.plugin.ts';
import type { Clock } from '../../common/clock.ts';
import { conflict, invalid } from '../../common/errors.ts';
import type { FieldCipher } from '../../store/crypto.ts';
import type { Pool } from '../../store/db.ts';
import { fileDisposition, INBOUND_OUTCOMES } from '../disposition.ts';
import type { InboundService } from '../inbound.ts';
import type { ScreenpopHub } from '../screenpop/hub.ts';

export interface ConsoleRoutesOptions { pool: Pool; cipher: FieldCipher; clock: Clock; inbound: InboundService; hub: ScreenpopHub }

const Lit = <T extends string>(...v: T[]) => Type.Union(v.map((x) => Type.Literal(x)));
const operators = { access: { roles: ['operator' as const] } };

/** What the operator console needs: its websocket, presence, dispositions and her recent calls. */
export const consoleRoutes: FastifyPluginAsyncTypebox<ConsoleRoutesOptions> = async (app, { pool, cipher, clock, inbound, hub }) => {
  app.get('/ws/console', { websocket: true, config: operators, schema: { hide: true } }, async (socket, req) => {
    const operatorId = actorOf(req).id;
    const detach = await hub.attach(operatorId, socket, { presence: await inbound.desk.presence(operatorId) });
    socket.on('close', detach);
  });

  app.post('/api/console/presence', { config: operators, schema: { tags: ['console'], summary: 'Set the operator\'s presence',
    body: Type.Object({ presence: Lit('available', 'wrap_up', 'away', 'offline') }, { additionalProperties: false }),
    response: { 200: Type.Object({ presence: Type.String() }) } } },
  async (req) => {
    const operatorId = actorOf(req).id;
    if (req.body.presence === 'available' && !(await inbound.deviceOf(operatorId))) {
      throw conflict('No tiene un teléfono configurado: pida a administración que lo asigne.');
    }
    const presence = await inbound.setPresence(operatorId, req.body.presence);
    await hub.publish(operatorId, 'presence', { presence }, false);
    return { presence };
  });

  app.post('/api/calls/:id/disposition', { config: { access: { roles: ['operator', 'coordinator'] } }, schema: { tags: ['console'],
    summary: 'File the disposition of a call (kind A/B/C/D, emergency kind and level, outcome, notes)',
    params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
    body: Type.Object({
      kind: Lit('A', 'B', 'C', 'D'),
      emergencyKind: Type.Optional(Lit('psicosocial', 'prealarma', 'alarma_agresion', 'otra')),
      level: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)])),
      outcome: Lit(...INBOUND_OUTCOMES),
      notes: Type.Optional(Type.String({ maxLength: 4000 })),
    }, { additionalProperties: false }),
    response: { 200: Type.Object({ incidentId: Type.Union([Type.String(), Type.Null()]) }) } } },
  async (req) => {
    if (req.body.kind === 'C' && (!req.body.emergencyKind || !req.body.level)) {
      throw invalid('Una emergencia necesita su tipo y su nivel.', { fields: [
        ...(!req.body.emergencyKind ? [{ field: 'body.emergencyKind', message: 'Obligatorio en una emergencia.' }] : []),
        ...(!req.body.level ? [{ field: 'body.level', message: 'Obligatorio en una emergencia.' }] : [])] });
    }
    return fileDisposition(pool, cipher, clock, actorOf(req), req.routeOptions.url!, req.params.id, req.body);
  });

  app.get('/api/console/calls', { config: operators, schema: { tags: ['console'], summary: 'The operator\'s recent calls' } },
    async (req) => {
      const { rows } = await pool.query(`select c.id, c.line, c.kind, c.started_at as "startedAt", c.answered_at as "answeredAt",
          c.ended_at as "endedAt", c.outcome, c.disposition is not null as "filed", e.code as "expedienteCode"
        from call_attempts c left join expedientes e on e.usuaria_id = c.usuaria_id and e.status <> 'baja'
        where c.operator_id = $1 order by c.started_at desc limit 20`, [actorOf(req).id]);
      return rows;
    });
};
