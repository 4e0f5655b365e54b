/** A minimal SDP that answers a call without media (the self-test line needs no audio). */
export function inactiveSdp(address = '127.0.0.1'): string {
  const id = Date.now();
  return ['v=0', `o=atenpro ${id} ${id} IN IP4 ${address}`, 's=-', `c=IN IP4 ${address}`, 't=0 0',
    'm=audio 9 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
    'a=inactive', ''].join('\r\n');
}
