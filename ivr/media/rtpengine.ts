import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { NgRequest } from 'rtpengine-client';
import type { Logger } from 'pino';
import { dtmfListener, type DtmfListener } from './dtmf.ts';
import { ngClient, type NgClient } from './ng.ts';
import type { Digit, MediaBranch, MediaCall, MediaOffer, MediaPort, MediaSession } from './port.ts';
import { sinkAnswer, sinkOffer } from './sdp.ts';

export interface RtpengineOptions {
  /** The daemon's ng control address (`--listen-ng`). */
  ng: { host: string; port: number };
  /** Where this process takes the daemon's DTMF events (its `--dtmf-log-dest`); port 0 picks one. */
  dtmf: { host: string; port: number };
  /** Address of the app's sink socket, reachable from the daemon (loopback when it runs here). */
  sinkAddress: string;
  /** How long a command may wait for the daemon before the call is treated as without media. */
  timeoutMs: number;
  log: Logger;
}

export interface RtpengineMedia extends MediaPort {
  /** Where the DTMF socket listens (what `--dtmf-log-dest` must say). */
  readonly dtmfAddress: { host: string; port: number };
  /** Whether the daemon answers; rejects with `provider_unavailable` when it does not. */
  ping(): Promise<void>;
  /** Sessions open now. */
  readonly openSessions: number;
}

/**
 * Both sides of every call are offered to the daemon with the caller's codecs, plus
 * telephone-event: RFC 2833 keys are logged as sent, and in-band tones are decoded and logged too.
 */
const OFFER_FLAGS: NgRequest = {
  replace: ['origin', 'session-connection'],
  ICE: 'remove',
  'transport-protocol': 'RTP/AVP',
  codec: { transcode: ['telephone-event'] },
};

/** A MediaPort on rtpengine over the ng protocol (see `ivr/media/port.ts`). */
export async function rtpengineMedia(o: RtpengineOptions): Promise<RtpengineMedia> {
  const ng = await ngClient(o.ng, o.timeoutMs, o.log);
  let dtmf: DtmfListener | undefined;
  let sink: Socket | undefined;
  try {
    dtmf = await dtmfListener(o.dtmf, o.log);
    sink = await bindSink(o.sinkAddress);
  } catch (err) {
    ng.close();
    await dtmf?.close();
    throw err;
  }
  const sinkPort = sink.address().port;
  const sessions = new Map<string, RtpSession>();

  const port: RtpengineMedia = {
    dtmfAddress: dtmf.address,
    get openSessions() { return sessions.size; },
    async ping() { await ng.send('ping'); },

    async open(call: MediaCall): Promise<MediaSession> {
      const base = { 'call-id': call.callId, 'from-tag': call.fromTag };
      const offer = await ng.send('offer', { ...base, sdp: call.sdpOffer, ...OFFER_FLAGS });
      const sinkTag = `ivr-${randomBytes(6).toString('hex')}`;
      let answer;
      try {
        answer = await ng.send('answer', { ...base, 'to-tag': sinkTag,
          sdp: sinkAnswer(offer.sdp ?? '', o.sinkAddress, sinkPort, Date.now()), replace: ['origin', 'session-connection'] });
      } catch (err) {
        await ng.send('delete', { 'call-id': call.callId }).catch(() => undefined);
        throw err;
      }
      const session = new RtpSession(ng, dtmf!, call, answer.sdp ?? '', () => sessions.delete(sessionKey(call)), o.log);
      sessions.set(sessionKey(call), session);
      return session;
    },

    async offer(callId: string): Promise<MediaOffer> {
      // the sink is the offerer here; her side is the answerer, named by the To tag of her 200 OK
      const base = { 'call-id': callId, 'from-tag': `ivr-${randomBytes(6).toString('hex')}` };
      const offer = await ng.send('offer', { ...base, sdp: sinkOffer(o.sinkAddress, sinkPort, Date.now()), ...OFFER_FLAGS });
      let settled = false;
      const release = () => ng.send('delete', { 'call-id': callId }).then(() => undefined);
      return {
        sdpOffer: offer.sdp ?? '',
        async answer(tag, sdpAnswer) {
          if (settled) throw new Error('media offer already answered or cancelled');
          settled = true;
          try {
            await ng.send('answer', { ...base, 'to-tag': tag, sdp: sdpAnswer, replace: ['origin', 'session-connection'] });
          } catch (err) {
            await release().catch(() => undefined);
            throw err;
          }
          // from here she is one side of the call like a caller: prompts play to her tag, her keys come from it
          const call = { callId, fromTag: tag, sdpOffer: sdpAnswer };
          const session = new RtpSession(ng, dtmf!, call, offer.sdp ?? '', () => sessions.delete(sessionKey(call)), o.log);
          sessions.set(sessionKey(call), session);
          return session;
        },
        async cancel() {
          if (settled) return;
          settled = true;
          await release().catch((err: Error) => o.log.warn({ err: err.message }, 'media offer not deleted; the daemon times it out'));
        },
      };
    },

    async branch(session: MediaSession): Promise<MediaBranch> {
      const s = sessions.get(sessionKey(session));
      if (!s) throw new Error('media branch for a session that is not open');
      const base = { 'call-id': s.callId, 'from-tag': s.fromTag };
      const offer = await ng.send('offer', { ...base, sdp: s.callerOffer, ...OFFER_FLAGS });
      return {
        sdpOffer: offer.sdp ?? '',
        async answer(toTag, sdpAnswer) {
          await ng.send('answer', { ...base, 'to-tag': toTag, sdp: sdpAnswer, replace: ['origin', 'session-connection'] });
        },
      };
    },

    async close() {
      await Promise.all([...sessions.values()].map((s) => s.close()));
      ng.close();
      await dtmf!.close();
      await new Promise<void>((resolve) => sink!.close(() => resolve()));
    },
  };
  return port;
}

const sessionKey = (c: { callId: string; fromTag: string }) => `${c.callId}\u0000${c.fromTag}`;

/** The app's end of every call's second leg: what the daemon forwards of her audio lands here and is dropped. */
async function bindSink(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => { socket.off('error', reject); resolve(); });
  });
  socket.on('error', () => undefined); // ICMP errors for a closed far end are not ours to handle
  return socket;
}

class RtpSession implements MediaSession {
  readonly callId: string;
  readonly fromTag: string;
  readonly callerOffer: string;
  private readonly listeners = new Set<(d: Digit) => void>();
  private readonly unroute: () => void;
  private closed = false;

  constructor(private readonly ng: NgClient, dtmf: DtmfListener, call: MediaCall, readonly sdpAnswer: string,
    private readonly forget: () => void, private readonly log: Logger) {
    this.callId = call.callId;
    this.fromTag = call.fromTag;
    this.callerOffer = call.sdpOffer;
    this.unroute = dtmf.route(call.callId, call.fromTag, (digit) => {
      for (const l of this.listeners) l(digit);
    });
  }

  private get base() { return { 'call-id': this.callId, 'from-tag': this.fromTag }; }

  async play(file: string): Promise<{ durationMs: number }> {
    const reply = await this.ng.send('playMedia', { ...this.base, file });
    return { durationMs: typeof reply.duration === 'number' ? reply.duration : 0 };
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    // the daemon refuses to stop what already ended: nothing to do then
    await this.ng.send('stopMedia', this.base).catch((err: Error) => this.log.debug({ err: err.message }, 'stop media refused'));
  }

  onDigit(listener: (digit: Digit) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unroute();
    this.listeners.clear();
    this.forget();
    await this.ng.send('delete', { 'call-id': this.callId })
      .catch((err: Error) => this.log.warn({ err: err.message }, 'media session not deleted; the daemon times it out'));
  }
}
