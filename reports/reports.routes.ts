import { Type, type FastifyPluginAsyncTypebox, type TSchema } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditActor, type Role } from '../access/actor.ts';
import { actorOf } from '../access/auth.plugin.ts';
import type { Clock } from '../common/clock.ts';
import { PROVINCES, province as provinceOf } from '../common/provinces.ts';
import { auditRepo } from '../store/audit.repo.ts';
import type { Pool } from '../store/db.ts';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { geoLevel, reportsRepo } from '../store/reports.repo.ts';
import { figureCsv } from './csv.ts';
import { isPersonal, populationOf } from './disclosure.ts';
import { entityMonthly, entityMonthlyCsv, entityMonthlyHtml } from './entity-report.ts';
import type { FigureContext } from './figure.ts';
import { FIGURES } from './figures.ts';
import { FilterQuery, toFilter } from './filters.ts';
import { renderPdf } from './pdf.ts';
import { monthlySummary, summaryCsv, summaryHtml } from './summary.ts';

export interface ReportsRoutesOptions {
  /** The service's pool: the exports' audit trail is written through it. */
  pool: Pool;
  /** The dashboard's own connections (store/db.ts, createReadsPool): every read of these routes. */
  reads: Pool;
  clock: Clock;
  /** The Chromium that prints PDFs (CHROMIUM_PATH). */
  chromiumPath: string;
  /** Self-test period of terminal models without their own (SELFTEST_PERIOD_HOURS). */
  selftestPeriodHours: number;
}

/** Managers answer to the Ministry, the FEMP and the local entities; coordinators run the centre. Aggregates only. */
export const REPORT_READERS: Role[] = ['manager', 'coordinator'];
const access = { access: { roles: REPORT_READERS } };
const tags = ['reports'];
const Month = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });
const Envelope = (row: TSchema) => Type.Object({
  figure: Type.String(), title: Type.String(), generatedAt: Type.String({ description: 'ISO instant' }),
  level: Type.Integer({ description: 'rollup level read: 0 whole service, 1 province, 2 municipality and centre, 3 province by month, 4 municipality and centre by month, 5 whole service by month' }),
  filters: FilterQuery, rows: Type.Array(row),
});
const SummaryOut = Type.Object({ month: Type.String(), province: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(Type.Object({ key: Type.String(), label: Type.String(), value: Type.Union([Type.Number(), Type.Null()]),
    kind: Type.String(), basis: Type.Optional(Type.String()) })) });
const SummaryQuery = Type.Object({ month: Month, province: Type.Optional(Type.String({ pattern: '^[0-9]{2}$' })) }, { additionalProperties: false });
const EntityQuery = Type.Object({ entidadLocal: Type.String({ minLength: 1, maxLength: 200 }), month: Month }, { additionalProperties: false });

/** A body already written as JSON: sent as it is (Fastify serialises no string with a JSON content type). */
function sendJson(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}

const csvName = (s: string) => s.normalize('NFD').replace(/[^\w.-]+/g, '_');

export const reportsRoutes: FastifyPluginAsyncTypebox<ReportsRoutesOptions> = async (app, opts) => {
  const { pool, reads, clock } = opts;
  const ctx = (): FigureContext => ({ db: reads, now: clock.now(), selftestPeriodHours: opts.selftestPeriodHours });
  /** Every export leaves a trace: who, what, which filters, how many rows; never a name or a number. */
  const audit = (req: FastifyRequest, what: string, format: string, detail: Record<string, unknown>) =>
    auditRepo(pool).write({ actor: auditActor(actorOf(req)), action: 'report.export', route: req.routeOptions.url ?? null,
      detail: { report: what, format, ...detail } });
  const attachment = (reply: { header(k: string, v: string): unknown }, name: string) =>
    reply.header('content-disposition', `attachment; filename="${csvName(name)}"`);

  app.get('/api/reports', { config: access, schema: { tags, summary: 'The figures this API serves, with their CSV columns',
    response: { 200: Type.Array(Type.Object({ name: Type.String(), title: Type.String(), description: Type.String(),
      snapshot: Type.Boolean(), columns: Type.Array(Type.Object({ key: Type.String(), header: Type.String(), kind: Type.String() })) })) } } },
  async () => FIGURES.map((f) => ({ name: f.name, title: f.title, description: f.description, snapshot: f.snapshot ?? false,
    columns: f.columns.map((c) => ({ key: c.key, header: c.header, kind: c.kind })) })));

  app.get('/api/reports/filters', { config: access, schema: { tags, summary: 'Provinces, and the municipalities and centres of one, for filters and drill-down',
    querystring: Type.Object({ province: Type.Optional(Type.String({ pattern: '^[0-9]{2}$' })) }, { additionalProperties: false }),
    response: { 200: Type.Object({
      provinces: Type.Array(Type.Object({ code: Type.String(), name: Type.String() })),
      municipalities: Type.Array(Type.String()),
      centres: Type.Array(Type.Object({ id: Type.String(), code: Type.String(), name: Type.String(), municipality: Type.String(),
        province: Type.String(), entidadLocal: Type.String() })),
      entities: Type.Array(Type.String()) }) } } },
  async (req) => {
    const province = req.query.province;
    const [municipalities, centres, entities] = await Promise.all([
      province ? reportsRepo(reads).municipalities(province) : Promise.resolve([]),
      province ? reportsDirectRepo(reads).centres({ province }) : Promise.resolve([]),
      reportsDirectRepo(reads).entities()]);
    return { provinces: PROVINCES.map((p) => ({ code: p.code, name: p.name })), municipalities,
      centres: centres.map((c) => ({ id: c.id, code: c.code, name: c.name, municipality: c.municipality, province: c.province_code,
        entidadLocal: c.entidad_local })), entities: entities.map((e) => e.entidad_local) };
  });

  for (const figure of FIGURES) {
    app.get(`/api/reports/${figure.name}`, { config: access, schema: { tags, summary: figure.title, description: figure.description,
      querystring: FilterQuery, response: { 200: Envelope(figure.row) } } },
    async (req, reply) => {
      const f = toFilter(req.query);
      const rows = await figure.compute(ctx(), f);
      // Written here rather than by the schema's serializer: every row is built with exactly its
      // schema's fields, and on the large drill-down tables the generic serializer (its checks of
      // each nullable field) cost several times the query. The schema above still documents it.
      const q = req.query;
      const filters = { from: q.from, to: q.to, province: q.province, municipality: q.municipality, centre: q.centre, grain: q.grain, by: q.by };
      return sendJson(reply, `{"figure":${JSON.stringify(figure.name)},"title":${JSON.stringify(figure.title)},`
        + `"generatedAt":"${clock.now().toISOString()}","level":${geoLevel(f)},"filters":${JSON.stringify(filters)},"rows":${JSON.stringify(rows)}}`);
    });

    app.get(`/api/reports/${figure.name}.csv`, { config: access, schema: { tags, summary: `${figure.title} (CSV, small cells as "<3")`,
      querystring: FilterQuery, produces: ['text/csv'] } },
    async (req, reply) => {
      const f = toFilter(req.query);
      // a figure of events is weighed by the people of its rows; one that counts usuarias needs no weighing
      const [rows, population] = await Promise.all([figure.compute(ctx(), f), figure.countsUsuarias ? null : populationOf(ctx(), f)]);
      await audit(req, figure.name, 'csv', { filters: req.query, rows: rows.length });
      attachment(reply, `${figure.name}_${req.query.from}_${req.query.to}.csv`);
      return reply.type('text/csv; charset=utf-8').send(figureCsv(figure.columns, rows,
        population ? (r) => isPersonal(figure.columns, r, population(r)) : undefined));
    });
  }

  app.get('/api/reports/monthly-summary', { config: access, schema: { tags, summary: 'The month in figures, like the published ones',
    querystring: SummaryQuery, response: { 200: SummaryOut } } },
  async (req) => monthlySummary(ctx(), req.query.month, req.query.province));

  app.get('/api/reports/monthly-summary.csv', { config: access, schema: { tags, summary: 'The month in figures (CSV, small cells as "<3")',
    querystring: SummaryQuery, produces: ['text/csv'] } },
  async (req, reply) => {
    const s = await monthlySummary(ctx(), req.query.month, req.query.province);
    await audit(req, 'monthly-summary', 'csv', { month: s.month, province: s.province });
    attachment(reply, `atenpro_en_cifras_${s.month}${s.province ? `_${s.province}` : ''}.csv`);
    return reply.type('text/csv; charset=utf-8').send(summaryCsv(s));
  });

  app.get('/api/reports/monthly-summary.html', { config: access, schema: { tags, summary: 'The month in figures, printable (small cells as "<3")',
    querystring: SummaryQuery, produces: ['text/html'] } },
  async (req, reply) => {
    const s = await monthlySummary(ctx(), req.query.month, req.query.province);
    await audit(req, 'monthly-summary', 'html', { month: s.month, province: s.province });
    return reply.type('text/html; charset=utf-8').send(summaryHtml(s, s.province ? provinceOf(s.province)?.name ?? null : null));
  });

  app.get('/api/reports/entities', { config: access, schema: { tags, summary: 'The local entities (Entidades Locales) with centres',
    response: { 200: Type.Array(Type.Object({ entidadLocal: Type.String(), centres: Type.Integer() })) } } },
  async () => (await reportsDirectRepo(reads).entities()).map((e) => ({ entidadLocal: e.entidad_local, centres: e.centres })));

  for (const format of ['csv', 'html', 'pdf'] as const) {
    app.get(`/api/reports/entity-monthly.${format}`, { config: access, schema: { tags,
      summary: `§7 monthly list of a local entity's active usuarias: expediente codes and alta dates (${format.toUpperCase()})`,
      querystring: EntityQuery, produces: [format === 'csv' ? 'text/csv' : format === 'html' ? 'text/html' : 'application/pdf'] } },
    async (req, reply) => {
      const report = await entityMonthly(reads, req.query.entidadLocal, req.query.month);
      await audit(req, 'entity-monthly', format, { entidadLocal: report.entidadLocal, month: report.month, rows: report.rows.length });
      const base = `usuarias_activas_${report.entidadLocal}_${report.month}`;
      if (format === 'csv') {
        attachment(reply, `${base}.csv`);
        return reply.type('text/csv; charset=utf-8').send(entityMonthlyCsv(report));
      }
      const html = entityMonthlyHtml(report, clock.now());
      if (format === 'html') return reply.type('text/html; charset=utf-8').send(html);
      attachment(reply, `${base}.pdf`);
      return reply.type('application/pdf').send(await renderPdf(html, opts.chromiumPath));
    });
  }
};
