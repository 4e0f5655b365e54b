import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';
import { toE164 } from '../../common/phone.ts';
import { isValidPosition, type LocationService, type Position } from '../../location/index.ts';
import type { Pool } from '../../store/db.ts';
import { technicalRepo } from '../../store/technical.repo.ts';
import { scaipRepo, type AlarmCategory, type ScaipDevice } from '../../store/scaip.repo.ts';
import type { InboundService } from '../inbound.ts';
import { parseLines } from '../lines.ts';
import { onTerminalCall } from '../../dialer/control/index.ts';

/**
 * SCAIP (SS 91100:2014, CLC/TS 50134-9): IP terminals and alarm gateways send a SIP MESSAGE whose
 * body (application/scaip+xml) is an <mrq> (message request); the receiver answers it with an
 * <mrs> (message response) whose <snu> status number is 0 when the message was taken.
 */
export const SCAIP_CONTENT_TYPE = 'application/scaip+xml';
const MAX_BODY = 4096;

/** <snu> values of the <mrs>. */
export const SNU = { ok: 0, tooLong: 1, invalidFormat: 2, wrongContent: 3, notTreated: 5, mandatoryTagMissing: 7 } as const;

export type MessageType = 'ME' | 'RE' | 'IN' | 'PI';
export interface ScaipRequest {
  ref: string; controllerId: string; deviceType: string; messageType: MessageType; deviceId: string | null;
  /** Four digits; an alarm message without one is a manual alarm (the standard's default). */
  statusCode: string | null; callerId: string | null; position: Position | null;
}
export type ScaipParse = { ok: true; request: ScaipRequest } | { ok: false; snu: number; reason: string; ref: string | null };

const parser = new XMLParser({ parseTagValue: false, processEntities: false, trimValues: true, ignoreAttributes: true });
const pad4 = (s: string) => s.padStart(4, '0');
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/** <lge><geo>lat,lon</geo><tim>…</tim></lge>: WGS84 decimal degrees (a sign is accepted: Spain is west of Greenwich). */
function geoPosition(lge: unknown, receivedAt: Date): Position | null {
  if (!lge || typeof lge !== 'object') return null;
  const m = /^\s*([-+]?\d{1,2}(?:\.\d+)?)\s*,\s*([-+]?\d{1,3}(?:\.\d+)?)\s*$/.exec(str((lge as Record<string, unknown>).geo) ?? '');
  if (!m) return null;
  const tim = str((lge as Record<string, unknown>).tim);
  const t = tim ? new Date(/[+-]\d{2}$/.test(tim) ? `${tim}:00` : tim) : null;
  const at = t && !Number.isNaN(t.getTime()) && t.getTime() <= receivedAt.getTime() + 60_000 ? t : receivedAt;
  const p = { lat: Number(m[1]), lon: Number(m[2]), accuracyM: null, at };
  return isValidPosition(p) ? p : null;
}

/** Reads and validates an <mrq>. A bad position never rejects an alarm: it is only left out. */
export function parseScaip(xml: string, receivedAt: Date): ScaipParse {
  if (Buffer.byteLength(xml) > MAX_BODY) return { ok: false, snu: SNU.tooLong, reason: 'too_long', ref: null };
  if (!xml.trim() || XMLValidator.validate(xml) !== true) return { ok: false, snu: SNU.invalidFormat, reason: 'malformed_xml', ref: null };
  const doc = parser.parse(xml) as Record<string, unknown>;
  const mrq = doc.mrq;
  if (!mrq || typeof mrq !== 'object' || Array.isArray(mrq)) return { ok: false, snu: SNU.invalidFormat, reason: 'not_an_mrq', ref: null };
  const f = mrq as Record<string, unknown>;
  const ref = str(f.ref);
  const validRef = ref && /^[0-9a-zA-Z]{1,16}$/.test(ref) ? ref : null;
  const fail = (snu: number, reason: string): ScaipParse => ({ ok: false, snu, reason, ref: validRef });
  const [cid, dty] = [str(f.cid), str(f.dty)];
  if (!ref || !cid || !dty) return fail(SNU.mandatoryTagMissing, 'mandatory_tag_missing');
  if (!validRef || !/^[0-9]{1,16}$/.test(cid) || !/^[0-9]{1,4}$/.test(dty)) return fail(SNU.wrongContent, 'wrong_content');
  const mty = str(f.mty) ?? 'ME';
  if (!['ME', 'RE', 'IN', 'PI'].includes(mty)) return fail(SNU.wrongContent, 'unknown_message_type');
  const stc = str(f.stc);
  if (stc !== null && !/^[0-9]{1,4}$/.test(stc)) return fail(SNU.wrongContent, 'wrong_status_code');
  const did = str(f.did);
  const crd = str(f.crd);
  if ((did && did.length > 8) || (crd && crd.length > 256)) return fail(SNU.wrongContent, 'wrong_content');
  return { ok: true, request: { ref: validRef, controllerId: cid, deviceType: pad4(dty), messageType: mty as MessageType, deviceId: did,
    statusCode: stc === null ? null : pad4(stc), callerId: crd, position: geoPosition(f.lge, receivedAt) } };
}

// Status codes (SS 91100 annex) by what the centre does with them; the alarms proper (0009 automatic,
// 0010 manual, 0011 alert, 0106 trespass, 0107 unauthorised access, 0110 assistance) need no list
const TEST = new Set(['0102', '0103']);
const FAULT = new Set(['0014', '0016', '0023', '0024', '0025', '0026', '0027', '0032', '0033', '0034', '0035', '0036', '0037', '0038',
  '0039', '0040', '0042', '0052', '0063', '0065', '0066', '0067', '0073', '0078', '0085', '0095', '0105', '0122', '0123', '0125']);
const INFORMATION = new Set(['0015', '0019', '0020', '0048', '0070', '0075', '0086', '0091', '0092', '0093', '0094', '0112', '0113', '0114',
  '0115', '0116', '0124']);

/**
 * panic -> emergency; self-test and heartbeat -> technical control; battery and faults -> technical
 * incident; resets, restorals and updates -> information. An alarm message with a status code
 * this list does not know is an emergency: nothing automatic may stand between her and help.
 */
export function categoryOf(r: Pick<ScaipRequest, 'messageType' | 'statusCode'>): AlarmCategory {
  if (r.messageType === 'PI') return 'technical_control';
  const stc = r.statusCode ?? '0010';
  if (TEST.has(stc)) return 'technical_control';
  if (FAULT.has(stc)) return 'technical_incident';
  if (r.messageType !== 'ME' || INFORMATION.has(stc)) return 'information';
  return 'emergency';
}

/** The <mrs> answering a request (ref is validated alphanumeric before it gets here). */
export function renderResponse(ref: string | null, snu: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<mrs>${ref ? `<ref>${ref}</ref>` : ''}<snu>${snu}</snu></mrs>`;
}

/** Numbers the message may identify her terminal by: the controller id, the caller-id element, the From user. */
function candidates(r: ScaipRequest, fromUser: string | null): { imei: string | null; msisdns: string[] } {
  const crd = r.callerId ? /^(?:gsm|tel|sip):([^@;]+)/i.exec(r.callerId)?.[1] ?? null : null;
  const msisdns = [`+${r.controllerId}`, crd, fromUser].map((n) => toE164(n)).filter((n): n is string => !!n);
  return { imei: /^[0-9]{15}$/.test(r.controllerId) ? r.controllerId : null, msisdns: [...new Set(msisdns)] };
}

export interface ScaipDeps {
  pool: Pool; clock: Clock; log: Logger; inbound: InboundService; location: LocationService;
  /** The centre's emergency number: a SCAIP panic takes the emergency line's place in the queue. */
  emergencyNumber: string;
  storeBudgetMs: number;
}

/** The centre number of the emergency line (CENTRE_LINES), where SCAIP panics are queued. */
export function emergencyNumberOf(centreLines: string): string {
  const entry = [...parseLines(centreLines)].find(([, line]) => line === 'emergency');
  if (!entry) throw new Error('CENTRE_LINES has no emergency line: SCAIP panics would have nowhere to go');
  return entry[0];
}

const ALARM_PREFIX = 'scaip:';
const within = <T>(ms: number, p: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error('store budget')), ms); })])
    .finally(() => clearTimeout(timer));
};

/**
 * The MESSAGE handler. A panic has no voice leg: it enters the inbound flow as an emergency call on
 * the emergency line (same desk, same queue, emergencies first, same pop and audit); the moment an
 * operator gets it, it is marked answered and ended, which leaves her in wrap-up with the pop, the
 * map and the disposition on screen to call the usuaria back.
 */
export function scaipIngress(d: ScaipDeps) {
  const reply = (res: Srf.SrfResponse, status: number, body?: string) =>
    res.send(status, body ? { headers: { 'Content-Type': SCAIP_CONTENT_TYPE }, body } : {});

  /** `fresh`: the first time this alarm arrives; sent again, it is only looked up (the inbound flow knows it). */
  async function emergency(r: ScaipRequest, caller: string | null, receivedAt: Date, fresh = true) {
    const providerCallId = `${ALARM_PREFIX}${r.controllerId}:${r.ref}`;
    const plan = await d.inbound.accept({ provider: 'sip', providerCallId, callerRaw: caller, dialled: d.emergencyNumber, receivedAt });
    if (plan.action === 'connect' && fresh) {
      void connected(providerCallId).catch((err: Error) => d.log.error({ callId: plan.callId, err: err.message }, 'alarm events not recorded'));
    }
    return plan.callId;
  }

  /** An operator has the alarm: no voice leg to bridge, so it is answered and ended at once. */
  async function connected(providerCallId: string): Promise<void> {
    const at = d.clock.now();
    await d.inbound.event({ provider: 'sip', providerCallId, sequence: 1, state: 'in_progress', at, answeredBy: 'operator' });
    await d.inbound.event({ provider: 'sip', providerCallId, sequence: 2, state: 'completed', at, detail: { reason: 'scaip_alarm' } });
  }

  async function act(device: ScaipDevice, r: ScaipRequest, category: AlarmCategory, receivedAt: Date): Promise<void> {
    const repo = scaipRepo(d.pool);
    if (r.position) await d.location.record(d.pool, device, 'scaip', r.position);
    // heartbeats are not kept one by one: they move the terminal's self-test time, as its self-test calls do
    if (r.messageType === 'PI') return technicalRepo(d.pool).recordSelftest(device.terminalId, receivedAt);
    const alarm = await repo.insert({ terminalId: device.terminalId, usuariaId: device.usuariaId, controllerId: r.controllerId, ref: r.ref,
      messageType: r.messageType, deviceType: r.deviceType, deviceId: r.deviceId, statusCode: r.statusCode, category, receivedAt });
    if (!alarm.fresh && category !== 'emergency') return; // sent again: already done
    // a test transmission is her terminal's test call: it also closes a control call awaiting it (§10.1 D)
    if (category === 'technical_control') await onTerminalCall(d.pool, { terminalId: device.terminalId, at: receivedAt, line: 'selftest', callAttemptId: null });
    if (category === 'technical_incident') await repo.technicalIncident(alarm.id, device.usuariaId, receivedAt);
    if (category === 'emergency') await repo.setCall(alarm.id, await emergency(r, device.msisdn, receivedAt, alarm.fresh));
  }

  return {
    /** Alarm "calls" are the SCAIP ones: the adapter hands their bridge here. */
    owns: (providerCallId: string) => providerCallId.startsWith(ALARM_PREFIX),
    connected,

    async handle(req: Srf.SrfRequest, res: Srf.SrfResponse, fromUser: string | null): Promise<void> {
      const receivedAt = d.clock.now();
      const log = d.log.child({ source: req.source_address });
      const type = (req.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== SCAIP_CONTENT_TYPE) {
        log.warn({ contentType: type.slice(0, 60) }, 'MESSAGE refused: not a SCAIP body');
        return reply(res, 400);
      }
      const parsed = parseScaip(req.body ?? '', receivedAt);
      if (!parsed.ok) {
        log.warn({ snu: parsed.snu, reason: parsed.reason }, 'SCAIP message refused');
        return reply(res, 400, renderResponse(parsed.ref, parsed.snu));
      }
      const r = parsed.request;
      const category = categoryOf(r);
      const { imei, msisdns } = candidates(r, fromUser);
      let device: ScaipDevice | null;
      try {
        device = await within(d.storeBudgetMs, scaipRepo(d.pool).device(imei, msisdns));
      } catch (err) {
        if (category !== 'emergency') {
          log.error({ err: (err as Error).message }, 'SCAIP message not taken: store unavailable');
          return reply(res, 500, renderResponse(r.ref, SNU.notTreated));
        }
        // emergencies fail open: routed with the number the message gave, recorded by the inbound flow
        log.warn({ err: (err as Error).message }, 'store unavailable: SCAIP panic routed with its number alone');
        await emergency(r, msisdns[0] ?? null, receivedAt);
        return reply(res, 200, renderResponse(r.ref, SNU.ok));
      }
      if (!device) {
        log.warn({ snu: SNU.wrongContent, reason: 'unknown_device', messageType: r.messageType }, 'SCAIP message refused');
        return reply(res, 400, renderResponse(r.ref, SNU.wrongContent));
      }
      try {
        await act(device, r, category, receivedAt);
      } catch (err) {
        log.error({ terminalId: device.terminalId, err: (err as Error).message }, 'SCAIP message not taken');
        return reply(res, 500, renderResponse(r.ref, SNU.notTreated));
      }
      log.info({ terminalId: device.terminalId, category, messageType: r.messageType, statusCode: r.statusCode }, 'SCAIP message taken');
      return reply(res, 200, renderResponse(r.ref, SNU.ok));
    },
  };
}

export type ScaipIngress = ReturnType<typeof scaipIngress>;
