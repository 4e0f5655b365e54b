import type { Config } from '../app/config.ts';
import type { Clock } from '../common/clock.ts';
import { DomainError, unauthorized } from '../common/errors.ts';
import type { FieldCipher } from '../store/crypto.ts';
import type { Pool } from '../store/db.ts';
import { auditRepo } from '../store/audit.repo.ts';
import { sessionsRepo, usersRepo, type User } from '../store/users.repo.ts';
import { hashPassword, newToken, tokenHash, verifyPassword } from './secrets.ts';
import { checkTotp, newTotpSecret, totpUri } from './totp.ts';

export interface PublicUser { id: string; username: string; displayName: string; role: User['role'] }
export type LoginResult =
  | { status: 'ok'; token: string; expiresAt: string; user: PublicUser }
  | { status: 'totp_enrollment'; enrollmentToken: string; otpauthUri: string; secret: string };

const ENROLLMENT_TTL_MS = 10 * 60_000;
// verifying against a throwaway hash keeps "no such user" as slow as "wrong password"
const DUMMY_HASH = hashPassword('dummy-password-for-timing-1');

export const publicUser = (u: User): PublicUser => ({ id: u.id, username: u.username, displayName: u.displayName, role: u.role });
const totpContext = (userId: string) => `users.totp:${userId}`;

export interface LoginDeps { pool: Pool; cipher: FieldCipher; clock: Clock; config: Config }

/** ENS op.acc.6: a second factor for coordinators and admins, and for operators when configured. */
function needsTotp(user: User, config: Config): boolean {
  return user.totpEnabled || user.role !== 'operator' || config.totpRequiredForOperators;
}

export function loginService({ pool, cipher, clock, config }: LoginDeps) {
  const users = usersRepo(pool);
  const sessions = sessionsRepo(pool);
  const audit = auditRepo(pool);

  const fail = async (user: User | null, reason: string, route: string): Promise<never> => {
    await audit.write({ actor: { type: 'user', id: user?.id ?? null }, action: 'auth.login_failed', route, detail: { reason } });
    throw reason === 'totp_required'
      ? new DomainError('unauthorized', 'Introduzca el código de verificación (TOTP).', { reason })
      : unauthorized(reason === 'totp_invalid' ? 'Código de verificación incorrecto.' : 'Usuario o contraseña incorrectos.');
  };

  async function openSession(user: User, route: string): Promise<LoginResult> {
    const token = newToken('ses');
    const expiresAt = new Date(clock.now().getTime() + config.sessionTtlMinutes * 60_000);
    await sessions.create(user.id, tokenHash(token), 'session', expiresAt);
    await users.touchLogin(user.id);
    await audit.write({ actor: { type: 'user', id: user.id }, action: 'auth.login', route });
    return { status: 'ok', token, expiresAt: expiresAt.toISOString(), user: publicUser(user) };
  }

  return {
    async login(username: string, password: string, totpCode: string | undefined, route: string): Promise<LoginResult> {
      const user = await users.byUsername(username.toLowerCase());
      const ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_HASH));
      if (!user || !ok || user.disabled) return fail(user, 'bad_credentials', route);
      if (!needsTotp(user, config)) return openSession(user, route);
      if (!user.totpEnabled) {
        const secret = newTotpSecret();
        await users.setTotpSecret(user.id, cipher.seal(secret, totpContext(user.id)));
        const enrollmentToken = newToken('enr');
        await sessions.create(user.id, tokenHash(enrollmentToken), 'totp_enrollment',
          new Date(clock.now().getTime() + ENROLLMENT_TTL_MS));
        return { status: 'totp_enrollment', enrollmentToken, otpauthUri: totpUri(secret, user.username), secret };
      }
      if (!totpCode) return fail(user, 'totp_required', route);
      if (!(await acceptTotp(user, totpCode))) return fail(user, 'totp_invalid', route);
      return openSession(user, route);
    },

    async completeEnrollment(enrollmentToken: string, totpCode: string, route: string): Promise<LoginResult> {
      const hash = tokenHash(enrollmentToken);
      const user = await sessions.resolve(hash, 'totp_enrollment', clock.now());
      if (!user) throw unauthorized('El alta del segundo factor ha caducado; inicie sesión de nuevo.');
      const step = user.totpSecretEnc && (await checkTotp(openSecret(user), totpCode, clock.now()));
      if (!step) return fail(user, 'totp_invalid', route);
      await users.enableTotp(user.id, step);
      await sessions.revoke(hash);
      return openSession(user, route);
    },

    async logout(token: string): Promise<void> {
      await sessions.revoke(tokenHash(token));
    },
  };

  function openSecret(user: User): string {
    return cipher.open<string>(user.totpSecretEnc!, totpContext(user.id));
  }

  async function acceptTotp(user: User, code: string): Promise<boolean> {
    const step = await checkTotp(openSecret(user), code, clock.now());
    // a code is good once: a replayed code (same or older step) is refused
    return step !== null && (await users.useTotpStep(user.id, step));
  }
}
