/**
 * Managers' statistics: the reports domain's front door.
 *
 * Routes (all GET, roles `manager` and `coordinator`; aggregates only; OpenAPI under /docs, tag "reports"):
 *
 *   /api/reports                          the figures below, with titles and CSV columns
 *   /api/reports/filters?province=        provinces; municipalities and centres of one province; local entities
 *   /api/reports/<figure>                 JSON: { figure, title, generatedAt, level, filters, rows[] }
 *   /api/reports/<figure>.csv             the same table as CSV, cells under 3 and rows about fewer than 3 usuarias as "<3" (audited)
 *   /api/reports/monthly-summary          ?month=YYYY-MM[&province=] the month in figures (JSON)
 *   /api/reports/monthly-summary.csv      the same, CSV, small cells suppressed (audited)
 *   /api/reports/monthly-summary.html     the same, printable page (audited)
 *   /api/reports/entities                 local entities (Entidades Locales) and how many centres each has
 *   /api/reports/entity-monthly.csv       ?entidadLocal=&month=YYYY-MM  §7 list: expediente codes and alta dates (audited)
 *   /api/reports/entity-monthly.html      the same, printable page (audited)
 *   /api/reports/entity-monthly.pdf       the same, printed by Chromium (audited)
 *
 * <figure> is one of: census, calls, followups, answer-times, emergencies, post-emergency,
 * contact-loss, contact-loss-flows, selftest-overdue, outside-window.
 *
 * Every figure takes ?from=YYYY-MM-DD&to=YYYY-MM-DD (both included) and optionally
 * province=<INE code>, municipality=<name>, centre=<uuid>, grain=day|week|month (default month;
 * weeks start on Monday), by=none|province|municipality|centre (default none; the drill-down).
 * by=municipality and by=centre need a province (or municipality, or centre) filter: 400 without.
 * By month, whole months are read from the rollups by month (per province, and per municipality and
 * centre: migrations 005, 012), and a range that stops inside a month reads that month from its
 * monthly row when nothing in it is dated after the range's end (the default: twelve months to date).
 * Every row carries period, province, provinceName, municipality, centreId, centreName; the
 * rest of its fields are in each figure's TypeBox schema (reports/<figure>.ts). Snapshot figures
 * (contact-loss, selftest-overdue) are taken at the moment of the request and ignore from/to.
 *
 * Days are her days: a call counts on the day it started in the usuaria's zone (Canary time for
 * Las Palmas and Santa Cruz de Tenerife), where she lived and with the centre that followed her
 * when it was written. See store/migrations/005_reports.sql for the rollups: calls only append
 * deltas, which reads add to the rollups and startReportsFolder (reports/fold.ts) folds into them
 * every few seconds in every instance.
 */
export { reportsRoutes, REPORT_READERS, type ReportsRoutesOptions } from './reports.routes.ts';
export { FIGURES } from './figures.ts';
export { startReportsFolder, FOLD_EVERY_MS, type ReportsFolder } from './fold.ts';
export type { Figure, Column, Row } from './figure.ts';
