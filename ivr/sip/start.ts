import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';
import type { Pool } from '../../store/db.ts';
import { ivrRepo } from '../../store/ivr.repo.ts';
import { allPromptsOf, loadFlows } from '../catalog.ts';
import { findBinary, rtpengineMedia, startEmbeddedRtpengine, type EmbeddedRtpengine, type RtpengineMedia } from '../media/index.ts';
import { promptLibrary } from '../prompts/index.ts';
import { sipIvr } from './registry.ts';
import type { IvrRouting, SipIvr } from './types.ts';

/** The media settings of app/config.ts (`config.media`). */
export interface MediaConfig {
  /** An rtpengine's ng address; unset, the app starts its own rtpengine when SIP is on and it is installed. */
  rtpengineHost: string | undefined;
  rtpenginePort: number;
  /** Where this process takes rtpengine's DTMF events (its --dtmf-log-dest must point here). */
  dtmfHost: string;
  dtmfPort: number;
  /** A command rtpengine does not answer in this time leaves the call without IVR media. */
  timeoutMs: number;
  /** The embedded rtpengine's media address and RTP port range (an even number of ports). */
  mediaInterface: string;
  portMin: number;
  portMax: number;
  /** Synthesised prompts (<id>.wav), and recordings that replace them by id. */
  promptsDir: string;
  promptsOverrideDir: string;
}

export interface SipIvrStartDeps {
  srf: Srf;
  media: MediaConfig;
  emergencyKey: string;
  routing: IvrRouting;
  pool: Pool;
  clock: Clock;
  log: Logger;
  deviceUri(device: string): string;
  ringTimeoutS: number;
  waitMessage: string;
  /** Told each flow's outcomes once recorded (see SipIvrDeps.onOutcomes): the dialer's `control.onFlowOutcome`. */
  onOutcomes?(callAttemptId: string, outcomes: string[], at: Date): void;
}

/**
 * The SIP IVR with its media: the configured rtpengine, or (embedded default) one started here when
 * the daemon is installed. Null when there is no media server: the information line then goes
 * straight to an operator, as it did before it had a menu. Missing prompt files are synthesised in
 * the background; a call that needs one before then has it made on the spot.
 */
export async function startSipIvr(d: SipIvrStartDeps): Promise<{ ivr: SipIvr; close(): Promise<void> } | null> {
  const log = d.log.child({ component: 'ivr-media' });
  try {
    return await start(d, log);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'IVR media unavailable: the information line goes straight to an operator');
    return null;
  }
}

async function start(d: SipIvrStartDeps, log: Logger): Promise<{ ivr: SipIvr; close(): Promise<void> } | null> {
  let daemon: EmbeddedRtpengine | null = null;
  let ng = d.media.rtpengineHost ? { host: d.media.rtpengineHost, port: d.media.rtpenginePort } : null;
  if (!ng) {
    if (!findBinary('rtpengine')) {
      log.warn('rtpengine is not installed: the information line goes straight to an operator (run scripts/setup.sh)');
      return null;
    }
    daemon = await startEmbeddedRtpengine({ ngPort: d.media.rtpenginePort, dtmfDest: { host: d.media.dtmfHost, port: d.media.dtmfPort },
      mediaInterface: d.media.mediaInterface, portMin: d.media.portMin, portMax: d.media.portMax });
    ng = daemon.ng;
  }
  let media: RtpengineMedia;
  try {
    media = await rtpengineMedia({ ng, dtmf: { host: d.media.dtmfHost, port: d.media.dtmfPort },
      sinkAddress: d.media.rtpengineHost ? d.media.dtmfHost : '127.0.0.1', timeoutMs: d.media.timeoutMs, log });
  } catch (err) {
    await daemon?.stop();
    throw err;
  }
  const flows = loadFlows({ emergencyKey: d.emergencyKey });
  const prompts = promptLibrary({ dir: d.media.promptsDir, overrideDir: d.media.promptsOverrideDir });
  const waitPrompt = { id: 'espera-operador', text: d.waitMessage };
  void prompts.ensure([...allPromptsOf(flows), waitPrompt])
    .then((r) => { if (r.generated.length) log.info({ generated: r.generated.length, recorded: r.recorded.length }, 'IVR prompts synthesised'); })
    .catch((err: Error) => log.error({ err: err.message }, 'IVR prompts could not be synthesised'));
  const outcomes = ivrRepo(d.pool);
  const ivr = sipIvr({ srf: d.srf, media, prompts, flows, routing: d.routing, clock: d.clock, log: d.log, deviceUri: d.deviceUri,
    ringTimeoutS: d.ringTimeoutS, waitPrompt,
    recordOutcomes: (o) => outcomes.record(o), onOutcomes: d.onOutcomes });
  return {
    ivr,
    async close() {
      await media.close();
      await daemon?.stop();
    },
  };
}
