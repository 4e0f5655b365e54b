import { escapeHtml } from './csv.ts';

const MONTHS = ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'];

/** "marzo de 2026" for 2026-03. */
export function monthName(month: string): string {
  const [y, m] = month.split('-');
  return `${MONTHS[Number(m) - 1]} de ${y}`;
}

/** 2026-03-05 as 05/03/2026. */
export const spanishDate = (iso: string) => iso.split('-').reverse().join('/');

/** A printable, self-contained page (no external resources): what the PDF is made from. */
export function printablePage(title: string, body: string): string {
  return `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
  @page { size: A4; margin: 18mm 15mm; }
  body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11pt; color: #111; margin: 0 auto; max-width: 180mm; }
  h1 { font-size: 15pt; margin: 0 0 4mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; }
  p.meta { color: #444; margin: 0 0 4mm; }
  table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999; padding: 1.5mm 2.5mm; text-align: left; }
  th { background: #eee; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
  tr { break-inside: avoid; } .firma { margin-top: 14mm; display: flex; gap: 20mm; } .firma div { flex: 1; border-top: 1px solid #333; padding-top: 2mm; }
  @media print { a { color: inherit; text-decoration: none; } }
</style></head>
<body>
${body}
</body></html>`;
}
