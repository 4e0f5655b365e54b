import type { Queryable } from '../store/db.ts';
import { reportsDirectRepo } from '../store/reports-direct.repo.ts';
import { escapeHtml, toCsv } from './csv.ts';
import { monthRange } from './filters.ts';
import { monthName, printablePage, spanishDate } from './print.ts';

/**
 * The monthly list of a local entity's active usuarias (protocol §7, Anexo VI), which its social
 * services approve and which the provider invoices: expediente codes and alta dates only.
 * An expediente is listed when it was active on some day of the month.
 */
export interface EntityMonthly { entidadLocal: string; month: string; rows: { code: string; altaOn: string }[] }

export async function entityMonthly(db: Queryable, entidadLocal: string, month: string): Promise<EntityMonthly> {
  const { from, to } = monthRange(month);
  const rows = await reportsDirectRepo(db).entityActive(entidadLocal, from, to);
  return { entidadLocal, month, rows: rows.map((r) => ({ code: r.code, altaOn: r.alta_on })) };
}

export function entityMonthlyCsv(r: EntityMonthly): string {
  return toCsv(['expediente', 'fecha_alta'], r.rows.map((x) => [x.code, x.altaOn]));
}

export function entityMonthlyHtml(r: EntityMonthly, generatedAt: Date): string {
  const title = `Relación mensual de usuarias activas: ${r.entidadLocal}, ${monthName(r.month)}`;
  const lines = r.rows.map((x, i) => `<tr><td class="n">${i + 1}</td><td>${escapeHtml(x.code)}</td><td>${spanishDate(x.altaOn)}</td></tr>`).join('\n');
  return printablePage(title, `<h1>${escapeHtml(title)}</h1>
<p class="meta">Servicio ATENPRO. Expedientes activos algún día del mes, con su fecha de alta (Protocolo, apartado 7 y Anexo VI).
Generado el ${spanishDate(generatedAt.toISOString().slice(0, 10))}.</p>
<table><thead><tr><th>Nº</th><th>Expediente</th><th>Fecha de alta</th></tr></thead>
<tbody>
${lines || '<tr><td colspan="3">Ningún expediente activo en el mes.</td></tr>'}
</tbody></table>
<p><strong>Total de expedientes activos en el mes: ${r.rows.length}</strong></p>
<div class="firma"><div>Conformidad de los Servicios Sociales de la Entidad Local<br>Fecha y firma</div>
<div>Entidad prestadora del servicio<br>Fecha y firma</div></div>`);
}
