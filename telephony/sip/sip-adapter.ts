import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';
import type { InboundService } from '../inbound.ts';
import type { CallEvent, CallState, InboundPlan, OperatorTarget, OutboundCallRequest, VoiceProvider } from '../port.ts';
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

interface Held {
  callId: string; req: Srf.SrfRequest; res: Srf.SrfResponse; canceled: boolean; seq: number;
  dialogs?: { uas: Srf.Dialog; uac: Srf.Dialog };
  /** The INVITE to the operator while it rings: srf misses a CANCEL that arrives before it is confirmed. */
  operatorInvite?: Srf.SrfRequest;
}

/** srf calls cbRequest(err, req), not cbRequest(req) as its bundled types say. */
const onSent = (fn: (req: Srf.SrfRequest) => void) =>
  ((err: unknown, req?: Srf.SrfRequest) => { if (!err && req) fn(req); }) as unknown as (req: Srf.SrfRequest) => void;

/** Where an operator's device is reached: a SIP URI as is, a number through the trunk. */
const deviceUri = (device: string, trunkHost: string) => (device.startsWith('sip:') || device.startsWith('sips:') ? device
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
export function sipAdapter(srf: Srf, inbound: InboundService, config: SipConfig, clock: Clock, log: Logger): VoiceProvider {
  const allowed = sourceList(config.allowedSources);
  const trusted = sourceList(config.trustedTrunks);
  const held = new Map<string, Held>();

  const emit = (h: Held, state: CallState, detail?: Record<string, string | number>, answeredBy?: CallEvent['answeredBy']) =>
    inbound.event({ provider: 'sip', providerCallId: h.req.get('Call-ID'), sequence: ++h.seq, state, at: clock.now(), detail, answeredBy })
      .catch((err: Error) => log.error({ callId: h.callId, err: err.message }, 'call event not recorded'));


  // drachtio-srf defines a registrar per SIP method at run time; its types list only invite()
  (srf as unknown as { options(h: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void })
    .options((_req, res) => res.send(200));

  srf.invite(async (req, res) => {
    if (isScanner(req.get('User-Agent')) || !allowed(req.source_address)) {
      log.warn({ source: req.source_address }, 'INVITE refused: source not allowed');
      return res.send(403);
    }
    res.send(180); // at once: the terminal must hear that the centre is there
    const h: Held = { callId: '', req, res, canceled: false, seq: 0 };
    req.on('cancel', () => {
      h.canceled = true;
      try { h.operatorInvite?.cancel(() => undefined); } catch { /* already canceled by srf */ }
      held.delete(req.get('Call-ID'));
      void emit(h, 'canceled');
    });
    try {
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
      const dialogs = await srf.createB2BUA(h.req, h.res, deviceUri(target.device, config.trunkHost), { passFailure: false }, {
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
      const h = held.get(providerCallId);
      // the operator's phone may ring for a while: the bridge starts here and ends on its own
      if (h && !h.canceled) void connect(h, operator).catch((err: Error) => log.error({ err: err.message }, 'bridge failed'));
    },
    async hangup(providerCallId) {
      const h = held.get(providerCallId);
      if (h && !h.res.finalResponseSent) h.res.send(480);
      held.delete(providerCallId);
    },
    async placeCall(req: OutboundCallRequest) {
      return placeUac(srf, req, config, clock, inbound, log);
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
 * the line (3PCC: the operator's offer goes to her, her answer back in the operator's ACK).
 */
function placeUac(srf: Srf, r: OutboundCallRequest, config: SipConfig, clock: Clock, inbound: InboundService, log: Logger) {
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
        headers: { From: `<sip:${r.callerId}@${config.trunkHost}>`, 'X-Attempt-Id': r.attemptId }, localSdp: operatorLeg?.sdp ?? inactiveSdp(),
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
        if (!callId) return reject(err);
        void emit(stateOfSipFailure(err.status ?? 500, timedOut), { sip: err.status ?? 0 });
      });
    }));
}
