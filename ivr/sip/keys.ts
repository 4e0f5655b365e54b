import type { Digit } from '../media/index.ts';

/** What an IVR call waits on: prompt playback, pauses, the gather timeout, the gap between wait messages in the queue. */
export type WaitKind = 'prompt' | 'pause' | 'gather' | 'hold';

/**
 * How a SIP IVR call waits. Production sleeps for real; a test can end a gather's wait when its
 * driver says "time out", without waiting out the flow's seconds.
 */
export interface IvrTimers {
  /** Resolves after `ms`, or as soon as `signal` aborts; `callId` names the call that waits. */
  sleep(ms: number, kind: WaitKind, signal: AbortSignal, callId: string): Promise<void>;
}

export const realTimers: IvrTimers = {
  sleep: (ms, _kind, signal) => new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  }),
};

/** The keys she pressed that no gather has taken yet, in order. */
export class KeyBuffer {
  private keys: Digit[] = [];
  private waiters = new Set<() => void>();

  push(d: Digit): void {
    this.keys.push(d);
    for (const w of [...this.waiters]) w();
  }

  peek(): readonly Digit[] { return this.keys; }

  take(): Digit[] {
    const taken = this.keys;
    this.keys = [];
    return taken;
  }

  /** Resolves true when `accept` holds for the waiting keys, false when `until` settles first. */
  waitFor(accept: (keys: readonly Digit[]) => boolean, until: Promise<unknown>): Promise<boolean> {
    if (accept(this.keys)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const finish = (value: boolean) => {
        if (settled) return;
        settled = true;
        this.waiters.delete(check);
        resolve(value);
      };
      const check = () => { if (accept(this.keys)) finish(true); };
      this.waiters.add(check);
      void until.then(() => finish(false), () => finish(false));
    });
  }
}
