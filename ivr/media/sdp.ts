/**
 * The SDP of the app's own leg of an IVR call (the sink): rtpengine plays prompts only into a
 * call with two answered sides, so the app answers the offer rtpengine made for the far side,
 * accepting every codec offered, with a socket it owns.
 */
export function sinkAnswer(offer: string, address: string, port: number, sessionId: number): string {
  const lines = offer.split(/\r?\n/);
  const m = lines.findIndex((l) => l.startsWith('m=audio '));
  if (m < 0) throw new Error('rtpengine offered no audio stream');
  const formats = lines[m]!.split(' ').slice(3).filter(Boolean);
  const end = lines.findIndex((l, i) => i > m && l.startsWith('m='));
  const attrs = lines.slice(m + 1, end < 0 ? undefined : end)
    .filter((l) => /^a=(rtpmap|fmtp|ptime):/.test(l) && formats.includes(l.slice(l.indexOf(':') + 1).split(/[ /]/)[0]!));
  return ['v=0', `o=atenpro-ivr ${sessionId} 1 IN IP4 ${address}`, 's=-', `c=IN IP4 ${address}`, 't=0 0',
    `m=audio ${port} RTP/AVP ${formats.join(' ')}`, ...attrs, 'a=sendrecv', ''].join('\r\n');
}

/**
 * The sink's own offer, for a call we place: the codecs a phone line carries and telephone-event,
 * so that her RFC 2833 keys are negotiated whatever she answers with.
 */
export function sinkOffer(address: string, port: number, sessionId: number): string {
  return ['v=0', `o=atenpro-ivr ${sessionId} 1 IN IP4 ${address}`, 's=-', `c=IN IP4 ${address}`, 't=0 0',
    `m=audio ${port} RTP/AVP 0 8 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
}

/** The audio port of the first audio stream of an SDP, or null. */
export const audioPort = (sdp: string): number | null => {
  const m = /^m=audio (\d+) /m.exec(sdp);
  return m ? Number(m[1]) : null;
};
