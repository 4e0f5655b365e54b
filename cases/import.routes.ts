import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../access/auth.plugin.ts';
import { auditActor } from '../access/actor.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Pool } from '../store/db.ts';
import { IMPORT_COLUMNS, importUsuarias } from './import.ts';

export const importRoutes: FastifyPluginAsyncTypebox<{ pool: Pool; cipher: FieldCipher }> = async (app, { pool, cipher }) => {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post('/api/import/usuarias', {
    config: { access: { roles: ['coordinator'], scopes: ['usuarias:import'] } },
    schema: {
      tags: ['usuarias'], summary: 'Import usuarias from CSV (text/csv); every bad row reported by line and column',
      description: `Columns: ${IMPORT_COLUMNS.join(', ')}. Weekdays as ISO numbers separated by "|" (1 = Monday).`,
      querystring: Type.Object({ dryRun: Type.Boolean({ default: false }) }, { additionalProperties: false }),
      consumes: ['text/csv'],
    },
  }, async (req, reply) => {
    if (typeof req.body !== 'string') {
      return reply.code(415).send({ error: 'bad_request', message: 'Envíe el fichero como text/csv.' });
    }
    const report = await importUsuarias(pool, cipher, actorOf(req), req.routeOptions.url!, req.body, req.query.dryRun);
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'usuarias.import', route: req.routeOptions.url!,
      detail: { total: report.total, imported: report.imported, rejected: report.rejected, dryRun: report.dryRun } });
    return report;
  });
};
