import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring session references for URLs handed to a provider (TwiML action URLs): the
 * session id, the turn the URL answers and an expiry, under an HMAC with a server secret. A
 * forged, altered or expired reference is refused before any state is read.
 */
export interface SessionRef { sessionId: string; turn: number }

export interface SessionTokens {
  sign(ref: SessionRef, now: Date): string;
  /** The reference, or null when the token is malformed, forged, altered or expired. */
  verify(token: string, now: Date): SessionRef | null;
}

const SHAPE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{1,6})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export function sessionTokens(secret: string | Buffer, ttlS: number): SessionTokens {
  if (!secret || secret.length < 16) throw new Error('ivr: the session secret must be at least 16 characters');
  const mac = (body: string) => createHmac('sha256', secret).update(body).digest('base64url');
  return {
    sign({ sessionId, turn }, now) {
      const body = `${sessionId}.${turn}.${Math.floor(now.getTime() / 1000) + ttlS}`;
      return `${body}.${mac(body)}`;
    },
    verify(token, now) {
      const m = SHAPE.exec(token);
      if (!m) return null;
      const [, sessionId, turn, exp, given] = m as unknown as [string, string, string, string, string];
      const expected = Buffer.from(mac(`${sessionId}.${turn}.${exp}`));
      if (!timingSafeEqual(expected, Buffer.from(given))) return null;
      if (Number(exp) * 1000 <= now.getTime()) return null;
      return { sessionId, turn: Number(turn) };
    },
  };
}
