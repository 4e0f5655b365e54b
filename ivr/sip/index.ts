/** The SIP renderer of the IVR: flows run on drachtio calls with rtpengine media. */
export { realTimers, type IvrTimers, type WaitKind } from './keys.ts';
export { sipIvr } from './registry.ts';
export { startSipIvr, type MediaConfig, type SipIvrStartDeps } from './start.ts';
export type {
  EmitEvent, IvrCallInfo, IvrInvite, IvrRouting, OutboundIvrCall, OutboundIvrLeg, OutcomeRecord, SipIvr, SipIvrDeps,
} from './types.ts';
