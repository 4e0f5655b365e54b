import type { ReportFilter } from '../store/reports.repo.ts';
import { answerTimesFigure } from './answer-times.ts';
import { callsFigure } from './calls.ts';
import { BAJA_CAUSES, censusFigure } from './census.ts';
import { contactLossFlowsFigure } from './contact-loss.ts';
import { escapeHtml, suppress, toCsv } from './csv.ts';
import { isPersonal } from './disclosure.ts';
import { emergenciesFigure } from './emergencies.ts';
import type { Column, FigureContext, Row } from './figure.ts';
import { monthRange } from './filters.ts';
import { followupsFigure } from './followups.ts';
import { outsideWindowFigure } from './outside-window.ts';
import { monthName, printablePage } from './print.ts';
import { selftestFigure } from './selftest.ts';

/** One line of the monthly summary, like the figures the service publishes ("ATENPRO en cifras"). */
export interface SummaryItem { key: string; label: string; value: number | null; kind: 'count' | 'measure'; basis?: string }
export interface MonthlySummary { month: string; province: string | null; items: SummaryItem[] }

const sum = (rows: Row[], key: string, where: (r: Row) => boolean = () => true) =>
  rows.filter(where).reduce((a, r) => a + Number(r[key] ?? 0), 0);

export async function monthlySummary(ctx: FigureContext, month: string, province?: string): Promise<MonthlySummary> {
  const f: ReportFilter = { ...monthRange(month), province, grain: 'month', by: 'none' };
  const run = (fig: { compute: typeof callsFigure.compute }) => fig.compute(ctx, f);
  const [census, calls, followups, answers, emergencies, loss, outside, selftest] = await Promise.all([run(censusFigure),
    run(callsFigure), run(followupsFigure), run(answerTimesFigure), run(emergenciesFigure), run(contactLossFlowsFigure),
    run(outsideWindowFigure), run(selftestFigure)]);
  const c = census[0] ?? {};
  const items: SummaryItem[] = [];
  const count = (key: string, label: string, value: number) => items.push({ key, label, value, kind: 'count' });
  const measure = (key: string, label: string, value: number | null, basis: string) => items.push({ key, label, value, kind: 'measure', basis });
  count('usuarias_activas', 'Usuarias activas a final de mes', Number(c.activeAtEnd ?? 0));
  count('usuarias_atendidas', 'Usuarias atendidas en el mes', Number(c.attended ?? 0));
  count('altas', 'Altas', Number(c.altas ?? 0));
  count('bajas', 'Bajas', Number(c.bajas ?? 0));
  for (const cause of BAJA_CAUSES) count(`baja_${cause}`, `Bajas: ${cause.replaceAll('_', ' ')}`, Number(c[`baja_${cause}`] ?? 0));
  count('llamadas', 'Llamadas (todas)', sum(calls, 'calls'));
  const kinds = { A: 'entrantes de la usuaria (A)', B: 'de seguimiento (B)', C: 'de emergencia (C)', D: 'de control técnico (D)' };
  for (const [k, label] of Object.entries(kinds)) count(`llamadas_${k}`, `Llamadas ${label}`, sum(calls, 'calls', (r) => r.kind === k));
  const fu = followups[0] ?? {};
  count('seguimientos_previstos', 'Seguimientos previstos', Number(fu.planned ?? 0));
  count('seguimientos_contacto', 'Seguimientos con contacto', Number(fu.reached ?? 0));
  measure('tasa_contacto', 'Tasa de contacto en seguimientos', (fu.contactRate as number | null) ?? null, 'seguimientos_previstos');
  count('intentos_contacto_base', 'Llamadas de seguimiento en que habló con el centro', Number(fu.contacts ?? 0));
  measure('intentos_por_contacto', 'Intentos por contacto', (fu.attemptsPerContact as number | null) ?? null, 'intentos_contacto_base');
  for (const kind of ['A', 'C']) {
    const a = answers.find((r) => r.kind === kind) ?? {};
    const base = `ofrecidas_${kind}`;
    count(base, `Llamadas ${kind === 'A' ? 'entrantes' : 'de emergencia'} ofrecidas`, Number(a.offered ?? 0));
    measure(`en_60s_${kind}`, `Atendidas en 60 s (${kind}; objetivo 97,5 %, Europa 98,5 %)`, (a.within60 as number | null) ?? null, base);
    measure(`en_180s_${kind}`, `Atendidas en 180 s (${kind}; objetivo 99 %)`, (a.within180 as number | null) ?? null, base);
    measure(`p90_s_${kind}`, `Tiempo de respuesta p90 en segundos (${kind})`, (a.p90S as number | null) ?? null, base);
  }
  count('emergencias', 'Emergencias', sum(emergencies, 'total'));
  for (const kind of ['psicosocial', 'prealarma', 'alarma_agresion', 'otra']) {
    count(`emergencias_${kind}`, `Emergencias: ${kind.replaceAll('_', ' ')}`, sum(emergencies, 'total', (r) => r.kind === kind));
  }
  for (const level of [1, 2, 3]) count(`emergencias_nivel_${level}`, `Emergencias de nivel ${level}`, sum(emergencies, `level${level}`));
  count('perdida_contacto_abiertos', 'Procedimientos por falta de contacto abiertos', sum(loss, 'opened'));
  count('perdida_contacto_cerrados', 'Procedimientos cerrados', sum(loss, 'closedRecovered') + sum(loss, 'closedBaja'));
  count('fuera_de_franja', 'Llamadas fuera de la franja acordada (debe ser 0)', sum(outside, 'outsideWindow'));
  count('autochequeo_vencido', 'Terminales con autochequeo vencido (a la fecha de generación)', sum(selftest, 'overdue'));
  return { month, province: province ?? null, items };
}

/**
 * The items as they may leave the centre: small counts, and measures over small counts, as "<3";
 * all of them when the month's usuarias there (attended) are fewer than three.
 */
export function suppressedValues(s: MonthlySummary): (string | number | boolean | null)[] {
  const columns: Column[] = s.items.map((i) => ({ key: i.key, header: i.key, kind: i.kind, basis: i.basis }));
  const row: Row = Object.fromEntries(s.items.map((i) => [i.key, i.value]));
  return suppress(columns, row, isPersonal(columns, row, Number(row.usuarias_atendidas ?? 0)));
}

export function summaryCsv(s: MonthlySummary): string {
  const values = suppressedValues(s);
  return toCsv(['indicador', 'descripcion', 'valor'], s.items.map((i, n) => [i.key, i.label, values[n] ?? null]));
}

export function summaryHtml(s: MonthlySummary, provinceName: string | null): string {
  const values = suppressedValues(s);
  const title = `ATENPRO en cifras: ${monthName(s.month)}${provinceName ? `, ${provinceName}` : ''}`;
  const fmt = (v: string | number | boolean | null, i: SummaryItem) =>
    v === null ? '—' : typeof v === 'number' && i.kind === 'measure' && v <= 1 && i.key.match(/^(tasa|en_)/)
      ? `${(v * 100).toFixed(1).replace('.', ',')} %` : String(v).replace('.', ',');
  const lines = s.items.map((i, n) => `<tr><td>${escapeHtml(i.label)}</td><td class="n">${escapeHtml(fmt(values[n] ?? null, i))}</td></tr>`).join('\n');
  return printablePage(title, `<h1>${escapeHtml(title)}</h1>
<p class="meta">Cifras agregadas. Las celdas con menos de 3 personas se muestran como «&lt;3».</p>
<table><thead><tr><th>Indicador</th><th>Valor</th></tr></thead><tbody>
${lines}
</tbody></table>`);
}
