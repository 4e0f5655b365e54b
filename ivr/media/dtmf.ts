import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { Digit } from './port.ts';

/** rtpengine's event numbers (RFC 4733) to keys: 0-9, 10 `*`, 11 `#`, 12-15 A-D. */
const KEYS: readonly Digit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

export const digitOf = (event: unknown): Digit | null =>
  typeof event === 'number' && Number.isInteger(event) ? KEYS[event] ?? null : null;

/** One datagram of `--dtmf-log-dest`: `{"callid","source_tag","type":"DTMF","event",...}`. */
export function parseDtmfDatagram(raw: Buffer): { callId: string; tag: string; digit: Digit } | null {
  let msg: { callid?: unknown; source_tag?: unknown; type?: unknown; event?: unknown };
  try {
    msg = JSON.parse(raw.toString('utf8')) as typeof msg;
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null || (msg.type !== undefined && msg.type !== 'DTMF')) return null;
  const digit = digitOf(msg.event);
  if (typeof msg.callid !== 'string' || typeof msg.source_tag !== 'string' || !digit) return null;
  return { callId: msg.callid, tag: msg.source_tag, digit };
}

export type DigitListener = (digit: Digit) => void;

export interface DtmfListener {
  /** The address rtpengine's `--dtmf-log-dest` must point at. */
  readonly address: { host: string; port: number };
  /** Routes the digits of one side of a call (Call-ID and that side's tag) to `listener`. */
  route(callId: string, tag: string, listener: DigitListener): () => void;
  close(): Promise<void>;
}

const key = (callId: string, tag: string) => `${callId}\u0000${tag}`;

/**
 * The socket rtpengine logs DTMF events to. Each event goes to the session of the side that sent
 * it; the other side (an operator's leg, once she is bridged) and unknown calls are ignored.
 */
export async function dtmfListener(bind: { host: string; port: number }, log: Logger): Promise<DtmfListener> {
  const socket: Socket = createSocket('udp4');
  const routes = new Map<string, DigitListener>();
  socket.on('message', (raw) => {
    const event = parseDtmfDatagram(raw);
    if (!event) return void log.debug('unreadable DTMF datagram ignored');
    routes.get(key(event.callId, event.tag))?.(event.digit);
  });
  socket.on('error', (err) => log.error({ err: err.message }, 'DTMF socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(bind.port, bind.host, () => { socket.off('error', reject); resolve(); });
  });
  const { address, port } = socket.address();
  return {
    address: { host: address, port },
    route(callId, tag, listener) {
      const k = key(callId, tag);
      routes.set(k, listener);
      return () => { if (routes.get(k) === listener) routes.delete(k); };
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
