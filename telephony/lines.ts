import { toE164 } from '../common/phone.ts';
import type { Line } from './port.ts';

const LINES: readonly Line[] = ['emergency', 'general', 'selftest', 'info'];

/**
 * Which centre number is which line, from `CENTRE_LINES` ("emergency=+34910000001,general=...").
 * A number not configured is the general line: a call is never refused for the number it dialled.
 */
export function parseLines(spec: string): Map<string, Line> {
  const map = new Map<string, Line>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [line, number] = part.split('=').map((s) => s.trim());
    if (!LINES.includes(line as Line)) throw new Error(`CENTRE_LINES: unknown line "${line}"`);
    const e164 = toE164(number);
    if (!e164) throw new Error(`CENTRE_LINES: "${number}" is not a phone number`);
    map.set(e164, line as Line);
  }
  return map;
}

export function lineOf(lines: Map<string, Line>, dialled: string): Line {
  const e164 = toE164(dialled.replace(/^sip:/, '').split('@')[0]);
  return (e164 && lines.get(e164)) || 'general';
}
