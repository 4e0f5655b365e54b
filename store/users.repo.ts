import type { Queryable } from './db.ts';

/** `manager`: reads the statistics (aggregates only), never a ficha. */
export type Role = 'operator' | 'coordinator' | 'manager' | 'admin';

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  passwordHash: string;
  totpSecretEnc: Buffer | null;
  totpEnabled: boolean;
  totpLastStep: number | null;
  deviceUri: string | null;
  disabled: boolean;
  createdAt: Date;
}

interface UserRow {
  id: string; username: string; display_name: string; role: Role; password_hash: string;
  totp_secret_enc: Buffer | null; totp_enabled: boolean; totp_last_step: number | null;
  device_uri: string | null; disabled_at: Date | null; created_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id, username: r.username, displayName: r.display_name, role: r.role, passwordHash: r.password_hash,
  totpSecretEnc: r.totp_secret_enc, totpEnabled: r.totp_enabled, totpLastStep: r.totp_last_step,
  deviceUri: r.device_uri, disabled: r.disabled_at !== null, createdAt: r.created_at,
});

export interface NewUser { username: string; displayName: string; role: Role; passwordHash: string; deviceUri?: string | null }

export function usersRepo(db: Queryable) {
  return {
    async create(u: NewUser): Promise<User> {
      const { rows } = await db.query<UserRow>(
        `insert into users (username, display_name, role, password_hash, device_uri)
         values ($1, $2, $3, $4, $5) returning *`,
        [u.username, u.displayName, u.role, u.passwordHash, u.deviceUri ?? null]);
      return toUser(rows[0]!);
    },
    async byUsername(username: string): Promise<User | null> {
      const { rows } = await db.query<UserRow>({ name: 'users.by_username', text: 'select * from users where username = $1', values: [username] });
      return rows[0] ? toUser(rows[0]) : null;
    },
    async byId(id: string): Promise<User | null> {
      const { rows } = await db.query<UserRow>({ name: 'users.by_id', text: 'select * from users where id = $1', values: [id] });
      return rows[0] ? toUser(rows[0]) : null;
    },
    async list(): Promise<User[]> {
      const { rows } = await db.query<UserRow>('select * from users order by username');
      return rows.map(toUser);
    },
    async count(): Promise<number> {
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from users');
      return rows[0]!.n;
    },
    async setTotpSecret(id: string, secretEnc: Buffer): Promise<void> {
      await db.query('update users set totp_secret_enc = $2, totp_enabled = false, totp_last_step = null where id = $1', [id, secretEnc]);
    },
    async enableTotp(id: string, step: number): Promise<void> {
      await db.query('update users set totp_enabled = true, totp_last_step = $2 where id = $1', [id, step]);
    },
    /** Records the time step just used; false when it was already used (a replayed code). */
    async useTotpStep(id: string, step: number): Promise<boolean> {
      const { rowCount } = await db.query(
        'update users set totp_last_step = $2 where id = $1 and (totp_last_step is null or totp_last_step < $2)', [id, step]);
      return rowCount === 1;
    },
    async touchLogin(id: string): Promise<void> {
      await db.query('update users set last_login_at = now() where id = $1', [id]);
    },
    async setDisabled(id: string, disabled: boolean): Promise<boolean> {
      const { rowCount } = await db.query(
        `update users set disabled_at = case when $2 then coalesce(disabled_at, now()) else null end where id = $1`, [id, disabled]);
      return rowCount === 1;
    },
  };
}

export type SessionPurpose = 'session' | 'totp_enrollment';

export function sessionsRepo(db: Queryable) {
  return {
    async create(userId: string, tokenHash: Buffer, purpose: SessionPurpose, expiresAt: Date): Promise<void> {
      await db.query('insert into sessions (token_hash, user_id, purpose, expires_at) values ($1, $2, $3, $4)',
        [tokenHash, userId, purpose, expiresAt]);
    },
    /** The live user behind a token, or null when unknown, expired, revoked or disabled. */
    async resolve(tokenHash: Buffer, purpose: SessionPurpose, now: Date): Promise<User | null> {
      const { rows } = await db.query<UserRow>({
        name: 'sessions.resolve',
        text: `select u.* from sessions s join users u on u.id = s.user_id
               where s.token_hash = $1 and s.purpose = $2 and s.revoked_at is null
                 and s.expires_at > $3 and u.disabled_at is null`,
        values: [tokenHash, purpose, now],
      });
      return rows[0] ? toUser(rows[0]) : null;
    },
    async revoke(tokenHash: Buffer): Promise<void> {
      await db.query('update sessions set revoked_at = now() where token_hash = $1 and revoked_at is null', [tokenHash]);
    },
    async revokeAllFor(userId: string): Promise<void> {
      await db.query('update sessions set revoked_at = now() where user_id = $1 and revoked_at is null', [userId]);
    },
  };
}

export interface ServiceToken { id: string; name: string; scopes: string[]; createdAt: Date; revoked: boolean }
interface ServiceTokenRow { id: string; name: string; scopes: string[]; created_at: Date; revoked_at: Date | null }
const toServiceToken = (r: ServiceTokenRow): ServiceToken =>
  ({ id: r.id, name: r.name, scopes: r.scopes, createdAt: r.created_at, revoked: r.revoked_at !== null });

export function serviceTokensRepo(db: Queryable) {
  return {
    async create(name: string, tokenHash: Buffer, scopes: string[], createdBy: string | null): Promise<ServiceToken> {
      const { rows } = await db.query<ServiceTokenRow>(
        'insert into service_tokens (name, token_hash, scopes, created_by) values ($1, $2, $3, $4) returning *',
        [name, tokenHash, scopes, createdBy]);
      return toServiceToken(rows[0]!);
    },
    async resolve(tokenHash: Buffer): Promise<ServiceToken | null> {
      const { rows } = await db.query<ServiceTokenRow>({
        name: 'service_tokens.resolve',
        text: 'select * from service_tokens where token_hash = $1 and revoked_at is null', values: [tokenHash] });
      return rows[0] ? toServiceToken(rows[0]) : null;
    },
    async list(): Promise<ServiceToken[]> {
      const { rows } = await db.query<ServiceTokenRow>('select * from service_tokens order by created_at');
      return rows.map(toServiceToken);
    },
    async revoke(id: string): Promise<boolean> {
      const { rowCount } = await db.query('update service_tokens set revoked_at = now() where id = $1 and revoked_at is null', [id]);
      return rowCount === 1;
    },
  };
}
