import type Srf from 'drachtio-srf';
import type { OperatorTarget } from '../../telephony/port.ts';
import type { MediaSession } from '../media/index.ts';
import type { SipIvrDeps } from './types.ts';

export interface OperatorLeg { dialog: Srf.Dialog }

/** srf calls cbRequest(err, req), not cbRequest(req) as its bundled types say. */
const onSent = (fn: (req: Srf.SrfRequest) => void) =>
  ((err: unknown, req?: Srf.SrfRequest) => { if (!err && req) fn(req); }) as unknown as (req: Srf.SrfRequest) => void;

/**
 * Calls the operator with an offer from the media server for a new branch of her call; when the
 * operator answers, the media server sends her audio to the operator instead of the IVR. Her own
 * leg is not touched (no re-INVITE): the media server stays in the path. Rejects when the operator
 * does not answer within the ring timeout, or `signal` aborts (she hung up meanwhile).
 */
export async function ringOperator(d: SipIvrDeps, media: MediaSession, target: OperatorTarget, callId: string,
  signal: AbortSignal): Promise<OperatorLeg> {
  const branch = await d.media.branch(media);
  let invite: Srf.SrfRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  const cancel = () => { try { invite?.cancel(() => undefined); } catch { /* already final */ } };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const dialog = await d.srf.createUAC(d.deviceUri(target.device), {
      localSdp: branch.sdpOffer, headers: { 'X-Atenpro-Leg': 'operator', 'X-Atenpro-Call': callId },
    }, {
      cbRequest: onSent((req) => {
        invite = req;
        if (signal.aborted) cancel();
        timer = setTimeout(cancel, d.ringTimeoutS * 1000);
      }),
    });
    clearTimeout(timer);
    if (signal.aborted) {
      dialog.destroy();
      throw new Error('caller gone when the operator answered');
    }
    try {
      await branch.answer(dialog.sip.remoteTag, dialog.remote.sdp);
    } catch (err) {
      dialog.destroy();
      throw err;
    }
    return { dialog };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', cancel);
  }
}
