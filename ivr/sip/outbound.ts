import type Srf from 'drachtio-srf';
import { flowOf } from '../catalog.ts';
import type { SipIvrCall } from './session.ts';
import type { EmitEvent, IvrCallInfo, OutboundIvrCall, OutboundIvrLeg, SipIvrDeps } from './types.ts';

/** Where an outbound flow's call goes when its media fails mid-flow: a person, on the general line. */
const FALLBACK_LINE = 'general';

/**
 * The media of an outbound IVR call: the media server makes the offer her INVITE carries (the
 * adapter places the call, with the ring timeout and the neutral caller id); when she answers, her
 * SDP completes it and the flow runs on her dialog as on an inbound IVR call. `hold` keeps the call
 * reachable (bridge, hangup, panic) while it runs.
 */
export async function prepareOutbound(d: SipIvrDeps, o: OutboundIvrCall,
  create: (info: IvrCallInfo) => SipIvrCall, hold: (providerCallId: string, call: SipIvrCall, work: Promise<void>) => Promise<void>,
): Promise<OutboundIvrLeg> {
  flowOf(d.flows, o.flowId); // an unknown flow is refused before her phone rings
  // the media server's name for the call: the SIP Call-ID is not known until the INVITE is sent
  const offer = await d.media.offer(`ivr-out-${o.attemptId}`);
  const log = d.log.child({ callId: o.attemptId, flow: o.flowId });
  return {
    sdpOffer: offer.sdpOffer,
    async answered(dialog: Srf.Dialog, providerCallId: string, emit: EmitEvent) {
      let media;
      try {
        media = await offer.answer(dialog.sip.remoteTag, dialog.remote.sdp);
      } catch (err) {
        // she picked up but nothing can be played to her: the call ends rather than leave her in silence
        log.error({ err: (err as Error).message }, 'outbound IVR call answered without media; hung up');
        dialog.destroy();
        return emit('completed', { hungUpBy: 'service' });
      }
      const call = create({ callId: o.attemptId, flowId: o.flowId, line: FALLBACK_LINE, emit,
        call: { provider: 'sip', providerCallId, callerRaw: o.to, dialled: o.callerId, receivedAt: d.clock.now() } });
      await hold(providerCallId, call, call.runAnswered(dialog, media));
    },
    abandon: () => offer.cancel(),
  };
}
