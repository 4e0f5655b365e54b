import { createSocket, type Socket } from 'node:dgram';

/*
 * A caller's RTP endpoint for tests and the ivr benchmark: it offers PCMU/PCMA/telephone-event,
 * counts what the media server sends it, sends silence and presses keys over RFC 2833.
 */

const bindUdp = async (): Promise<Socket> => {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(0, '127.0.0.1', () => resolve()); });
  return s;
};

/** RFC 4733 event codes of the keys. */
const EVENT: Record<string, number> = { '*': 10, '#': 11, A: 12, B: 13, C: 14, D: 15 };
const PCMU = 0;
const TELEPHONE_EVENT = 101;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The caller's end of the media: receives what rtpengine sends her and sends audio and RFC 2833 keys. */
export class RtpCaller {
  /** RTP packets received, by payload type. */
  readonly received = new Map<number, number>();
  /** performance.now() of each packet received, in order. */
  readonly arrivals: number[] = [];
  private remote: { host: string; port: number } | null = null;
  private seq = Math.floor(Math.random() * 1000);
  private ts = Math.floor(Math.random() * 100000) * 160;
  private readonly ssrc = Math.floor(Math.random() * 0xffffffff);

  private constructor(private readonly socket: Socket) {
    socket.on('message', (msg) => {
      if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
      const pt = msg[1]! & 0x7f;
      this.received.set(pt, (this.received.get(pt) ?? 0) + 1);
      this.arrivals.push(performance.now());
    });
  }

  static async open(): Promise<RtpCaller> { return new RtpCaller(await bindUdp()); }

  get port(): number { return this.socket.address().port; }
  get packets(): number { return this.arrivals.length; }

  /** Her INVITE's SDP: PCMU, PCMA and (unless told otherwise: a phone that only sends tones) telephone-event on this socket. */
  offer(sessionId = Date.now(), opts: { telephoneEvent?: boolean } = {}): string {
    const events = opts.telephoneEvent ?? true;
    return ['v=0', `o=terminal ${sessionId} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${this.port} RTP/AVP 0 8${events ? ' 101' : ''}`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
      ...(events ? ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'] : []), 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
  }

  /** Takes the address to send to from the answer she received. */
  answered(sdp: string): void {
    const host = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
    const port = /^m=audio (\d+) /m.exec(sdp)?.[1];
    if (!host || !port) throw new Error(`no audio address in the answer:\n${sdp}`);
    this.remote = { host, port: Number(port) };
  }

  private send(pt: number, marker: boolean, payload: Buffer, timestamp: number): Promise<void> {
    if (!this.remote) throw new Error('RtpCaller: no answer yet');
    const b = Buffer.alloc(12 + payload.length);
    b[0] = 0x80;
    b[1] = (marker ? 0x80 : 0) | pt;
    b.writeUInt16BE(this.seq++ & 0xffff, 2);
    b.writeUInt32BE(timestamp >>> 0, 4);
    b.writeUInt32BE(this.ssrc >>> 0, 8);
    payload.copy(b, 12);
    return new Promise((resolve) => this.socket.send(b, this.remote!.port, this.remote!.host, () => resolve()));
  }

  /** Silence, as a phone sends between keys. */
  async audio(frames: number, paceMs = 20): Promise<void> {
    for (let i = 0; i < frames; i++) {
      await this.send(PCMU, false, Buffer.alloc(160, 0xff), (this.ts += 160));
      if (paceMs) await sleep(paceMs);
    }
  }

  /** Presses keys as a phone does over RFC 2833: event packets with a growing duration, three end packets. */
  async press(keys: string, paceMs = 20): Promise<void> {
    for (const key of keys) {
      const event = EVENT[key] ?? Number(key);
      const start = (this.ts += 160);
      for (let i = 1; i <= 4; i++) {
        await this.send(TELEPHONE_EVENT, i === 1, eventPayload(event, false, 160 * i), start);
        await sleep(paceMs);
      }
      for (let i = 0; i < 3; i++) await this.send(TELEPHONE_EVENT, false, eventPayload(event, true, 800), start);
      this.ts += 800;
      await this.audio(3, paceMs);
    }
  }

  /** Presses keys as an old phone does, in the audio: 120 ms of the key's two tones (PCMU), then silence. */
  async tones(keys: string, paceMs = 20): Promise<void> {
    for (const key of keys) {
      const [low, high] = DTMF_HZ[key]!;
      for (let frame = 0; frame < 6; frame++) {
        const payload = Buffer.alloc(160);
        for (let i = 0; i < 160; i++) {
          const t = (frame * 160 + i) / 8000;
          payload[i] = muLaw(0.35 * 32767 * (Math.sin(2 * Math.PI * low * t) + Math.sin(2 * Math.PI * high * t)) / 2);
        }
        await this.send(PCMU, false, payload, (this.ts += 160));
        await sleep(paceMs);
      }
      await this.audio(6, paceMs);
    }
  }

  close(): Promise<void> { return new Promise((resolve) => this.socket.close(() => resolve())); }
}

function eventPayload(event: number, end: boolean, duration: number): Buffer {
  const p = Buffer.alloc(4);
  p[0] = event;
  p[1] = (end ? 0x80 : 0) | 10; // volume -10 dBm0
  p.writeUInt16BE(duration, 2);
  return p;
}

const DTMF_HZ: Record<string, [number, number]> = {
  1: [697, 1209], 2: [697, 1336], 3: [697, 1477], 4: [770, 1209], 5: [770, 1336], 6: [770, 1477],
  7: [852, 1209], 8: [852, 1336], 9: [852, 1477], '*': [941, 1209], 0: [941, 1336], '#': [941, 1477],
};

/** G.711 mu-law of a 16-bit sample. */
function muLaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}
