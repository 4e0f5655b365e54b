import twilio from 'twilio';
import { toE164 } from '../../common/phone.ts';
import type { InboundPlan } from '../port.ts';
import type { TwilioUrls } from './urls.ts';

export type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;

export interface TwimlOptions {
  urls: TwilioUrls;
  ringTimeoutS: number;
  /** Said while a call waits; neutral, never the name of the service (someone may be listening). */
  waitMessage: string;
}

const SPANISH = { language: 'es-ES' } as const;
// the hold document is short so Twilio asks again soon: a bridge lands between two of them anyway
const HOLD_PAUSE_S = 15;

export type DeviceNoun = { kind: 'sip' | 'client' | 'number'; value: string };

/** users.device_uri as a <Dial> noun: `sip:…`, `client:name` or a phone number; null if unusable. */
export function deviceNoun(device: string): DeviceNoun | null {
  const d = device.trim();
  if (/^sips?:\S+$/i.test(d)) return { kind: 'sip', value: d };
  if (/^client:\S+$/i.test(d)) return { kind: 'client', value: d.slice('client:'.length) };
  const e164 = toE164(d);
  return e164 ? { kind: 'number', value: e164 } : null;
}

type DialVerb = ReturnType<VoiceResponse['dial']>;
type NounAttributes = { statusCallbackEvent: ['answered']; statusCallback: string; statusCallbackMethod: 'POST' };

/** The device as its noun inside a <Dial>. */
function ring(d: DialVerb, n: DeviceNoun, attributes: NounAttributes | Record<string, never> = {}): void {
  if (n.kind === 'sip') d.sip(attributes, n.value);
  else if (n.kind === 'client') d.client(attributes, n.value);
  else d.number(attributes, n.value);
}

/** Rings every usable device at once; false when none is usable (the caller must then be held). */
function dial(res: VoiceResponse, callId: string | null, devices: string[], o: TwimlOptions): boolean {
  const nouns = devices.map(deviceNoun).filter((n): n is DeviceNoun => n !== null);
  if (!nouns.length) return false;
  // answerOnBridge: the terminal keeps hearing ringback until a person is really there
  const d = res.dial({ action: o.urls.dialResult(callId), method: 'POST', timeout: o.ringTimeoutS, answerOnBridge: true });
  // the operator's answer is the call's answer time (a call held first was answered by Twilio, not by her)
  const answered: NounAttributes = { statusCallbackEvent: ['answered'], statusCallback: o.urls.operatorAnswered(callId), statusCallbackMethod: 'POST' };
  for (const n of nouns) ring(d, n, answered);
  return true;
}

/** Holds the call in a Twilio queue of its own: our desk decides who goes next, Twilio only holds. */
function enqueue(res: VoiceResponse, queue: string, message: string | null, o: TwimlOptions): void {
  if (message) res.say(SPANISH, message);
  res.enqueue({ waitUrl: o.urls.hold, waitUrlMethod: 'POST' }, queue);
}

/** The TwiML for what the inbound service decided; `prelude` adds what is said first (an IVR's prompts). */
export function renderPlan(plan: InboundPlan, o: TwimlOptions, prelude?: (res: VoiceResponse) => void): string {
  const res = new twilio.twiml.VoiceResponse();
  prelude?.(res);
  switch (plan.action) {
    case 'connect':
      if (!dial(res, plan.callId, [plan.operator.device], o)) enqueue(res, plan.callId, o.waitMessage, o);
      break;
    case 'connect_any':
      if (!dial(res, plan.callId, plan.operators.map((t) => t.device), o)) enqueue(res, plan.callId, o.waitMessage, o);
      break;
    case 'wait':
      enqueue(res, plan.callId, plan.message, o);
      break;
    case 'answer_and_end':
      if (plan.message) res.say(SPANISH, plan.message);
      res.hangup();
      break;
    case 'ivr':
      res.redirect({ method: 'POST' }, o.urls.ivrStart(plan.flow, plan.callId, 'inbound'));
      break;
  }
  return res.toString();
}

/** A waiting call taken out of its queue to ring an operator (REST update of the live call). */
export function renderBridge(callId: string | null, device: string, queue: string, o: TwimlOptions): string {
  const res = new twilio.twiml.VoiceResponse();
  if (!dial(res, callId, [device], o)) enqueue(res, queue, o.waitMessage, o);
  return res.toString();
}

/** Back to waiting (the operator's phone did not answer): said again, queued again. */
export function renderRequeue(queue: string, o: TwimlOptions): string {
  const res = new twilio.twiml.VoiceResponse();
  enqueue(res, queue, o.waitMessage, o);
  return res.toString();
}

/** What the caller hears while queued; Twilio asks for it again when it ends, which makes the loop. */
export function renderHold(o: TwimlOptions): string {
  const res = new twilio.twiml.VoiceResponse();
  res.say(SPANISH, o.waitMessage);
  res.pause({ length: HOLD_PAUSE_S });
  return res.toString();
}

/** When our own code failed: ring the configured fallback devices, or at least hold the call. */
export function renderFallback(devices: string[], queue: string, o: TwimlOptions): string {
  const res = new twilio.twiml.VoiceResponse();
  if (!dial(res, null, devices, o)) enqueue(res, queue, o.waitMessage, o);
  return res.toString();
}

export function renderHangup(): string {
  const res = new twilio.twiml.VoiceResponse();
  res.hangup();
  return res.toString();
}

/** An answered outbound call, put through to the operator reserved for it; hung up if her device is unusable. */
export function renderOutboundBridge(device: string): string {
  const res = new twilio.twiml.VoiceResponse();
  const noun = deviceNoun(device);
  if (!noun) {
    res.hangup();
    return res.toString();
  }
  ring(res.dial({ answerOnBridge: true }), noun);
  return res.toString();
}
