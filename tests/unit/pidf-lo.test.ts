import { describe, expect, it } from 'vitest';
import { inviteBody, multipartParts, parsePidfLo } from '../../telephony/sip/pidf-lo.ts';

const CRLF = '\r\n';
const NOW = new Date('2026-11-23T10:00:00Z');
const SDP = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 30000 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', ''].join(CRLF);

const pidf = (shape: string, timestamp = '') => `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"
  xmlns:gml="http://www.opengis.net/gml" xmlns:gs="http://www.opengis.net/pidflo/1.0" entity="pres:terminal@example.com">
  <tuple id="t1"><status><gp:geopriv><gp:location-info>${shape}</gp:location-info>
    <gp:usage-rules/></gp:geopriv></status>${timestamp ? `<timestamp>${timestamp}</timestamp>` : ''}</tuple>
</presence>`;
const point = (pos: string) => `<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>${pos}</gml:pos></gml:Point>`;
const circle = (pos: string, radius: string, uom = 'urn:ogc:def:uom:EPSG::9001') =>
  `<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>${pos}</gml:pos><gs:radius uom="${uom}">${radius}</gs:radius></gs:Circle>`;

function multipart(parts: Array<{ type: string; id?: string; body: string }>, boundary = 'bnd-42'): { contentType: string; body: string } {
  const body = parts.map((p) => [`--${boundary}`, `Content-Type: ${p.type}`, ...(p.id ? [`Content-ID: <${p.id}>`] : []), '', p.body].join(CRLF))
    .join(CRLF) + `${CRLF}--${boundary}--${CRLF}`;
  return { contentType: `multipart/mixed; boundary=${boundary}`, body };
}

describe('PIDF-LO (RFC 4119 / 5491)', () => {
  it('reads a GML Point: latitude first, no accuracy, the document time', () => {
    expect(parsePidfLo(pidf(point('40.41680 -3.70380'), '2026-11-23T09:58:00Z'), NOW))
      .toEqual({ lat: 40.4168, lon: -3.7038, accuracyM: null, at: new Date('2026-11-23T09:58:00Z') });
  });

  it('reads a Circle: its radius in metres is the accuracy', () => {
    expect(parsePidfLo(pidf(circle('28.1235 -15.4363', '850.5')), NOW)).toEqual({ lat: 28.1235, lon: -15.4363, accuracyM: 850.5, at: NOW });
  });

  it('takes the time of receipt when the document has none, or one in the future', () => {
    expect(parsePidfLo(pidf(point('40 -3')), NOW)?.at).toEqual(NOW);
    expect(parsePidfLo(pidf(point('40 -3'), '2026-11-23T12:00:00Z'), NOW)?.at).toEqual(NOW);
  });

  it('refuses what it cannot trust: broken XML, no shape, a bad pos, out of range, a radius in other units', () => {
    expect(parsePidfLo('<presence><tuple>', NOW)).toBeNull();
    expect(parsePidfLo(pidf(''), NOW)).toBeNull();
    expect(parsePidfLo(pidf(point('40.4')), NOW)).toBeNull();
    expect(parsePidfLo(pidf(point('norte oeste')), NOW)).toBeNull();
    expect(parsePidfLo(pidf(point('95 -3')), NOW)).toBeNull();
    expect(parsePidfLo(pidf(circle('40 -3', '2', 'urn:ogc:def:uom:EPSG::9036')), NOW)).toBeNull();
    expect(parsePidfLo('<root><location-info>' + point('40 -3') + '</location-info></root>', NOW)).toBeNull();
  });
});

describe('an INVITE body (RFC 6442)', () => {
  it('splits multipart/mixed into parts whose bodies come out byte for byte', () => {
    const { contentType, body } = multipart([{ type: 'application/sdp', body: SDP }, { type: 'application/pidf+xml', id: 'loc1@t.example', body: 'x' }]);
    const parts = multipartParts(contentType, body);
    expect(parts.map((p) => p.type)).toEqual(['application/sdp', 'application/pidf+xml']);
    expect(parts[0]!.body).toBe(SDP);
    expect(parts[1]).toMatchObject({ contentId: '<loc1@t.example>', body: 'x' });
    expect(multipartParts('application/sdp', SDP)).toEqual([]);
  });

  it('offers only the SDP part onwards and finds the part the Geolocation header points at', () => {
    const { contentType, body } = multipart([
      { type: 'application/sdp', body: SDP },
      { type: 'application/pidf+xml', id: 'other@t.example', body: pidf(point('1 1')) },
      { type: 'application/pidf+xml', id: 'loc1@t.example', body: pidf(point('40.4168 -3.7038')) },
    ]);
    const r = inviteBody(contentType, body, '<cid:loc1@t.example>;inserted-by=terminal', NOW);
    expect(r.sdp).toBe(SDP);
    expect(r.location).toEqual({ position: { lat: 40.4168, lon: -3.7038, accuracyM: null, at: NOW }, malformed: false });
  });

  it('keeps a plain SDP body as it is, with no location', () => {
    expect(inviteBody('application/sdp', SDP, undefined, NOW)).toEqual({ sdp: SDP, location: null });
  });

  it('marks a malformed PIDF-LO and still hands over the SDP', () => {
    const { contentType, body } = multipart([{ type: 'application/sdp', body: SDP },
      { type: 'application/pidf+xml', id: 'loc1@t.example', body: '<presence><tuple><status>' }]);
    expect(inviteBody(contentType, body, '<cid:loc1@t.example>', NOW)).toEqual({ sdp: SDP, location: { position: null, malformed: true } });
  });
});
