import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecryptionError, fieldCipher, loadKeyFile } from '../../store/crypto.ts';

const key = randomBytes(32);
const cipher = fieldCipher(key);
const context = 'usuarias.location_enc:6f1c';
const value = { street: 'Calle Mayor 1', landline: '+34910000000', notes: 'ñ ü €' };

describe('field cipher', () => {
  it('opens what it sealed', () => {
    expect(cipher.open(cipher.seal(value, context), context)).toEqual(value);
  });

  it('refuses another key', () => {
    const sealed = cipher.seal(value, context);
    expect(() => fieldCipher(randomBytes(32)).open(sealed, context)).toThrow(DecryptionError);
  });

  it('refuses a ciphertext moved to another row or column', () => {
    const sealed = cipher.seal(value, context);
    expect(() => cipher.open(sealed, 'usuarias.location_enc:other-row')).toThrow(DecryptionError);
    expect(() => cipher.open(sealed, 'expedientes.health_enc:6f1c')).toThrow(DecryptionError);
  });

  it('refuses truncated or tampered data', () => {
    const sealed = cipher.seal(value, context);
    expect(() => cipher.open(sealed.subarray(0, sealed.length - 1), context)).toThrow(DecryptionError);
    expect(() => cipher.open(sealed.subarray(0, 10), context)).toThrow(DecryptionError);
    for (const at of [0, 5, 20, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at] = tampered[at]! ^ 0x01;
      expect(() => cipher.open(tampered, context), `byte ${at}`).toThrow(DecryptionError);
    }
  });
});

describe('loadKeyFile', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atenpro-key-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 key file when asked, and reads the same key back', async () => {
    const file = path.join(await tempDir(), 'keys', 'field.key');
    const created = await loadKeyFile(file, true);
    expect(created).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await loadKeyFile(file, false)).equals(created)).toBe(true);
  });

  it('says how to provide a key when the file is missing', async () => {
    const file = path.join(await tempDir(), 'missing.key');
    await expect(loadKeyFile(file, false)).rejects.toThrow(/ENCRYPTION_KEY.*missing\.key/);
  });
});
