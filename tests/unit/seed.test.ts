import { describe, expect, it } from 'vitest';
import { PROVINCES } from '../../common/provinces.ts';
import { MUNICIPALITIES } from '../../common/municipalities.ts';
import { addDays, dayNumber, isoOfDay } from '../../store/seed/dates.ts';
import { generateUsuaria, type GenerateContext } from '../../store/seed/generate.ts';
import { imei, syntheticDni, terminalMsisdn, uuidv7 } from '../../store/seed/identity.ts';
import { Rng } from '../../store/seed/prng.ts';

const ctx: GenerateContext = { seed: 9, today: '2026-11-23', nowMs: Date.parse('2026-11-23T10:00:00Z') };
const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

describe('seed identities', () => {
  it('never repeats an MSISDN or a DNI across 200k ordinals', () => {
    const msisdns = new Set<string>();
    const dnis = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      msisdns.add(terminalMsisdn(i));
      dnis.add(syntheticDni(i));
    }
    expect(msisdns.size).toBe(200_000);
    expect(dnis.size).toBe(200_000);
    expect(terminalMsisdn(12345)).toMatch(/^\+346[0-9]{8}$/);
  });

  it('gives every DNI its control letter', () => {
    for (let i = 0; i < 1000; i++) {
      const dni = syntheticDni(i * 7919);
      expect(dni[8]).toBe(DNI_LETTERS[Number(dni.slice(0, 8)) % 23]);
    }
  });

  it('makes IMEIs that pass the Luhn check', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 100; i++) {
      const digits = imei(rng, '35891205').split('').map(Number);
      const sum = digits.reduce((s, d, j) => s + (j % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
      expect(sum % 10).toBe(0);
    }
  });

  it('makes time-ordered version 7 UUIDs', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
  });
});

describe('seed dates', () => {
  it('agrees with Date on every day from 1900 to 2100', () => {
    const wrong: number[] = [];
    for (let day = -25_567; day < 47_482; day++) {
      const iso = new Date(day * 86_400_000).toISOString().slice(0, 10);
      if (isoOfDay(day) !== iso || dayNumber(iso) !== day) wrong.push(day);
    }
    expect(wrong).toEqual([]);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });
});

describe('synthetic usuarias', () => {
  it('are the same for the same seed and ordinal, ids apart, and differ with the seed', () => {
    const { id: _a, ...one } = generateUsuaria(ctx, { usuaria: 5, terminal: 5 });
    const { id: _b, ...again } = generateUsuaria(ctx, { usuaria: 5, terminal: 5 });
    expect(again).toEqual(one);
    const other = generateUsuaria({ ...ctx, seed: 10 }, { usuaria: 5, terminal: 5 });
    expect(other.location).not.toEqual(one.location);
  });

  it('cover every province, Canary zones included, and keep the schema rules', () => {
    const provinces = new Set<string>();
    const broken: string[] = [];
    const check = (ok: boolean, what: string, i: number) => { if (!ok) broken.push(`${i}: ${what}`); };
    for (let i = 0; i < 5000; i++) {
      const u = generateUsuaria(ctx, { usuaria: i, terminal: i });
      provinces.add(u.provinceCode);
      check(MUNICIPALITIES[u.provinceCode]!.includes(u.municipality), 'municipality', i);
      check(u.agenda.zone === (['35', '38'].includes(u.provinceCode) ? 'Atlantic/Canary' : 'Europe/Madrid'), 'zone', i);
      check(u.contacts.length >= 1 && u.contacts.length <= 4, 'contact count', i);
      check(u.contacts.every((c, k) => c.priority === k + 1), 'contact priorities', i);
      check(u.resources.every((r) => /^[0-9]{9}$/.test(r.phone)), 'resource phone', i);
      check(u.expediente.altaType === 'ordinaria' || u.expediente.authorisedOn! <= u.expediente.altaOn, 'authorisation', i);
      check(u.risks.at(-1)!.assessedOn <= ctx.today, 'risk date', i);
      check(u.household.every((h) => h.birthYear! <= 2026), 'birth year', i);
    }
    expect(broken).toEqual([]);
    // the rarest provinces weigh ~0.1%; 5000 draws of one seed cover them all
    expect([...provinces].sort()).toEqual(PROVINCES.map((p) => p.code).sort());
  });
});
