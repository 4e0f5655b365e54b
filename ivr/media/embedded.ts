import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { ngClient } from './ng.ts';

export interface EmbeddedRtpengineOptions {
  /** The ng control address (`--listen-ng`); loopback by default. */
  ngHost?: string;
  ngPort: number;
  /** Where it logs DTMF events: the app's DTMF socket. */
  dtmfDest: { host: string; port: number };
  /** The address RTP is sent from and received on. */
  mediaInterface: string;
  /** RTP port range; rtpengine wants an even number of ports (RTP and RTCP pairs). */
  portMin: number;
  portMax: number;
  binary?: string;
}

export interface EmbeddedRtpengine { ng: { host: string; port: number }; pid: number; stop(): Promise<void> }

/** The path of an executable found on PATH, or null. */
export function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch { /* not here */ }
  }
  return null;
}

export function rtpengineArgs(o: EmbeddedRtpengineOptions): string[] {
  if (o.portMax <= o.portMin || (o.portMax - o.portMin + 1) % 2 !== 0) {
    throw new Error(`rtpengine needs an even-sized RTP port range, got ${o.portMin}-${o.portMax}`);
  }
  return [
    // userspace only: no config file, no kernel forwarding table
    '--config-file=none', '--table=-1', '--foreground', '--log-stderr', '--log-level=4',
    `--interface=${o.mediaInterface}`, `--listen-ng=${o.ngHost ?? '127.0.0.1'}:${o.ngPort}`,
    `--port-min=${o.portMin}`, `--port-max=${o.portMax}`, `--dtmf-log-dest=${o.dtmfDest.host}:${o.dtmfDest.port}`,
    '--delete-delay=0',
  ];
}

/**
 * A local rtpengine-daemon in userspace mode, started the way the embedded redis-server is: it
 * lives as long as the process that started it, and is ready when it answers an ng ping.
 */
export async function startEmbeddedRtpengine(o: EmbeddedRtpengineOptions): Promise<EmbeddedRtpengine> {
  const binary = o.binary ?? 'rtpengine';
  const child: ChildProcess = spawn(binary, rtpengineArgs(o), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-2000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(
      `rtpengine could not start (${err.message}); run scripts/setup.sh to install rtpengine-daemon`)));
    void exited.then((code) => reject(new Error(`rtpengine exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)));
  });
  const ng = { host: o.ngHost ?? '127.0.0.1', port: o.ngPort };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await Promise.race([waitForPing(ng), failed]);
  } catch (err) {
    await stop();
    throw err;
  }
  failed.catch(() => undefined);
  return { ng, pid: child.pid!, stop };
}

async function waitForPing(ng: { host: string; port: number }): Promise<void> {
  const client = await ngClient(ng, 200, pino({ level: 'silent' }));
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      try {
        await client.send('ping');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    client.close();
  }
}
