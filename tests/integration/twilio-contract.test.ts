import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { expect } from 'vitest';
import { startFakeTwilioApi, type FakeTwilioApi } from '../fixtures/fake-twilio-api.ts';
import type { TestApp } from '../helpers/app.ts';
import { inboundContract, until, type DriverCall, type InboundDriver } from './inbound-contract.ts';

const ACCOUNT = `AC${'0'.repeat(31)}2`;
const AUTH = 'token-de-contrato-0123456789abcd';
const BASE = 'https://voz.centro.example';
const api: FakeTwilioApi = await startFakeTwilioApi();
const API = api.url;

/** Plays calls as Twilio does: signed webhooks in, REST updates out (to a local stand-in of its API). */
function twilioDriver(): InboundDriver {
  let t: TestApp;
  const post = (path: string, params: Record<string, string>) => t.app.inject({ method: 'POST', url: path,
    payload: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH, `${BASE}${path}`, params) } });
  const driver: InboundDriver = {
    app: { overrides: { publicBaseUrl: BASE, twilio: { accountSid: ACCOUNT, authToken: AUTH, apiBaseUrl: API } } },
    async attach(app) { t = app; },
    async call(from, to) {
      const sid = `CA${randomBytes(16).toString('hex')}`;
      const res = await post('/twilio/voice/incoming', { AccountSid: ACCOUNT, CallSid: sid, From: from ?? 'anonymous', To: to,
        CallStatus: 'ringing', Direction: 'inbound' });
      expect(res.statusCode).toBe(200);
      let seq = 0;
      const call: DriverCall = {
        providerCallId: sid,
        async expectConnected(device) {
          const noun = `>${device}</Sip>`;
          if (res.body.includes('<Dial')) return void expect(res.body).toContain(noun);
          // it waited: the operator freed up and the call was redirected to her through the REST API
          await until(() => api.requests.some((r) => r.path.endsWith(`/Calls/${sid}.json`) && (r.form.get('Twiml') ?? '').includes(noun)));
        },
        async expectWaiting() { expect(res.body).toContain('<Enqueue'); },
        async expectAnsweredAndEnded() { expect(res.body).toContain('<Hangup/>'); },
        async hangUp() {
          const r = await post('/twilio/voice/status', { AccountSid: ACCOUNT, CallSid: sid, CallStatus: 'completed',
            SequenceNumber: String(++seq), Timestamp: new Date().toUTCString() });
          expect(r.statusCode).toBeLessThan(300);
        },
      };
      return call;
    },
    async close() { await api.close(); },
  };
  return driver;
}

inboundContract('Twilio', twilioDriver);
