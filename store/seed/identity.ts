import { randomUUID } from 'node:crypto';
import type { Rng } from './prng.ts';

// Synthetic people only: common Spanish names combined at random, never a real person's record.
export const FEMALE_NAMES = [
  'María', 'Carmen', 'Ana', 'Isabel', 'Laura', 'Lucía', 'Cristina', 'Marta', 'Elena', 'Paula',
  'Sara', 'Raquel', 'Pilar', 'Rosa', 'Beatriz', 'Silvia', 'Patricia', 'Sandra', 'Nuria', 'Alba',
  'Irene', 'Andrea', 'Julia', 'Sofía', 'Claudia', 'Rocío', 'Mónica', 'Verónica', 'Eva', 'Inmaculada',
  'Encarnación', 'Dolores', 'Mercedes', 'Natalia', 'Lorena', 'Yolanda', 'Noelia', 'Susana', 'Rebeca', 'Miriam',
  'Ainhoa', 'Nerea', 'Montserrat', 'Núria', 'Begoña', 'Amaia', 'Uxía', 'Tamara', 'Esther', 'Vanesa',
  'Fátima', 'Yasmina', 'Daniela', 'Valentina', 'Gabriela', 'Alejandra', 'Ángela', 'Lidia', 'Marina', 'Carla',
];

export const MALE_NAMES = [
  'Antonio', 'José', 'Manuel', 'Francisco', 'David', 'Juan', 'Javier', 'Daniel', 'Carlos', 'Jesús',
  'Alejandro', 'Miguel', 'Rafael', 'Pedro', 'Pablo', 'Ángel', 'Sergio', 'Fernando', 'Jorge', 'Luis',
  'Alberto', 'Álvaro', 'Adrián', 'Diego', 'Raúl', 'Iván', 'Rubén', 'Óscar', 'Enrique', 'Andrés',
  'Ramón', 'Víctor', 'Joaquín', 'Santiago', 'Eduardo', 'Mohamed', 'Hugo', 'Mario', 'Marcos', 'Iker',
];

export const SURNAMES = [
  'García', 'Rodríguez', 'González', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín',
  'Jiménez', 'Hernández', 'Ruiz', 'Díaz', 'Moreno', 'Muñoz', 'Álvarez', 'Romero', 'Gutiérrez', 'Alonso',
  'Navarro', 'Torres', 'Domínguez', 'Ramos', 'Vázquez', 'Ramírez', 'Gil', 'Serrano', 'Morales', 'Molina',
  'Blanco', 'Suárez', 'Castro', 'Ortega', 'Delgado', 'Ortiz', 'Marín', 'Rubio', 'Núñez', 'Medina',
  'Sanz', 'Castillo', 'Iglesias', 'Cortés', 'Garrido', 'Santos', 'Guerrero', 'Lozano', 'Cano', 'Prieto',
  'Méndez', 'Cruz', 'Calvo', 'Gallego', 'Vidal', 'León', 'Márquez', 'Herrera', 'Peña', 'Flores',
  'Cabrera', 'Campos', 'Vega', 'Fuentes', 'Carrasco', 'Diez', 'Reyes', 'Caballero', 'Nieto', 'Aguilar',
  'Pascual', 'Santana', 'Herrero', 'Lorenzo', 'Montero', 'Hidalgo', 'Giménez', 'Ibáñez', 'Ferrer', 'Durán',
];

export function familyNames(rng: Rng): string {
  return `${rng.pick(SURNAMES)} ${rng.pick(SURNAMES)}`;
}

export function fullName(rng: Rng, female: boolean): string {
  return `${rng.pick(female ? FEMALE_NAMES : MALE_NAMES)} ${familyNames(rng)}`;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
const SPACE = 100_000_000;

/**
 * A bijection of [0, 1e8): distinct ordinals give distinct 8-digit numbers, which is what keeps
 * MSISDNs and DNIs unique across 100k+ usuarias and across appending runs without a lookup table.
 * The multiplier is odd and not a multiple of 5, so it is invertible modulo 1e8; the product stays
 * below 2^53 for every ordinal in range.
 */
function permute(ordinal: number, multiplier: number, offset: number): number {
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= SPACE) throw new Error(`ordinal ${ordinal} out of range`);
  return (ordinal * multiplier + offset) % SPACE;
}

/** The terminal MSISDN of the n-th synthetic terminal: +34 6xx xxx xxx, unique per ordinal. */
export function terminalMsisdn(ordinal: number): string {
  return '+346' + String(permute(ordinal, 48_271_597, 31_415_926)).padStart(8, '0');
}

/** A DNI with a valid control letter, unique per ordinal. */
export function syntheticDni(ordinal: number): string {
  const n = permute(ordinal, 69_069_001, 27_182_818);
  return String(n).padStart(8, '0') + DNI_LETTERS[n % 23];
}

/** A random Spanish mobile number; such numbers may repeat and never need to be unique. */
export function mobile(rng: Rng): string {
  return `+34${rng.pick(['6', '6', '6', '7'])}${rng.int(1, 9)}${rng.digits(7)}`;
}

/** A 9-digit landline with the province's geographic prefix (what emergency_resources wants). */
export function landline(rng: Rng, provinceCode: string): string {
  const prefix = LANDLINE_PREFIX[provinceCode] ?? '91';
  return prefix + rng.int(1, 8) + rng.digits(8 - prefix.length);
}

/** A 15-digit IMEI: a model TAC, a serial, and the Luhn check digit real IMEIs carry. */
export function imei(rng: Rng, tac: string): string {
  const body = tac + rng.digits(14 - tac.length);
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return body + ((10 - (sum % 10)) % 10);
}

const LANDLINE_PREFIX: Record<string, string> = {
  '01': '945', '02': '967', '03': '965', '04': '950', '05': '920', '06': '924', '07': '971', '08': '93',
  '09': '947', '10': '927', '11': '956', '12': '964', '13': '926', '14': '957', '15': '981', '16': '969',
  '17': '972', '18': '958', '19': '949', '20': '943', '21': '959', '22': '974', '23': '953', '24': '987',
  '25': '973', '26': '941', '27': '982', '28': '91', '29': '952', '30': '968', '31': '948', '32': '988',
  '33': '985', '34': '979', '35': '928', '36': '986', '37': '923', '38': '922', '39': '942', '40': '921',
  '41': '954', '42': '975', '43': '977', '44': '978', '45': '925', '46': '96', '47': '983', '48': '94',
  '49': '980', '50': '976', '51': '956', '52': '952',
};

/**
 * A UUIDv7 (RFC 9562): time-ordered, so the many indexes on usuaria_id are appended to at their
 * right edge instead of at random pages; that made bulk inserts about a quarter cheaper here.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const r = randomUUID();
  const ts = nowMs.toString(16).padStart(12, '0');
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${r.slice(15, 18)}-${r.slice(19)}`;
}
