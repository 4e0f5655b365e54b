import { DomainError } from './errors.ts';

export interface FieldError { field: string; message: string }

/** Collects every problem of one input before refusing it, so the caller can fix all at once. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  constructor(private readonly prefix = 'body') {}

  add(field: string, message: string): void {
    this.list.push({ field: [this.prefix, field].filter(Boolean).join('.'), message });
  }

  get empty(): boolean { return this.list.length === 0; }

  /** Throws an `invalid` DomainError naming every field, if any problem was found. */
  throwIfAny(): void {
    if (this.list.length) {
      throw new DomainError('invalid', `Datos no válidos: ${this.list.map((e) => e.field).join(', ')}.`, { fields: this.list });
    }
  }
}
