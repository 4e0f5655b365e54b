import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isValidPosition, type Position } from '../../location/index.ts';

/**
 * Location conveyed in SIP (RFC 6442): a `Geolocation: <cid:...>` header points at a body part of a
 * multipart/mixed INVITE holding a PIDF-LO document (RFC 4119, shapes per RFC 5491: a GML Point or
 * a Circle with its radius). Only the SDP part is for the media path: the B2BUA must offer it alone.
 */

export interface BodyPart { type: string; contentId: string | null; body: string }

export interface InviteBody {
  /** What to offer onwards: the SDP part of a multipart body, or the body as it came. */
  sdp: string;
  /** The PIDF-LO the INVITE carried, if any; `position` is null when it could not be read. */
  location: { position: Position | null; malformed: boolean } | null;
}

const METRES = new Set(['urn:ogc:def:uom:EPSG::9001', 'urn:ogc:def:uom:epsg::9001', 'm']);
/** A terminal's clock may run a little ahead of ours; later than this, the time of receipt is used. */
const CLOCK_SKEW_MS = 60_000;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false,
  processEntities: false, trimValues: true });

const mediaType = (contentType: string | undefined) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

function param(contentType: string, name: string): string | null {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/** The parts of a multipart body (RFC 2046), each with its type and Content-ID; [] when it is not one. */
export function multipartParts(contentType: string | undefined, body: string): BodyPart[] {
  if (!mediaType(contentType).startsWith('multipart/')) return [];
  const boundary = param(contentType!, 'boundary');
  if (!boundary) return [];
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // the line break before a delimiter belongs to the delimiter, so each part's body comes out exact
  const chunks = `\r\n${body}`.split(new RegExp(`\\r?\\n--${escaped}`));
  const parts: BodyPart[] = [];
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break; // the close delimiter
    const rest = chunk.replace(/^[ \t]*\r?\n/, '');
    const split = /\r?\n\r?\n/.exec(rest);
    const head = split ? rest.slice(0, split.index) : rest;
    const partBody = split ? rest.slice(split.index + split[0].length) : '';
    const header = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? null;
    parts.push({ type: mediaType(header('content-type') ?? 'text/plain'), contentId: header('content-id'), body: partBody });
  }
  return parts;
}

/** The cid: targets of a Geolocation header (RFC 6442), without brackets or scheme. */
function cidTargets(geolocation: string | undefined): string[] {
  return [...(geolocation ?? '').matchAll(/<cid:([^>]+)>/gi)].map((m) => m[1]!.trim());
}

/** Splits an INVITE's body into the SDP to offer onwards and the position it carries. */
export function inviteBody(contentType: string | undefined, body: string, geolocation: string | undefined, receivedAt: Date): InviteBody {
  const parts = multipartParts(contentType, body);
  if (!parts.length) return { sdp: body, location: null };
  const sdp = parts.find((p) => p.type === 'application/sdp')?.body ?? body;
  const targets = cidTargets(geolocation);
  const pidf = parts.find((p) => p.contentId && targets.includes(p.contentId.replace(/^<|>$/g, '')))
    ?? parts.find((p) => p.type === 'application/pidf+xml');
  if (!pidf) return { sdp, location: geolocation ? { position: null, malformed: true } : null };
  const position = parsePidfLo(pidf.body, receivedAt);
  return { sdp, location: { position, malformed: position === null } };
}

type Node = Record<string, unknown>;

/** The first element with this local name, depth first. */
function find(node: unknown, name: string): unknown {
  if (Array.isArray(node)) {
    for (const item of node) {
      const hit = find(item, name);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  if (!node || typeof node !== 'object') return undefined;
  for (const [key, value] of Object.entries(node as Node)) {
    if (key === name) return Array.isArray(value) ? value[0] : value;
    if (key.startsWith('@_')) continue;
    const hit = find(value, name);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as Node)['#text'] === 'string'
  ? (v as Node)['#text'] as string : null);

/** "lat lon" or "lat lon alt" (EPSG 4326 / 4979 axis order). */
function pos(v: unknown): { lat: number; lon: number } | null {
  const parts = text(v)?.trim().split(/\s+/) ?? [];
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(p))) return null;
  return { lat: Number(parts[0]), lon: Number(parts[1]) };
}

/** The position in a PIDF-LO document (a Point, or a Circle and its radius in metres); null if there is none to trust. */
export function parsePidfLo(xml: string, receivedAt: Date): Position | null {
  if (!xml.trim() || XMLValidator.validate(xml) !== true) return null;
  let doc: unknown;
  try { doc = parser.parse(xml); } catch { return null; }
  const info = find(find(doc, 'presence'), 'location-info');
  if (!info) return null;
  let point: { lat: number; lon: number } | null = null;
  let accuracyM: number | null = null;
  const circle = find(info, 'Circle');
  if (circle) {
    point = pos(find(circle, 'pos'));
    const radius = find(circle, 'radius');
    const uom = radius && typeof radius === 'object' ? String((radius as Node)['@_uom'] ?? 'm') : 'm';
    const r = Number(text(radius));
    if (!METRES.has(uom) || !Number.isFinite(r)) return null;
    accuracyM = r;
  } else {
    const p = find(info, 'Point');
    point = p ? pos(find(p, 'pos')) : null;
  }
  if (!point) return null;
  const stamp = text(find(doc, 'timestamp'));
  const t = stamp ? new Date(stamp) : null;
  const at = t && !Number.isNaN(t.getTime()) && t.getTime() <= receivedAt.getTime() + CLOCK_SKEW_MS ? t : receivedAt;
  const position = { lat: point.lat, lon: point.lon, accuracyM, at };
  return isValidPosition(position) ? position : null;
}
