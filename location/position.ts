import type { FieldCipher } from '../store/crypto.ts';
import type { PositionSource } from '../store/location.repo.ts';

export type { PositionSource };

/** A point on the earth (WGS84) as a terminal reported it, with its accuracy radius when known. */
export interface Position { lat: number; lon: number; accuracyM: number | null; at: Date }

/** What the pop and the console show: the position, when it was taken and where it came from. */
export interface PositionView { lat: number; lon: number; accuracyM: number | null; at: string; source: PositionSource }

/** Larger than this the "position" is a region, not a place to send help to. */
export const MAX_ACCURACY_M = 100_000;

/** The sealed part of a row: coordinates and accuracy. */
interface SealedCoordinates { lat: number; lon: number; accuracyM: number | null }

export const positionContext = (id: string) => `terminal_positions.position:${id}`;

export function isValidPosition(p: { lat: number; lon: number; accuracyM: number | null }): boolean {
  return Number.isFinite(p.lat) && Number.isFinite(p.lon) && p.lat >= -90 && p.lat <= 90 && p.lon >= -180 && p.lon <= 180
    && (p.accuracyM === null || (Number.isFinite(p.accuracyM) && p.accuracyM >= 0 && p.accuracyM <= MAX_ACCURACY_M));
}

export function sealPosition(cipher: FieldCipher, id: string, p: Position): Buffer {
  const coordinates: SealedCoordinates = { lat: p.lat, lon: p.lon, accuracyM: p.accuracyM };
  return cipher.seal(coordinates, positionContext(id));
}

/** Opens one stored position. The caller is the one that audits the read. */
export function openPosition(cipher: FieldCipher, row: { id: string; source: PositionSource; reportedAt: Date | string; sealed: Buffer }): PositionView {
  const c = cipher.open<SealedCoordinates>(row.sealed, positionContext(row.id));
  return { lat: c.lat, lon: c.lon, accuracyM: c.accuracyM, at: new Date(row.reportedAt).toISOString(), source: row.source };
}
