import { createSocket, type Socket } from 'node:dgram';
import pino, { type Logger } from 'pino';
import { inject } from 'vitest';
import { findBinary, rtpengineMedia, startEmbeddedRtpengine, type RtpengineMedia } from '../../ivr/media/index.ts';

/*
 * The real rtpengine the test run shares (started by tests/global-setup.ts), and a caller's RTP
 * endpoint to talk to it. rtpengine logs every DTMF event to one address; the run's relay there
 * copies each to every test process that registered, and each MediaPort keeps its own calls' keys.
 */

export interface TestRtpengine { url: string; ng: { host: string; port: number }; relayPort: number; stop(): Promise<void> }

const bindUdp = async (port = 0): Promise<Socket> => {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(port, '127.0.0.1', () => resolve()); });
  return s;
};

/** The relay on rtpengine's --dtmf-log-dest: `register:<port>` subscribes a port; JSON events go to every subscriber. */
async function startDtmfRelay(): Promise<{ port: number; close(): Promise<void> }> {
  const socket = await bindUdp();
  const subscribers = new Set<number>();
  socket.on('error', () => undefined);
  socket.on('message', (msg, from) => {
    const text = msg.toString();
    if (text.startsWith('register:') && from.address === '127.0.0.1') subscribers.add(Number(text.slice(9)));
    else for (const port of subscribers) socket.send(msg, port, '127.0.0.1');
  });
  return { port: socket.address().port, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** For global-setup: rtpengine on loopback with its DTMF relay, or null when rtpengine-daemon is not installed. */
export async function startTestRtpengine(): Promise<TestRtpengine | null> {
  if (!findBinary('rtpengine')) return null;
  const relay = await startDtmfRelay();
  const ngSocket = await bindUdp();
  const ngPort = ngSocket.address().port;
  await new Promise<void>((resolve) => ngSocket.close(() => resolve()));
  // a range of its own, so that runs of the suite side by side do not compete for ports
  const portMin = 20000 + 2 * Math.floor(Math.random() * 4000);
  try {
    const daemon = await startEmbeddedRtpengine({ ngPort, dtmfDest: { host: '127.0.0.1', port: relay.port }, mediaInterface: '127.0.0.1',
      portMin, portMax: portMin + 999 });
    return { url: `ng://127.0.0.1:${ngPort}`, ng: daemon.ng, relayPort: relay.port,
      async stop() { await daemon.stop(); await relay.close(); } };
  } catch (err) {
    await relay.close();
    throw err;
  }
}

/** The run's rtpengine; a test that needs it fails with the reason when it is not there. */
export function testRtpengine(): { ng: { host: string; port: number }; relayPort: number } {
  const r = inject('rtpengine');
  if (!r) throw new Error('rtpengine-daemon is not installed: run scripts/setup.sh (the SIP media tests need the real daemon)');
  return r;
}

/** A MediaPort on the run's rtpengine whose DTMF socket is subscribed to the relay. */
export async function testMedia(log: Logger = pino({ level: 'silent' }), timeoutMs = 2000): Promise<RtpengineMedia> {
  const { ng } = testRtpengine();
  const media = await rtpengineMedia({ ng, dtmf: { host: '127.0.0.1', port: 0 }, sinkAddress: '127.0.0.1', timeoutMs, log });
  await subscribeDtmf(media.dtmfAddress.port);
  return media;
}

export { RtpCaller } from './rtp-caller.ts';

/** Subscribes a DTMF port of this machine to the run's relay (an app built with RTPENGINE_DTMF_PORT set to it). */
export async function subscribeDtmf(port: number): Promise<void> {
  const { relayPort } = testRtpengine();
  const s = await bindUdp();
  await new Promise<void>((resolve) => s.send(`register:${port}`, relayPort, '127.0.0.1', () => resolve()));
  s.close();
}
