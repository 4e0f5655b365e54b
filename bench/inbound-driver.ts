/**
 * The far side of the `inbound` benchmark, forked into its own process because in production
 * Twilio and the operators' consoles are other machines: their work must not run on the app's
 * event loop. It sends signed `incoming` webhooks open-loop, and plays every operator as a very
 * fast one: on `call.offered` she ends the call (signed status callback) and is available again.
 * Every time here is `process.hrtime` of this process; the parent only gets the records.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import twilio from 'twilio';
import WebSocket from 'ws';

export type BenchLine = 'emergency' | 'general';

export interface DriverInit {
  type: 'init';
  origin: string;
  publicBaseUrl: string;
  accountSid: string;
  authToken: string;
  lines: Record<BenchLine, string>;
  operators: { id: string; token: string }[];
}

export interface PhaseCommand { type: 'phase'; name: string; rate: number; durationS: number; graceS: number; callers: string[] }

/** The floor (bench/inbound-floor.ts), driven like the app: signed webhooks at `rate`, pops on one websocket. */
export interface FloorCommand { type: 'floor'; origin: string; rate: number; durationS: number; graceS: number; callers: string[] }

export interface FloorResult {
  type: 'floor-done'; rate: number; sentPerS: number;
  /** Webhook sent -> its pop received, and -> its reply, per call that got both. */
  popMs: number[]; webhookMs: number[];
  /** Calls without a 200 reply or without their pop within the grace. */
  failed: number;
}

export interface CallRecord {
  line: BenchLine;
  /** How late the send was against its open-loop schedule. */
  lagMs: number;
  /** 0 when the request failed or timed out. */
  status: number;
  /** connect / wait: the TwiML the plan renders; fallback: TwiML without our call id (our code failed). */
  action: 'connect' | 'wait' | 'fallback' | 'failed';
  webhookMs: number | null;
  popMs: number | null;
  /** What the pop itself says the call waited in the desk's queue. */
  waitedMs: number | null;
  /** The pop was the emergency fail-open one (store over its budget). */
  degraded: boolean;
}

/** Counted over the whole run, so a duplicate offered while the queue drains between rates is not missed. */
export interface DriverTotals {
  type: 'totals'; duplicatePops: number; operatorErrors: number; pops: number;
  /** Calls answered with our TwiML whose pop never came, however late: lost for good, not just late. */
  neverPopped: number;
}

export interface PhaseResult {
  type: 'phase-done';
  name: string;
  rate: number;
  sentPerS: number;
  calls: CallRecord[];
  duplicatePops: number;
  /** Pops received during this phase for calls of an earlier one (offered late: lost there). */
  strayPops: number;
  /** Status callbacks or presence posts that did not get their 2xx. */
  operatorErrors: number;
  popBytesMean: number;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const CALL_ID_IN_TWIML = new RegExp(`callId=(${UUID.source})|>(${UUID.source})</Enqueue>`);

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LiveCall {
  sid: string; caller: string; sentAt: number; rec: CallRecord; callId: string | null; responded: boolean;
  /** Its `completed` status callback, signed beforehand like the webhook. */
  ended: SignedForm;
}

interface SignedForm { body: string; headers: Record<string, string> }

interface Pop { at: number; waitedMs: number | null; degraded: boolean }

let init: DriverInit;
let base: URL;
// kept-alive connections: no connect per request, as Twilio's own webhook client keeps them
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(method: string, path: string, body: string, headers: Record<string, string>, timeoutMs: number, to: URL = base) {
  return new Promise<{ status: number; text: string }>((resolve) => {
    const req = http.request({ agent, host: to.hostname, port: to.port, method, path,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: 0, text: '' }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

function signedForm(path: string, params: Record<string, string>, publicBaseUrl = init.publicBaseUrl): SignedForm {
  const signature = twilio.getExpectedTwilioSignature(init.authToken, `${publicBaseUrl}${path}`, params);
  return { body: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } };
}

// --- what the driver knows, kept across phases: a call queued in one phase may be offered in the next

let phaseCalls: LiveCall[] = [];
const byCaller = new Map<string, LiveCall>();
const byCallId = new Map<string, LiveCall>();
const pops = new Map<string, Pop>();
const seenMessages = new Set<string>();
let duplicatePops = 0;
let operatorErrors = 0;
const totals = { duplicatePops: 0, operatorErrors: 0 };
const countDuplicate = () => { duplicatePops++; totals.duplicatePops++; };
const countOperatorError = () => { operatorErrors++; totals.operatorErrors++; };
let popBytes = 0;
let popCount = 0;
let actionsInFlight = 0;
/** Operators waiting for the TwiML that names a call they were offered (the pop can come first). */
const sidWaiters = new Map<string, ((call: LiveCall | null) => void)[]>();

function callOf(callId: string, caller: string | null, timeoutMs: number): Promise<LiveCall | null> {
  const known = byCallId.get(callId);
  if (known) return Promise.resolve(known);
  const same = caller ? byCaller.get(caller) : undefined;
  if (same && (same.callId === null || same.callId === callId)) return Promise.resolve(same);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    sidWaiters.set(callId, [...(sidWaiters.get(callId) ?? []), (c) => { clearTimeout(timer); resolve(c); }]);
  });
}

/** The very fast operator: ends the call she was offered and is available again at once. */
async function operatorTakes(op: { id: string; token: string }, callId: string, caller: string | null): Promise<void> {
  actionsInFlight++;
  try {
    const call = await callOf(callId, caller, 15_000);
    if (!call) { countOperatorError(); return; }
    const ended = await request('POST', '/twilio/voice/status', call.ended.body, call.ended.headers, 30_000);
    if (ended.status !== 204) countOperatorError();
    const presence = await request('POST', '/api/console/presence', AVAILABLE, presenceHeaders(op), 30_000);
    if (presence.status !== 200) countOperatorError();
  } finally {
    actionsInFlight--;
  }
}

function onConsoleMessage(op: { id: string; token: string }, data: WebSocket.RawData): void {
  const at = now();
  const text = data.toString();
  const msg = JSON.parse(text) as { id: string; type: string; callId?: string; waitedMs?: number;
    pop?: { caller: string | null; degraded: string | null } };
  if (msg.type !== 'call.offered' || !msg.callId) return;
  popBytes += Buffer.byteLength(text);
  popCount++;
  if (seenMessages.has(msg.id) || pops.has(msg.callId)) { countDuplicate(); return; }
  seenMessages.add(msg.id);
  pops.set(msg.callId, { at, waitedMs: msg.waitedMs ?? null, degraded: !!msg.pop?.degraded });
  void operatorTakes(op, msg.callId, msg.pop?.caller ?? null);
}

async function connectConsole(op: { id: string; token: string }): Promise<WebSocket> {
  const ws = new WebSocket(`${init.origin.replace(/^http/, 'ws')}/ws/console`, { headers: { authorization: `Bearer ${op.token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    // the hub greets every console with its state: from then on it is attached
    ws.once('message', () => resolve());
  });
  ws.on('message', (data) => onConsoleMessage(op, data));
  ws.on('error', () => countOperatorError());
  return ws;
}

const AVAILABLE = JSON.stringify({ presence: 'available' });
const headersOf = new Map<string, Record<string, string>>();
const presenceHeaders = (op: { id: string; token: string }): Record<string, string> => {
  let h = headersOf.get(op.id);
  if (!h) headersOf.set(op.id, (h = { 'content-type': 'application/json', authorization: `Bearer ${op.token}` }));
  return h;
};

async function available(op: { id: string; token: string }): Promise<void> {
  const res = await request('POST', '/api/console/presence', AVAILABLE, presenceHeaders(op), 30_000);
  if (res.status !== 200) throw new Error(`presence of an operator: HTTP ${res.status} ${res.text}`);
}

// --- one phase ------------------------------------------------------------------------------

function sendCall(c: LiveCall, form: { body: string; headers: Record<string, string> }, timeoutMs: number): void {
  c.sentAt = now();
  void request('POST', '/twilio/voice/incoming', form.body, form.headers, timeoutMs).then(({ status, text }) => {
    c.responded = true;
    c.rec.status = status;
    if (status === 0) { c.rec.action = 'failed'; return; }
    c.rec.webhookMs = now() - c.sentAt;
    if (status !== 200) { c.rec.action = 'failed'; return; }
    const m = CALL_ID_IN_TWIML.exec(text);
    const callId = m ? (m[1] ?? m[2])! : null;
    if (!callId) { c.rec.action = 'fallback'; return; }
    c.rec.action = text.includes('<Dial') ? 'connect' : 'wait';
    c.callId = callId;
    byCallId.set(callId, c);
    for (const w of sidWaiters.get(callId) ?? []) w(c);
    sidWaiters.delete(callId);
  });
}

async function runPhase(cmd: PhaseCommand): Promise<PhaseResult> {
  phaseCalls = [];
  duplicatePops = 0; operatorErrors = 0; popBytes = 0; popCount = 0;
  const n = Math.round(cmd.rate * cmd.durationS);
  const interval = 1000 / cmd.rate;
  const lines: BenchLine[] = ['emergency', 'general'];
  // signed beforehand, so the schedule is not held up by the signing
  const planned = Array.from({ length: n }, (_, i) => {
    const line = lines[i % 2]!;
    const caller = cmd.callers[i % cmd.callers.length]!;
    const sid = `CA${randomBytes(16).toString('hex')}`;
    const form = signedForm('/twilio/voice/incoming', { AccountSid: init.accountSid, CallSid: sid, From: caller, To: init.lines[line],
      CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' });
    const rec: CallRecord = { line, lagMs: 0, status: 0, action: 'failed', webhookMs: null, popMs: null, waitedMs: null, degraded: false };
    const ended = signedForm('/twilio/voice/status', { AccountSid: init.accountSid, CallSid: sid, CallStatus: 'completed',
      SequenceNumber: '3', CallDuration: '1', Timestamp: new Date().toUTCString() });
    return { call: { sid, caller, sentAt: 0, rec, callId: null, responded: false, ended } satisfies LiveCall, form };
  });
  const timeoutMs = cmd.graceS * 1000 + cmd.durationS * 1000;
  const { start, sentPerS } = await openLoop(n, interval, (i, lagMs) => {
    const { call, form } = planned[i]!;
    call.rec.lagMs = lagMs;
    phaseCalls.push(call);
    byCaller.set(call.caller, call);
    sendCall(call, form, timeoutMs);
  });
  // the grace: every answered call's pop, or its deadline
  const deadline = now() + cmd.graceS * 1000;
  const settled = () => phaseCalls.every((c) => c.responded && (c.callId === null || pops.has(c.callId)));
  while (!settled() && now() < deadline) await sleep(20);
  // the operators finish what they were doing before the next phase starts
  const quiet = now() + 5000;
  while (actionsInFlight > 0 && now() < quiet) await sleep(20);

  const mine = new Set(phaseCalls.map((c) => c.callId));
  let strayPops = 0;
  for (const [callId, pop] of pops) if (pop.at >= start && !mine.has(callId)) strayPops++;
  for (const c of phaseCalls) {
    const pop = c.callId ? pops.get(c.callId) : undefined;
    // a pop after the grace is a lost one, even if it came while the operators were finishing
    if (pop && pop.at <= deadline) Object.assign(c.rec, { popMs: pop.at - c.sentAt, waitedMs: pop.waitedMs, degraded: pop.degraded });
  }
  return { type: 'phase-done', name: cmd.name, rate: cmd.rate, sentPerS, calls: phaseCalls.map((c) => c.rec),
    duplicatePops, strayPops, operatorErrors, popBytesMean: popCount ? popBytes / popCount : 0 };
}

/** Calls `send(i, lag)` for i < n on an open-loop schedule, one every `interval` ms, however the far side answers. */
async function openLoop(n: number, interval: number, send: (i: number, lagMs: number) => void): Promise<{ start: number; sentPerS: number }> {
  const start = now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now() - start;
      for (; next < n && next * interval <= t; next++) send(next, t - next * interval);
      if (next >= n) return resolve();
      setTimeout(tick, Math.max(0, next * interval - (now() - start)));
    };
    tick();
  });
  return { start, sentPerS: n / ((now() - start) / 1000 || 1) };
}

// --- the floor ------------------------------------------------------------------------------

async function runFloor(cmd: FloorCommand): Promise<FloorResult> {
  const to = new URL(cmd.origin);
  const ws = new WebSocket(`${cmd.origin.replace(/^http/, 'ws')}/ws/floor`);
  await new Promise<void>((resolve, reject) => { ws.once('error', reject); ws.once('message', () => resolve()); });
  const n = Math.round(cmd.rate * cmd.durationS);
  const calls = Array.from({ length: n }, (_, i) => {
    const sid = `CA${randomBytes(16).toString('hex')}`;
    const form = signedForm('/twilio/voice/incoming', { AccountSid: init.accountSid, CallSid: sid, From: cmd.callers[i % cmd.callers.length]!,
      To: init.lines.emergency, CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' }, cmd.origin);
    return { sid, form, sentAt: 0, popAt: null as number | null, webhookMs: null as number | null, status: 0 };
  });
  const bySid = new Map(calls.map((c) => [c.sid, c]));
  // the console's work is the app's console's: parse the message, find its call
  ws.on('message', (data) => {
    const at = now();
    const msg = JSON.parse(data.toString()) as { type: string; callSid?: string };
    const c = msg.callSid ? bySid.get(msg.callSid) : undefined;
    if (msg.type === 'call.offered' && c && c.popAt === null) c.popAt = at;
  });
  const timeoutMs = (cmd.graceS + cmd.durationS) * 1000;
  const { sentPerS } = await openLoop(n, 1000 / cmd.rate, (i) => {
    const c = calls[i]!;
    c.sentAt = now();
    void request('POST', '/twilio/voice/incoming', c.form.body, c.form.headers, timeoutMs, to).then(({ status }) => {
      c.status = status;
      c.webhookMs = now() - c.sentAt;
    });
  });
  const deadline = now() + cmd.graceS * 1000;
  while (calls.some((c) => c.popAt === null || c.webhookMs === null) && now() < deadline) await sleep(20);
  ws.close();
  const done = calls.filter((c) => c.status === 200 && c.popAt !== null && c.webhookMs !== null);
  return { type: 'floor-done', rate: cmd.rate, sentPerS, popMs: done.map((c) => c.popAt! - c.sentAt), webhookMs: done.map((c) => c.webhookMs!),
    failed: n - done.length };
}

// --- the conversation with the parent -------------------------------------------------------

const sockets: WebSocket[] = [];

process.on('message', (msg: DriverInit | PhaseCommand | FloorCommand | { type: 'totals' } | { type: 'stop' }) => {
  void (async () => {
    if (msg.type === 'init') {
      init = msg;
      base = new URL(msg.origin);
      for (const op of msg.operators) sockets.push(await connectConsole(op));
      for (const op of msg.operators) await available(op);
      process.send!({ type: 'ready' });
    } else if (msg.type === 'phase') {
      process.send!(await runPhase(msg));
    } else if (msg.type === 'floor') {
      process.send!(await runFloor(msg));
    } else if (msg.type === 'totals') {
      const neverPopped = [...byCallId.keys()].filter((callId) => !pops.has(callId)).length;
      process.send!({ type: 'totals', ...totals, pops: pops.size, neverPopped } satisfies DriverTotals);
    } else {
      for (const ws of sockets) ws.close();
      agent.destroy();
      process.disconnect();
    }
  })().catch((err: Error) => {
    process.send!({ type: 'error', message: err.stack ?? err.message });
  });
});
