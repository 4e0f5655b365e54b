import type { Queryable } from '../db.ts';

/**
 * Column name and Postgres type. An array-typed column (e.g. `smallint[]`) travels as a text
 * literal and is cast back, because unnest would flatten an array of arrays.
 */
export type Column = readonly [name: string, type: string];

/** Rows for one table, gathered column by column: the shape `unnest($1::t[], ...)` wants. */
export class Batch {
  readonly values: unknown[][];

  constructor(readonly table: string, readonly columns: readonly Column[]) {
    this.values = columns.map(() => []);
  }

  get size(): number {
    return this.values[0]?.length ?? 0;
  }

  add(...row: unknown[]): void {
    if (row.length !== this.columns.length) throw new Error(`${this.table}: ${row.length} values for ${this.columns.length} columns`);
    for (let i = 0; i < row.length; i++) this.values[i]!.push(row[i]);
  }

  column(name: string): unknown[] {
    const i = this.columns.findIndex(([n]) => n === name);
    if (i < 0) throw new Error(`${this.table} has no column ${name}`);
    return this.values[i]!;
  }
}

function insertSql(b: Batch): string {
  const names = b.columns.map(([n]) => n).join(', ');
  const params = b.columns.map(([, t], i) => `$${i + 1}::${t.endsWith('[]') ? 'text' : t}[]`).join(', ');
  const aliases = b.columns.map((_, i) => `c${i}`);
  const exprs = b.columns.map(([, t], i) => (t.endsWith('[]') ? `c${i}::${t}` : `c${i}`)).join(', ');
  return `insert into ${b.table} (${names}) select ${exprs} from unnest(${params}) as t(${aliases.join(', ')})`;
}

const quoted = (v: unknown): string => {
  const s = String(v);
  return s.includes('"') || s.includes('\\') ? `"${s.replace(/[\\"]/g, '\\$&')}"` : `"${s}"`;
};
// uuids, numbers, booleans, ISO dates and times carry no character an array literal must escape
const bare = (v: unknown): string => String(v);
const bytea = (v: unknown): string => `\\\\x${(v as Buffer).toString('hex')}`;

/**
 * The Postgres array literal of one column. pg would build the same, but escaping every element
 * by regex was a good share of the seeder's CPU; here only text is quoted.
 */
export function arrayLiteral(type: string, values: readonly unknown[]): string {
  const element = type === 'bytea' ? bytea : type === 'text' || type.endsWith('[]') ? quoted : bare;
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : element(v);
  }
  return out + '}';
}

/** One statement for the whole batch; a named query, so each connection parses it once. */
export async function insertBatch(db: Queryable, b: Batch): Promise<void> {
  if (b.size === 0) return;
  const values = b.columns.map(([, type], i) => arrayLiteral(type, b.values[i]!));
  await db.query({ name: `seed.insert.${b.table}`, text: insertSql(b), values });
}

/** Postgres array literal for a small array of numbers ({1,3,5}). */
export function intArrayLiteral(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}
