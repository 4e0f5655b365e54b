import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for the fields DOMAIN.md requires encrypted at rest (aggressor, health, location).
 * The context (table, column, row id) is bound as additional data, so a ciphertext copied to
 * another row or column fails authentication instead of decrypting there.
 */
export interface FieldCipher {
  seal(plain: unknown, context: string): Buffer;
  open<T = unknown>(sealed: Buffer, context: string): T;
}

export class DecryptionError extends Error {
  constructor(context: string) {
    super(`encrypted field ${context} could not be decrypted: wrong key or tampered data`);
    this.name = 'DecryptionError';
  }
}

export function fieldCipher(key: Buffer): FieldCipher {
  if (key.length !== 32) throw new Error('encryption key must be 32 bytes (AES-256)');
  return {
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
    },
    open<T>(sealed: Buffer, context: string): T {
      if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new DecryptionError(context);
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(tag);
      try {
        const plain = Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
        return JSON.parse(plain.toString('utf8')) as T;
      } catch {
        throw new DecryptionError(context);
      }
    },
  };
}

/** Decodes a base64 key, refusing anything that is not exactly 32 bytes. */
export function parseKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error('ENCRYPTION_KEY must be the base64 of exactly 32 bytes');
  return key;
}

/** Reads the key file; when `create` is set and there is none, writes a fresh one with mode 0600. */
export async function loadKeyFile(file: string, create: boolean): Promise<Buffer> {
  try {
    return parseKey(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`no encryption key: set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE (looked for ${file})`);
      }
      throw err;
    }
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return key;
}
