/**
 * The callers of the `ivr` benchmark, in a process of their own so that their packets do not count
 * as the app's CPU. Driven over IPC by bench/ivr.ts; times are absolute (timeOrigin + now), in ms.
 */
import { RtpCaller } from '../tests/helpers/rtp-caller.ts';

type Command =
  | { op: 'open'; n: number }
  | { op: 'answered'; i: number; sdp: string }
  | { op: 'audio'; on: boolean }
  | { op: 'press'; digits: string; spreadMs: number }
  | { op: 'report' }
  | { op: 'close' };

const callers: RtpCaller[] = [];
let audio: NodeJS.Timeout | undefined;
const now = () => performance.timeOrigin + performance.now();
const reply = (msg: unknown): void => { process.send!(msg); };

process.on('message', (cmd: Command) => void handle(cmd).catch((err: Error) => reply({ error: err.stack ?? err.message })));

async function handle(cmd: Command): Promise<void> {
  switch (cmd.op) {
    case 'open': {
      for (const c of callers.splice(0)) await c.close();
      for (let i = 0; i < cmd.n; i++) callers.push(await RtpCaller.open());
      return reply({ offers: callers.map((c, i) => c.offer(i + 1)) });
    }
    case 'answered':
      callers[cmd.i]!.answered(cmd.sdp);
      return reply({ ok: true });
    case 'audio':
      clearInterval(audio);
      // a phone sends a packet every 20 ms whether she speaks or not
      if (cmd.on) audio = setInterval(() => { for (const c of callers) void c.audio(1, 0); }, 20);
      return reply({ ok: true });
    case 'press':
      await Promise.all(callers.map(async (c, i) => {
        await new Promise((r) => setTimeout(r, (i * cmd.spreadMs) / callers.length));
        await c.press(cmd.digits);
      }));
      return reply({ ok: true });
    case 'report':
      return reply({ firstPacketAt: callers.map((c) => (c.arrivals[0] === undefined ? null : performance.timeOrigin + c.arrivals[0])),
        packets: callers.map((c) => c.packets), at: now() });
    case 'close':
      clearInterval(audio);
      for (const c of callers.splice(0)) await c.close();
      reply({ ok: true });
      process.disconnect();
  }
}
