import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../access/auth.plugin.ts';
import { CASE_MANAGERS, FICHA_READERS } from '../access/actor.ts';
import type { Clock } from '../common/clock.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { FieldCipher } from '../store/crypto.ts';
import { withTransaction, type Pool } from '../store/db.ts';
import { centresRepo, usuariasRepo } from '../store/usuarias.repo.ts';
import { auditActor } from '../access/actor.ts';
import { registerAlta, registerRealta } from './alta.ts';
import { deliveryTestsService } from './delivery-tests.ts';
import { readFicha } from './ficha.ts';
import { terminalsService } from './terminals.ts';
import { fichaUpdates } from './updates.ts';
import * as S from './schemas.ts';

export interface CasesRoutesOptions { pool: Pool; cipher: FieldCipher; clock: Clock }

const IdParams = Type.Object({ id: S.Uuid });
const AltaOut = Type.Object({ usuariaId: S.Uuid, expedienteId: S.Uuid, expedienteCode: Type.String(), status: Type.String(),
  terminalId: Type.Union([S.Uuid, Type.Null()]) });
const readers = { access: { roles: FICHA_READERS } };
const managers = { access: { roles: CASE_MANAGERS } };
// operators update what she tells them on a call; structural changes stay with coordinators
const fieldEditors = { access: { roles: FICHA_READERS } };
const route = (req: FastifyRequest) => req.routeOptions.url!;

export const casesRoutes: FastifyPluginAsyncTypebox<CasesRoutesOptions> = async (app, { pool, cipher, clock }) => {
  const updates = fichaUpdates(pool, cipher, clock);
  const terminals = terminalsService(pool);
  const deliveryTests = deliveryTestsService(pool, clock);
  const tags = ['usuarias'];

  app.post('/api/centres', { config: { access: { roles: ['coordinator', 'admin'] } }, schema: { tags: ['centres'],
    body: Type.Object({ code: Type.String({ minLength: 2, maxLength: 40 }), name: Type.String({ minLength: 1, maxLength: 200 }),
      entidadLocal: Type.String({ minLength: 1, maxLength: 200 }), provinceCode: S.ProvinceCode,
      municipality: Type.String({ minLength: 1, maxLength: 100 }), email: Type.Optional(Type.String({ format: 'email' })),
      phone: Type.Optional(Type.String({ maxLength: 32 })) }, { additionalProperties: false }) } },
  async (req, reply) => {
    const centre = await centresRepo(pool).create({ ...req.body, email: req.body.email ?? null, phone: req.body.phone ?? null });
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'centre.create', route: route(req), detail: { centreId: centre.id } });
    return reply.code(201).send(centre);
  });

  app.get('/api/centres', { config: { access: { roles: ['operator', 'coordinator', 'admin'] } }, schema: { tags: ['centres'],
    querystring: Type.Object({ provinceCode: Type.Optional(S.ProvinceCode) }, { additionalProperties: false }) } },
  async (req) => centresRepo(pool).list(req.query.provinceCode));

  app.post('/api/usuarias', { config: managers, schema: { tags, summary: 'Alta of a new usuaria (ordinaria or extraordinaria)',
    body: S.AltaInput, response: { 201: AltaOut } } },
  async (req, reply) => reply.code(201).send(
    await withTransaction(pool, (tx) => registerAlta(tx, cipher, actorOf(req), route(req), req.body))));

  app.get('/api/usuarias', { config: readers, schema: { tags, summary: 'Find a usuaria by expediente code or name',
    querystring: Type.Object({ expediente: Type.Optional(Type.String({ pattern: '^[Vv][Gg]-[0-9]{2}-[0-9]+$' })),
      name: Type.Optional(Type.String({ minLength: 3, maxLength: 100 })), limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }) },
    { additionalProperties: false }) } },
  async (req) => {
    const rows = await usuariasRepo(pool).search({ expedienteCode: req.query.expediente, name: req.query.name, limit: req.query.limit });
    await auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'usuarias.search', route: route(req), detail: { results: rows.length } });
    return rows.map((r) => ({ id: r.id, expedienteCode: r.code, givenName: r.given_name, familyNames: r.family_names,
      municipality: r.municipality, provinceCode: r.province_code, status: r.status }));
  });

  app.get('/api/usuarias/:id', { config: readers, schema: { tags, summary: 'Her whole ficha (audited)', params: IdParams } },
    async (req) => readFicha(pool, cipher, actorOf(req), route(req), req.params.id));

  const put = <B extends import('typebox').TSchema>(part: string, body: B, access: typeof readers,
    apply: (req: FastifyRequest<{ Params: { id: string } }>, body: import('typebox').Static<B>) => Promise<unknown>) =>
    app.put(`/api/usuarias/:id/${part}`, { config: access, schema: { tags, params: IdParams, body, response: { 204: Type.Null() } } },
      async (req, reply) => { await apply(req as never, req.body as never); return reply.code(204).send(null); });

  put('identification', S.Identification, managers, (req, b) => updates.identification(actorOf(req), route(req), req.params.id, b));
  put('location', S.Location, fieldEditors, (req, b) => updates.location(actorOf(req), route(req), req.params.id, b));
  put('contacts', Type.Array(S.ContactPerson, { maxItems: 4 }), fieldEditors, (req, b) => updates.contacts(actorOf(req), route(req), req.params.id, b));
  put('resources', Type.Array(S.EmergencyResource, { maxItems: 12 }), managers, (req, b) => updates.resources(actorOf(req), route(req), req.params.id, b));
  put('household', Type.Array(S.HouseholdMember, { maxItems: 20 }), fieldEditors, (req, b) => updates.household(actorOf(req), route(req), req.params.id, b));
  put('aggressor', S.Aggressor, managers, (req, b) => updates.aggressor(actorOf(req), route(req), req.params.id, b));
  put('health', S.Health, fieldEditors, (req, b) => updates.health(actorOf(req), route(req), req.params.id, b.notes));
  put('agenda-policy', S.AgendaPolicy, fieldEditors, (req, b) => updates.agendaPolicy(actorOf(req), route(req), req.params.id, b));

  app.post('/api/usuarias/:id/risk-assessments', { config: managers, schema: { tags, params: IdParams, body: S.RiskAssessment,
    response: { 204: Type.Null() } } }, async (req, reply) => {
    await updates.risk(actorOf(req), route(req), req.params.id, req.body);
    return reply.code(204).send(null);
  });

  app.post('/api/usuarias/:id/absences', { config: fieldEditors, schema: { tags, summary: 'An absence she reports (§5): no follow-up call in it',
    params: IdParams, body: S.Absence, response: { 201: Type.Object({ id: S.Uuid }) } } },
  async (req, reply) => reply.code(201).send({ id: await updates.addAbsence(actorOf(req), route(req), req.params.id, req.body) }));

  app.delete('/api/usuarias/:id/absences/:absenceId', { config: fieldEditors, schema: { tags,
    params: Type.Object({ id: S.Uuid, absenceId: S.Uuid }), response: { 204: Type.Null() } } },
  async (req, reply) => { await updates.removeAbsence(actorOf(req), route(req), req.params.id, req.params.absenceId); return reply.code(204).send(null); });

  app.post('/api/usuarias/:id/altas', { config: managers, schema: { tags, summary: 'A new alta for a woman already on file',
    params: IdParams, body: S.ExpedienteInput, response: { 201: AltaOut } } },
  async (req, reply) => reply.code(201).send(
    await withTransaction(pool, (tx) => registerRealta(tx, actorOf(req), route(req), req.params.id, req.body))));

  app.post('/api/usuarias/:id/activate', { config: managers, schema: { tags, summary: 'Start the service on a pending expediente',
    params: IdParams, body: Type.Object({ altaOn: Type.String({ format: 'date' }) }, { additionalProperties: false }), response: { 204: Type.Null() } } },
  async (req, reply) => { await updates.activate(actorOf(req), route(req), req.params.id, req.body.altaOn); return reply.code(204).send(null); });

  app.post('/api/usuarias/:id/baja', { config: managers, schema: { tags, summary: 'Baja with a cause of Anexo V.4',
    params: IdParams, body: S.BajaInput, response: { 200: Type.Object({ expedienteId: S.Uuid, expedienteCode: Type.String() }) } } },
  async (req) => updates.baja(actorOf(req), route(req), req.params.id, req.body));

  app.post('/api/usuarias/:id/transfer', { config: managers, schema: { tags, summary: 'Traslado to another social services centre',
    params: IdParams, body: Type.Object({ centreId: S.Uuid }, { additionalProperties: false }), response: { 204: Type.Null() } } },
  async (req, reply) => { await updates.transfer(actorOf(req), route(req), req.params.id, req.body.centreId); return reply.code(204).send(null); });

  const terminalTags = ['terminals'];
  app.post('/api/usuarias/:id/terminals', { config: managers, schema: { tags: terminalTags, summary: 'Assign a terminal',
    params: IdParams, body: S.TerminalInput } },
  async (req, reply) => reply.code(201).send(await terminals.assign(actorOf(req), route(req), req.params.id, req.body)));

  app.post('/api/terminals/:id/replace', { config: managers, schema: { tags: terminalTags,
    summary: 'Replace a terminal; a stolen one needs the denuncia reference', params: IdParams,
    body: Type.Object({ reason: Type.Union([Type.Literal('lost'), Type.Literal('stolen'), Type.Literal('fault')]),
      denunciaRef: Type.Optional(Type.String({ minLength: 3, maxLength: 60 })), terminal: S.TerminalInput }, { additionalProperties: false }) } },
  async (req, reply) => reply.code(201).send(await terminals.replace(actorOf(req), route(req), req.params.id, req.body.reason,
    req.body.denunciaRef ?? null, req.body.terminal)));

  app.post('/api/terminals/:id/status', { config: managers, schema: { tags: terminalTags, params: IdParams,
    body: Type.Object({ status: Type.Union([Type.Literal('active'), Type.Literal('lost'), Type.Literal('stolen'), Type.Literal('in_repair')]),
      denunciaRef: Type.Optional(Type.String({ minLength: 3, maxLength: 60 })) }, { additionalProperties: false }) } },
  async (req) => terminals.setStatus(actorOf(req), route(req), req.params.id, req.body.status, req.body.denunciaRef ?? null));

  app.post('/api/terminals/:id/return', { config: managers, schema: { tags: terminalTags, params: IdParams } },
    async (req) => terminals.markReturned(actorOf(req), route(req), req.params.id));

  app.post('/api/terminals/:id/delivery-tests', { config: fieldEditors, schema: { tags: terminalTags,
    summary: 'Record a delivery test call (§10.1 D): reception (centre to terminal) or emission (terminal to centre)',
    params: IdParams, body: S.DeliveryTestInput } },
  async (req, reply) => reply.code(201).send(await deliveryTests.record(actorOf(req), route(req), req.params.id, req.body)));
};
