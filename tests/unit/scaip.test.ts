import { describe, expect, it } from 'vitest';
import { categoryOf, parseScaip, renderResponse, SNU } from '../../telephony/sip/scaip.ts';

const NOW = new Date('2026-11-23T10:00:00Z');
const mrq = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><mrq>${inner}</mrq>`;

describe('SCAIP message request', () => {
  it('reads every element it uses, padding codes to four digits and reading a signed position', () => {
    const r = parseScaip(mrq('<ref>A1b2</ref><ver>01.00</ver><mty>ME</mty><cid>356938035643809</cid><dty>7</dty><did>01</did>'
      + '<stc>10</stc><crd>gsm:+34612345678</crd><lge><geo>40.4168,-3.7038</geo><tim>2026-11-23T09:59:00+01</tim></lge>'), NOW);
    expect(r).toEqual({ ok: true, request: { ref: 'A1b2', controllerId: '356938035643809', deviceType: '0007', messageType: 'ME',
      deviceId: '01', statusCode: '0010', callerId: 'gsm:+34612345678',
      position: { lat: 40.4168, lon: -3.7038, accuracyM: null, at: new Date('2026-11-23T08:59:00Z') } } });
  });

  it('defaults the message type to ME and leaves out an unreadable position without refusing the alarm', () => {
    const r = parseScaip(mrq('<ref>1</ref><cid>34612345678</cid><dty>0003</dty><lge><geo>al norte</geo></lge>'), NOW);
    expect(r).toMatchObject({ ok: true, request: { messageType: 'ME', statusCode: null, position: null } });
  });

  it('refuses malformed XML, an unknown body, missing mandatory tags and wrong content, with the standard\'s status numbers', () => {
    expect(parseScaip('<mrq><ref>1</ref><cid>1', NOW)).toEqual({ ok: false, snu: SNU.invalidFormat, reason: 'malformed_xml', ref: null });
    expect(parseScaip('<alarm><ref>1</ref></alarm>', NOW)).toMatchObject({ ok: false, snu: SNU.invalidFormat, reason: 'not_an_mrq' });
    expect(parseScaip('', NOW)).toMatchObject({ ok: false, snu: SNU.invalidFormat });
    expect(parseScaip(mrq('<ref>7</ref><dty>4</dty>'), NOW)).toEqual({ ok: false, snu: SNU.mandatoryTagMissing, reason: 'mandatory_tag_missing', ref: '7' });
    expect(parseScaip(mrq('<ref>7</ref><cid>12ab</cid><dty>4</dty>'), NOW)).toMatchObject({ ok: false, snu: SNU.wrongContent, ref: '7' });
    expect(parseScaip(mrq('<ref>7</ref><cid>1</cid><dty>4</dty><mty>XX</mty>'), NOW)).toMatchObject({ ok: false, reason: 'unknown_message_type' });
    expect(parseScaip(mrq('<ref>bad ref!</ref><cid>1</cid><dty>4</dty>'), NOW)).toMatchObject({ ok: false, snu: SNU.wrongContent, ref: null });
    expect(parseScaip(mrq(`<ref>1</ref><cid>1</cid><dty>4</dty><ite>${'x'.repeat(5000)}</ite>`), NOW)).toMatchObject({ ok: false, snu: SNU.tooLong });
  });
});

describe('what the centre does with a SCAIP message', () => {
  it.each([
    ['ME', '0010', 'emergency'], ['ME', null, 'emergency'], ['ME', '0009', 'emergency'], ['ME', '0110', 'emergency'],
    ['ME', '0102', 'technical_control'], ['PI', null, 'technical_control'], ['PI', '0070', 'technical_control'],
    ['ME', '0016', 'technical_incident'], ['ME', '0067', 'technical_incident'], ['IN', '0014', 'technical_incident'],
    ['ME', '0019', 'information'], ['RE', '0010', 'information'], ['ME', '0094', 'information'],
    // an alarm with a code nobody listed reaches an operator: fail open
    ['ME', '0999', 'emergency'],
  ] as const)('%s with status %s -> %s', (messageType, statusCode, category) => {
    expect(categoryOf({ messageType, statusCode })).toBe(category);
  });

  it('answers with an <mrs> echoing the reference', () => {
    expect(renderResponse('A1b2', 0)).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<mrs><ref>A1b2</ref><snu>0</snu></mrs>');
    expect(renderResponse(null, 2)).toContain('<mrs><snu>2</snu></mrs>');
  });
});
