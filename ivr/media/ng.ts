import { Client, type NgReply, type NgRequest } from 'rtpengine-client';
import type { Logger } from 'pino';
import { DomainError } from '../../common/errors.ts';

/** The ng commands this service sends, by their rtpengine-client method names. */
export type NgCommand = 'ping' | 'offer' | 'answer' | 'delete' | 'query' | 'playMedia' | 'stopMedia' | 'blockMedia';

export interface NgClient {
  /** Sends a command; resolves with an `ok` reply, rejects with a `provider_unavailable` DomainError otherwise. */
  send(command: NgCommand, request?: NgRequest): Promise<NgReply>;
  close(): void;
}

export const mediaUnavailable = (message: string, detail: Record<string, unknown>, retryable: boolean) =>
  new DomainError('provider_unavailable', message, detail, retryable);

/**
 * An ng protocol client over UDP with a deadline per command. The library's own timeout drops the
 * pending reply; a reply that arrives later is discarded here quietly (the library would print it
 * to the console, SDP and all).
 */
export async function ngClient(address: { host: string; port: number }, timeoutMs: number, log: Logger): Promise<NgClient> {
  const client = new Client({ timeout: timeoutMs, localAddress: address.host === '127.0.0.1' ? '127.0.0.1' : undefined });
  const internals = client as unknown as { messages: Map<string, unknown>; _onParsedMessage(obj: { id: string }): void };
  const parsed = internals._onParsedMessage.bind(client);
  internals._onParsedMessage = (obj) => {
    if (internals.messages.has(obj.id)) parsed(obj);
    else log.debug('late rtpengine reply discarded');
  };
  client.on('error', (err: Error) => log.warn({ err: err.message }, 'rtpengine client error'));
  await new Promise<void>((resolve) => client.once('listening', () => resolve()));
  const dest = { host: address.host, port: address.port };
  return {
    async send(command, request = {}) {
      let reply: NgReply;
      try {
        reply = await client[command](dest, request);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const timedOut = /timeout/i.test(message);
        throw mediaUnavailable(timedOut ? `rtpengine did not answer ${command} within ${timeoutMs} ms` : `rtpengine ${command} failed: ${message}`,
          { command, media: `${dest.host}:${dest.port}` }, true);
      }
      if (reply.result === 'ok' || reply.result === 'pong') return reply;
      // "load limit" is rtpengine shedding load: worth trying again later; a refusal is not
      throw mediaUnavailable(`rtpengine refused ${command}: ${reply['error-reason'] ?? reply.result}`,
        { command, reason: reply['error-reason'] ?? reply.result }, reply.result === 'load limit');
    },
    close() { client.close(); },
  };
}
