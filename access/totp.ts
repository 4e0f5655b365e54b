import { generateSecret, generateURI, verify } from 'otplib';

const PERIOD = 30;

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, username: string): string {
  return generateURI({ issuer: 'ATENPRO Centro de Atención', label: username, secret });
}

/**
 * Checks a 6-digit code at `now`, allowing one step of clock drift either way.
 * Returns the time step the code belongs to, so the caller can refuse its reuse, or null.
 */
export async function checkTotp(secret: string, code: string, now: Date): Promise<number | null> {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const epoch = Math.floor(now.getTime() / 1000);
  const result = await verify({ secret, token: code, epoch, epochTolerance: PERIOD });
  if (!result.valid) return null;
  return 'timeStep' in result ? result.timeStep : Math.floor(epoch / PERIOD);
}
