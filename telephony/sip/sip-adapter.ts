import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';
import type { InboundService } from '../inbound.ts';
import type { CallEvent, CallState, InboundPlan, OperatorTarget, OutboundCallRequest, VoiceProvider } from '../port.ts';
import { toE164 } from '../../common/phone.ts';
import type { LocationService } from '../../location/index.ts';
import { inviteBody, type InviteBody } from './pidf-lo.ts';
import type { ScaipIngress } from './scaip.ts';
import type { OutboundIvrLeg, SipIvr } from '../../ivr/sip/index.ts';
import { DomainError } from '../../common/errors.ts';
import { inactiveSdp } from './sdp.ts';
import { isScanner, sourceList } from './sources.ts';

export interface SipConfig {
  /** CIDRs allowed to send requests (the carriers' and PBXs' addresses). */
  allowedSources: string[];
  /** Addresses whose P-Asserted-Identity is believed (the carrier trunks). */
  trustedTrunks: string[];
  /** Host (and port) of the carrier trunk for outbound calls and number-type devices. */
  trunkHost: string;
  ringTimeoutS: number;
}

/** What the adapter does besides calls: positions carried by INVITEs (RFC 6442) and SCAIP MESSAGEs. */
export interface SipExtras {
  location?: LocationService;
  scaip?: ScaipIngress;
  /** The position an INVITE carries is stored before the pop is built, but never holds the call longer than this. */
  locationBudgetMs?: number;
  /** Runs IVR flows (the information line's menu) with media; without it an IVR call goes straight to an operator. */
  ivr?: SipIvr;
}

interface Held {
  callId: string; req: Srf.SrfRequest; res: Srf.SrfResponse; canceled: boolean; seq: number;
  /** The caller's offer: the SDP part alone when the INVITE body is multipart (PIDF-LO beside it). */
  sdp: string;
  dialogs?: { uas: Srf.Dialog; uac: Srf.Dialog };
  /** The INVITE to the operator while it rings: srf misses a CANCEL that arrives before it is confirmed. */
  operatorInvite?: Srf.SrfRequest;
}

/** srf calls cbRequest(err, req), not cbRequest(req) as its bundled types say. */
const onSent = (fn: (req: Srf.SrfRequest) => void) =>
  ((err: unknown, req?: Srf.SrfRequest) => { if (!err && req) fn(req); }) as unknown as (req: Srf.SrfRequest) => void;

/** Where an operator's device is reached: a SIP URI as is, a number through the trunk. */
export const deviceUri = (device: string, trunkHost: string) => (device.startsWith('sip:') || device.startsWith('sips:') ? device
  : `sip:${device.replace(/^tel:/, '')}@${trunkHost}`);

const ANONYMOUS = new Set(['anonymous', 'restricted', 'unavailable', 'unknown', 'private']);

/** SIP status of a failed outbound call to our outcome. */
export function stateOfSipFailure(status: number, timedOut: boolean): CallState {
  if (status === 487) return timedOut ? 'no_answer' : 'canceled';
  if (status === 486 || status === 600) return 'busy';
  if (status === 603) return 'rejected';
  if (status === 480 || status === 408) return 'no_answer';
  return 'failed';
}

/**
 * The drachtio-srf adapter: INVITEs from terminals become provider-neutral calls; a chosen
 * operator is reached as a B2BUA; callers wait ringing (182 Queued) while no one is free.
 */
export function sipAdapter(srf: Srf, inbound: InboundService, config: SipConfig, clock: Clock, log: Logger,
  extras: SipExtras = {}): VoiceProvider {
  const allowed = sourceList(config.allowedSources);
  const trusted = sourceList(config.trustedTrunks);
  const held = new Map<string, Held>();
  if (extras.ivr) inbound.enableIvr('sip');

  const emit = (h: Held, state: CallState, detail?: Record<string, string | number>, answeredBy?: CallEvent['answeredBy']) =>
    inbound.event({ provider: 'sip', providerCallId: h.req.get('Call-ID'), sequence: ++h.seq, state, at: clock.now(), detail, answeredBy })
      .catch((err: Error) => log.error({ callId: h.callId, err: err.message }, 'call event not recorded'));


  // drachtio-srf defines a registrar per SIP method at run time; its types list only invite()
  (srf as unknown as { options(h: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void })
    .options((_req, res) => res.send(200));

  (srf as unknown as { message(h: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void }).message((req, res) => {
    if (isScanner(req.get('User-Agent')) || !allowed(req.source_address)) {
      log.warn({ source: req.source_address }, 'MESSAGE refused: source not allowed');
      return res.send(403);
    }
    if (!extras.scaip) return res.send(405);
    extras.scaip.handle(req, res, callerOf(req)).catch((err: Error) => {
      log.error({ err: err.message }, 'MESSAGE failed');
      if (!res.finalResponseSent) res.send(500);
    });
  });

  /** Stores the position an INVITE carries, within its budget; an unreadable one lets the call go on without it. */
  async function recordPosition(caller: string | null, location: NonNullable<InviteBody['location']>): Promise<void> {
    if (!location.position) return void log.warn({ source: 'sip_invite' }, 'PIDF-LO unreadable: the call goes on without a position');
    const e164 = toE164(caller);
    if (!e164 || !extras.location) return;
    const write = extras.location.recordForCaller(e164, 'sip_invite', location.position);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([write, new Promise((resolve) => { timer = setTimeout(resolve, extras.locationBudgetMs ?? 100); })])
      .catch((err: Error) => log.warn({ err: err.message }, 'position from INVITE not stored'))
      .finally(() => clearTimeout(timer));
    write.catch(() => undefined);
  }

  srf.invite(async (req, res) => {
    if (isScanner(req.get('User-Agent')) || !allowed(req.source_address)) {
      log.warn({ source: req.source_address }, 'INVITE refused: source not allowed');
      return res.send(403);
    }
    res.send(180); // at once: the terminal must hear that the centre is there
    const body = inviteBody(req.get('Content-Type'), req.body ?? '', req.has('Geolocation') ? req.get('Geolocation') : undefined, clock.now());
    const h: Held = { callId: '', req, res, canceled: false, seq: 0, sdp: body.sdp };
    req.on('cancel', () => {
      h.canceled = true;
      try { h.operatorInvite?.cancel(() => undefined); } catch { /* already canceled by srf */ }
      held.delete(req.get('Call-ID'));
      void emit(h, 'canceled');
    });
    try {
      if (body.location) await recordPosition(callerOf(req), body.location);
      const plan = await inbound.accept({ provider: 'sip', providerCallId: req.get('Call-ID'), callerRaw: callerOf(req),
        dialled: req.calledNumber || req.uri, receivedAt: clock.now() });
      h.callId = plan.callId;
      if (!h.canceled) await follow(h, plan);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'inbound call failed');
      if (!res.finalResponseSent) res.send(500);
    }
  });

  function callerOf(req: Srf.SrfRequest): string | null {
    try {
      const header = trusted(req.source_address) && req.has('P-Asserted-Identity') ? 'p-asserted-identity' : 'from';
      const user = Srf.parseUri(req.getParsedHeader(header as 'from').uri)?.user;
      return user && !ANONYMOUS.has(user.toLowerCase()) ? user : null;
    } catch {
      return null; // an unreadable From is an unknown caller, never a refused call
    }
  }

  async function follow(h: Held, plan: InboundPlan): Promise<void> {
    switch (plan.action) {
      case 'connect': return connect(h, plan.operator);
      case 'connect_any': return connect(h, ...plan.operators);
      case 'wait':
        held.set(h.req.get('Call-ID'), h);
        h.res.send(182, 'Queued', {});
        return void emit(h, 'waiting');
      case 'answer_and_end': {
        const uas = await srf.createUAS(h.req, h.res, { localSdp: inactiveSdp() });
        void emit(h, 'in_progress');
        uas.destroy();
        return void emit(h, 'completed');
      }
      // the flow runs with media (ivr/sip/); when it cannot answer, the caller goes straight to an operator on the line
      case 'ivr': {
        const call = { provider: 'sip' as const, providerCallId: h.req.get('Call-ID'), callerRaw: callerOf(h.req),
          dialled: h.req.calledNumber || h.req.uri, receivedAt: clock.now() };
        if (extras.ivr && await extras.ivr.run({ req: h.req, res: h.res, call, sdpOffer: h.sdp, callId: plan.callId, line: plan.line, flowId: plan.flow,
          emit: (state, detail, answeredBy) => void emit(h, state, detail, answeredBy) })) return;
        return follow(h, await inbound.connectFromIvr(call, plan.callId, plan.line));
      }
    }
  }

  async function connect(h: Held, ...targets: OperatorTarget[]): Promise<void> {
    held.delete(h.req.get('Call-ID'));
    const target = targets[0];
    if (!target) return void h.res.send(480);
    let timer: NodeJS.Timeout | undefined;
    /** She picked up: a failure after this is the caller's leg, which srf could not answer. */
    let operatorAnswered = false;
    try {
      const dialogs = await srf.createB2BUA(h.req, h.res, deviceUri(target.device, config.trunkHost), { passFailure: false, localSdpB: h.sdp }, {
        cbRequest: onSent((uacReq) => {
          h.operatorInvite = uacReq;
          timer = setTimeout(() => uacReq.cancel(() => undefined), config.ringTimeoutS * 1000);
        }),
        cbFinalizedUac: () => { operatorAnswered = true; },
      });
      clearTimeout(timer);
      h.dialogs = dialogs;
      void emit(h, 'in_progress', undefined, 'operator');
      const end = (side: string) => () => {
        (side === 'uas' ? dialogs.uac : dialogs.uas).destroy();
        void emit(h, 'completed', { hungUpBy: side === 'uas' ? 'caller' : 'operator' });
      };
      dialogs.uas.on('destroy', end('uas'));
      dialogs.uac.on('destroy', end('uac'));
      // a BYE that came in before srf handed us the dialogs was answered with no listener to hear it
      // (srf's Dialog sets `connected`, its types do not declare it)
      const gone = (d: object) => (d as { connected?: boolean }).connected === false;
      if (gone(dialogs.uas)) end('uas')();
      else if (gone(dialogs.uac)) end('uac')();
    } catch (err) {
      clearTimeout(timer);
      if (h.canceled) return;
      if (operatorAnswered) {
        // the caller's INVITE was ended behind our back (drachtio answers a CANCEL it cannot match with 481
        // and ends the INVITE with 500 without telling the app): srf has hung up on the operator. Back in
        // line, this dead call would ring every next free operator and mark each one away.
        log.warn({ callId: h.callId, err: String((err as Error)?.message ?? err) }, 'caller gone when the operator answered');
        held.delete(h.req.get('Call-ID'));
        return void emit(h, 'failed', { reason: 'caller_gone' });
      }
      // the operator's phone did not answer: the caller keeps waiting and the call goes back first in line
      log.warn({ callId: h.callId, status: (err as { status?: number }).status }, 'operator leg failed');
      held.set(h.req.get('Call-ID'), h);
      if (!h.res.finalResponseSent) h.res.send(182, 'Queued', {});
      await inbound.operatorMissed(h.callId);
    }
  }

  return {
    name: 'sip',
    async bridge(providerCallId, operator) {
      if (extras.ivr?.bridge(providerCallId, operator)) return;
      if (extras.scaip?.owns(providerCallId)) return extras.scaip.connected(providerCallId);
      const h = held.get(providerCallId);
      // the operator's phone may ring for a while: the bridge starts here and ends on its own
      if (h && !h.canceled) void connect(h, operator).catch((err: Error) => log.error({ err: err.message }, 'bridge failed'));
    },
    async hangup(providerCallId) {
      if (extras.ivr?.hangup(providerCallId)) return;
      const h = held.get(providerCallId);
      if (h && !h.res.finalResponseSent) h.res.send(480);
      held.delete(providerCallId);
    },
    async placeCall(req: OutboundCallRequest) {
      if (!req.flow || req.operator) return placeUac(srf, req, config, clock, inbound, log);
      // a call that runs a flow (a control call): never placed silent, for want of media to run it
      if (!extras.ivr) throw new DomainError('provider_unavailable', 'SIP IVR without media: the flow cannot run', { flow: req.flow }, false);
      const leg = await extras.ivr.prepare({ attemptId: req.attemptId, flowId: req.flow, to: req.to, callerId: req.callerId });
      return placeUac(srf, req, config, clock, inbound, log, leg);
    },
  };
}

/** A 3PCC leg whose 200 is not yet acknowledged: srf hands back the far end's offer and the ACK to send. */
interface PendingLeg { sdp: string; ack(localSdp: string): Promise<Srf.Dialog> }

/** Rings the operator reserved for an outbound call, without an offer; resolves when she answers. */
function callOperator(srf: Srf, uri: string, ringTimeoutS: number): Promise<PendingLeg> {
  let timer: NodeJS.Timeout | undefined;
  return (srf.createUAC(uri, { noAck: true, headers: { 'X-Atenpro-Leg': 'operator' } }, {
    cbRequest: onSent((req) => { timer = setTimeout(() => req.cancel(() => undefined), ringTimeoutS * 1000); }),
  }) as unknown as Promise<PendingLeg>).finally(() => clearTimeout(timer));
}

/**
 * An outbound call through the trunk, with a ring timeout. With an operator reserved (progressive
 * dialling) her phone is called first, before hers: when she answers there is already a person on
 * the line (3PCC: the operator's offer goes to her, her answer back in the operator's ACK). With an
 * IVR leg (a flow), the media server's offer goes to her and the flow runs once she answers.
 */
function placeUac(srf: Srf, r: OutboundCallRequest, config: SipConfig, clock: Clock, inbound: InboundService, log: Logger,
  ivrLeg?: OutboundIvrLeg) {
  return (r.operator ? callOperator(srf, deviceUri(r.operator.device, config.trunkHost), r.ringTimeoutS) : Promise.resolve(null))
    .then((operatorLeg) => new Promise<{ providerCallId: string }>((resolve, reject) => {
      let seq = 0;
      let callId = '';
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const emit = (state: CallState, detail?: Record<string, string | number>, answeredBy?: CallEvent['answeredBy']) =>
        inbound.event({ provider: 'sip', providerCallId: callId, sequence: ++seq, state, at: clock.now(), detail, answeredBy })
          .catch((err: Error) => log.error({ err: err.message }, 'outbound event not recorded'));
      const releaseOperator = () => operatorLeg?.ack(inactiveSdp()).then((d) => d.destroy()).catch(() => undefined);
      srf.createUAC(`sip:${r.to}@${config.trunkHost}`, {
        headers: { From: `<sip:${r.callerId}@${config.trunkHost}>`, 'X-Attempt-Id': r.attemptId }, localSdp: operatorLeg?.sdp ?? ivrLeg?.sdpOffer ?? inactiveSdp(),
      }, {
        cbRequest: onSent((req) => {
          callId = req.get('Call-ID');
          resolve({ providerCallId: callId });
          timer = setTimeout(() => { timedOut = true; req.cancel(() => undefined); }, r.ringTimeoutS * 1000);
        }),
        cbProvisional: (res) => { if (res.status === 180 || res.status === 183) void emit('ringing', { sip: res.status }); },
      }).then(async (dialog) => {
        clearTimeout(timer);
        const other = operatorLeg ? await operatorLeg.ack(dialog.remote.sdp) : null;
        void emit('in_progress', undefined, 'human');
        if (ivrLeg) {
          return void ivrLeg.answered(dialog, callId, (state, detail, by) => void emit(state, detail, by))
            .catch((err: Error) => log.error({ err: err.message }, 'outbound IVR flow failed'));
        }
        let ended = false;
        const end = (hungUpBy: string, peer: Srf.Dialog | null) => () => {
          if (ended) return;
          ended = true;
          peer?.destroy();
          void emit('completed', { hungUpBy });
        };
        dialog.on('destroy', end('usuaria', other));
        other?.on('destroy', end('operator', dialog));
      }).catch((err: { status?: number }) => {
        clearTimeout(timer);
        void releaseOperator();
        void ivrLeg?.abandon();
        if (!callId) return reject(err);
        void emit(stateOfSipFailure(err.status ?? 500, timedOut), { sip: err.status ?? 0 });
      });
    }));
}
