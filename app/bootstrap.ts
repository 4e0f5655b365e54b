import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { hashPassword } from '../access/secrets.ts';
import type { Pool } from '../store/db.ts';
import { usersRepo } from '../store/users.repo.ts';

/**
 * On a database with no users, creates the first admin. Its password comes from
 * ADMIN_INITIAL_PASSWORD or is generated and written, mode 0600, to `<dataDir>/keys/`; it is
 * never logged. The admin enrols a TOTP second factor at first login.
 */
export async function ensureInitialAdmin(pool: Pool, dataDir: string, given: string | undefined, log: Logger): Promise<string | null> {
  const users = usersRepo(pool);
  if ((await users.count()) > 0) return null;
  const password = given || randomBytes(15).toString('base64url') + '7a';
  try {
    await users.create({ username: 'admin', displayName: 'Administración', role: 'admin', passwordHash: await hashPassword(password) });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return null; // another instance created it first
    throw err;
  }
  if (given) return null;
  const file = path.join(dataDir, 'keys', 'initial-admin-password');
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, password + '\n', { mode: 0o600 });
  log.info({ file }, 'initial admin account "admin" created; its password is in this file');
  return file;
}
