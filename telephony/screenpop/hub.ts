import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FieldCipher } from '../../store/crypto.ts';

/** What a console receives. `id` is unique per message so a console can drop a duplicate. */
export interface ConsoleMessage {
  id: string;
  type: 'call.offered' | 'call.state' | 'call.ended' | 'queue' | 'presence' | 'state';
  at: string;
  [k: string]: unknown;
}

export interface ConsoleSocket { send(data: string): void; readonly readyState: number }

const OPEN = 1;
const LAST_TTL_S = 12 * 3600;

// On the channel a message is `{"operatorId":"<id>","message":<the console message>}`, written and
// read by position so that no instance parses and re-serialises every pop it relays.
const HEAD = '{"operatorId":';
const MIDDLE = ',"message":';
const frame = (operatorId: string, messageJson: string) => `${HEAD}${JSON.stringify(operatorId)}${MIDDLE}${messageJson}}`;

/** The operator and the message's text, when the frame is ours; null for anything else (parsed the slow way). */
function unframe(raw: string): { operatorId: string; message: string } | null {
  const from = HEAD.length + 1;
  if (!raw.startsWith(HEAD) || raw[HEAD.length] !== '"' || !raw.endsWith('}')) return null;
  const end = raw.indexOf('"', from);
  if (end < 0 || !raw.startsWith(MIDDLE, end + 1)) return null;
  const operatorId = raw.slice(from, end);
  if (operatorId.includes('\\')) return null; // an escaped quote in the id
  return { operatorId, message: raw.slice(end + 1 + MIDDLE.length, -1) };
}

/**
 * Pushes pops and call state to operator consoles. Every instance subscribes to one Redis channel
 * and delivers to the sockets it holds, so a call taken on one instance reaches a console
 * connected to another. The last call message per operator is kept, so a console that reconnects
 * gets the current state back; it is kept sealed, since Redis writes it to disk.
 */
export function screenpopHub(redis: Redis, subscriber: Redis, prefix: string, cipher: FieldCipher, log: Logger) {
  const channel = `${prefix}:screenpop`;
  const lastKey = (operatorId: string) => `${prefix}:screenpop:last:${operatorId}`;
  const local = new Map<string, Set<ConsoleSocket>>();

  const deliver = (operatorId: string, payload: string) => {
    for (const socket of local.get(operatorId) ?? []) {
      if (socket.readyState === OPEN) socket.send(payload);
    }
  };

  subscriber.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    try {
      const framed = unframe(raw);
      if (framed) return deliver(framed.operatorId, framed.message);
      const { operatorId, message } = JSON.parse(raw) as { operatorId: string; message: ConsoleMessage };
      deliver(operatorId, JSON.stringify(message));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'unreadable screen-pop message dropped');
    }
  });
  const ready = subscriber.subscribe(channel);

  /** The message, and what publishing it writes: the kept copy (sealed: Redis writes it to disk) and the frame. */
  function prepare(operatorId: string, type: ConsoleMessage['type'], body: Record<string, unknown>) {
    const message: ConsoleMessage = { id: randomUUID(), type, at: new Date().toISOString(), ...body };
    const json = JSON.stringify(message);
    return { message, frame: frame(operatorId, json), sealed: () => cipher.seal(message, lastKey(operatorId)).toString('base64') };
  }

  return {
    ready,
    /** Sends to one operator's consoles, wherever they are connected. */
    async publish(operatorId: string, type: ConsoleMessage['type'], body: Record<string, unknown>, keep = true): Promise<ConsoleMessage> {
      const p = prepare(operatorId, type, body);
      if (keep) await redis.multi().set(lastKey(operatorId), p.sealed(), 'EX', LAST_TTL_S).publish(channel, p.frame).exec();
      else await redis.publish(channel, p.frame);
      return p.message;
    },
    /**
     * As `publish` (kept), but queued on a transaction the caller sends with its own commands, so
     * that the desk's change and the console's message go in one round trip.
     */
    publishIn(tx: ChainableCommander, operatorId: string, type: ConsoleMessage['type'], body: Record<string, unknown>): ConsoleMessage {
      const p = prepare(operatorId, type, body);
      tx.set(lastKey(operatorId), p.sealed(), 'EX', LAST_TTL_S).publish(channel, p.frame);
      return p.message;
    },
    /** Where the operator's last call message is kept (the desk forgets it when she is free again). */
    lastKey,
    /** The last call message kept for this operator (what a reconnecting console gets back). */
    async lastOf(operatorId: string): Promise<ConsoleMessage | null> {
      const last = await redis.get(lastKey(operatorId));
      return last ? cipher.open<ConsoleMessage>(Buffer.from(last, 'base64'), lastKey(operatorId)) : null;
    },
    async clear(operatorId: string): Promise<void> {
      await redis.del(lastKey(operatorId));
    },
    /** Registers a console; it gets the operator's current call state at once. */
    async attach(operatorId: string, socket: ConsoleSocket, extra: Record<string, unknown> = {}): Promise<() => void> {
      let set = local.get(operatorId);
      if (!set) local.set(operatorId, (set = new Set()));
      set.add(socket);
      socket.send(JSON.stringify({ id: randomUUID(), type: 'state', at: new Date().toISOString(), current: await this.lastOf(operatorId), ...extra }));
      return () => {
        set!.delete(socket);
        if (!set!.size) local.delete(operatorId);
      };
    },
    connectedHere(operatorId: string): number {
      return local.get(operatorId)?.size ?? 0;
    },
    async close(): Promise<void> {
      await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}

export type ScreenpopHub = ReturnType<typeof screenpopHub>;
