import type { FieldCipher } from '../store/crypto.ts';
import type { AggressorInput } from './schemas.ts';

/** Her location beyond municipality and province: encrypted at rest (DOMAIN.md, data protection). */
export interface SealedLocation {
  address: string; postalCode: string | null; landline: string | null; notes: string | null;
  work: { address: string; municipality: string; provinceCode: string; landline: string | null; notes: string | null } | null;
}

// The context binds each ciphertext to its table, column and row (store/crypto.ts).
export const contexts = {
  location: (usuariaId: string) => `usuarias.location:${usuariaId}`,
  aggressor: (usuariaId: string) => `aggressors.data:${usuariaId}`,
  health: (usuariaId: string) => `health_notes.notes:${usuariaId}`,
};

export function sealedFields(cipher: FieldCipher) {
  return {
    sealLocation: (id: string, l: SealedLocation) => cipher.seal(l, contexts.location(id)),
    openLocation: (id: string, b: Buffer) => cipher.open<SealedLocation>(b, contexts.location(id)),
    sealAggressor: (id: string, a: AggressorInput) => cipher.seal(a, contexts.aggressor(id)),
    openAggressor: (id: string, b: Buffer) => cipher.open<AggressorInput>(b, contexts.aggressor(id)),
    sealHealth: (id: string, notes: string) => cipher.seal({ notes }, contexts.health(id)),
    openHealth: (id: string, b: Buffer) => cipher.open<{ notes: string }>(b, contexts.health(id)).notes,
  };
}
