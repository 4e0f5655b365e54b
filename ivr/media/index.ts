/** The IVR's media layer: the port the SIP renderer uses, and its rtpengine adapter. */
export type { Digit, MediaBranch, MediaCall, MediaOffer, MediaPort, MediaSession } from './port.ts';
export { rtpengineMedia, type RtpengineMedia, type RtpengineOptions } from './rtpengine.ts';
export { findBinary, startEmbeddedRtpengine, type EmbeddedRtpengine, type EmbeddedRtpengineOptions } from './embedded.ts';
