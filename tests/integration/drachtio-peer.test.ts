import { once } from 'node:events';
import net from 'node:net';
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sdpOffer, sipHeader, sipRequest, startDrachtioPeer, tagOf, uriOf, type DrachtioPeer } from '../fixtures/drachtio-peer.ts';

const SECRET = 'cymru-test';
const OPERATOR = 'sip:op1@127.0.0.1:5099';

// srf's bundled typings lack the reconnect/ping options, Dialog#id and the status on its errors
type ConnectOptions = Srf.SrfConfig & {
  reconnect?: { maxAttempts?: number; retryMaxDelay?: number };
  enablePing?: boolean;
  pingInterval?: number;
};
const idOf = (d: Srf.Dialog): string => (d as unknown as { id: string }).id;
const connectOptions = (port: number, secret: string): ConnectOptions =>
  ({ host: '127.0.0.1', port, secret, reconnect: { maxAttempts: 1, retryMaxDelay: 500 }, enablePing: true, pingInterval: 5000 });

function connect(srf: Srf, opts: ConnectOptions): Promise<unknown[]> {
  const connected = once(srf, 'connect');
  srf.connect(opts);
  return connected;
}

const caller = (body = sdpOffer({ port: 30000 })): string => sipRequest({
  method: 'INVITE', uri: 'sip:900100200@127.0.0.1:5060', from: '"Usuaria" <sip:+34600111222@carrier.example>',
  to: '<sip:900100200@127.0.0.1>', via: '10.20.0.5:5060', body,
});

/** The smallest app that exercises what atenpro-voice does with srf: answer OPTIONS, bridge INVITEs to an operator. */
function tinyApp(srf: Srf) {
  const state = {
    calls: [] as Array<{ uas: Srf.Dialog; uac: Srf.Dialog }>,
    failures: [] as Array<{ status?: number; message: string }>,
    cancels: 0,
    options: 0,
  };
  srf.use('options', (_req, res) => {
    state.options++;
    res.send(200, { headers: { 'X-App': 'atenpro-voice' } });
  });
  srf.invite((req, res) => {
    req.on('cancel', () => { state.cancels++; });
    res.send(180);
    srf.createB2BUA(req, res, OPERATOR, { headers: { 'X-Atenpro-Call': 'test' } })
      .then(({ uas, uac }) => {
        state.calls.push({ uas, uac });
        // either side hanging up ends the other
        uas.on('destroy', () => uac.destroy(undefined, () => {}));
        uac.on('destroy', () => uas.destroy(undefined, () => {}));
      })
      .catch((err: { status?: number; message: string }) => { state.failures.push({ status: err.status, message: err.message }); });
  });
  return state;
}

describe('authentication', () => {
  it('lets an app in with the right secret and tells it the SIP hostports and server version', async () => {
    const peer = await startDrachtioPeer({ secret: SECRET });
    const srf = new Srf();
    srf.on('error', () => {});
    const [err, hostport, version] = await connect(srf, connectOptions(peer.port, SECRET));
    expect(err).toBeNull();
    expect(hostport).toBe('udp/127.0.0.1:5060,tcp/127.0.0.1:5060');
    expect(version).toMatch(/^v\d+\.\d+\.\d+/);
    await peer.connected();
    expect(peer.authFailures).toBe(0);
    srf.disconnect();
    await peer.close();
  });

  it('refuses a wrong secret and drops the connection, as drachtio-server does', async () => {
    const peer = await startDrachtioPeer({ secret: SECRET });
    const srf = new Srf();
    srf.on('error', () => {});
    const closed = once(srf, 'close');
    const [err] = await connect(srf, connectOptions(peer.port, 'not-the-secret'));
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/failed to authenticate/);
    await closed;
    expect(peer.authFailures).toBe(1);
    expect(peer.anomalies).toContainEqual(expect.objectContaining({ kind: 'refused', reason: 'incorrect secret' }));
    await expect(peer.connected({ timeoutMs: 200 })).rejects.toThrow(/timed out/);
    await peer.close();
  });
});

describe('a connected app', () => {
  let peer: DrachtioPeer;
  let srf: Srf;
  let app: ReturnType<typeof tinyApp>;

  beforeAll(async () => {
    peer = await startDrachtioPeer({ secret: SECRET });
    srf = new Srf();
    srf.on('error', () => {});
    app = tinyApp(srf);
    const [err] = await connect(srf, connectOptions(peer.port, SECRET));
    expect(err).toBeNull();
    // srf registers its routes right after authenticating; before that the server answers 503
    await peer.routed(['invite', 'options']);
  });
  afterAll(async () => {
    srf.disconnect();
    await peer.close();
  });

  it('answers an OPTIONS ping', async () => {
    const tx = peer.inject(sipRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1:5060', from: '<sip:monitor@10.20.0.9>', to: '<sip:127.0.0.1:5060>', via: '10.20.0.9:5060' }));
    const ok = await tx.response();
    expect(ok).toMatchObject({ status: 200, origin: 'app' });
    expect(ok.header('X-App')).toBe('atenpro-voice');
    expect(tagOf(ok.header('to'))).toBeTruthy();
    expect(ok.header('via')).toContain('rport=5060');
    expect(tx.delivered).toBe(true);
  });

  it('bridges a caller to an operator with createB2BUA, then a caller BYE ends both legs', async () => {
    const answer = sdpOffer({ port: 31000 });
    const offer = sdpOffer({ port: 30000 });
    const tx = peer.inject(caller(offer));
    expect((await tx.response(180)).origin).toBe('app');

    const invite = await peer.nextRequest({ method: 'INVITE' });
    expect(invite.uri).toBe(OPERATOR);
    expect(invite.header('X-Atenpro-Call')).toBe('test');
    expect(invite.body).toBe(offer);
    // srf asks for the caller's number @localhost, which the server turns into its own address
    expect(uriOf(invite.header('from'))).toBe('sip:+34600111222@127.0.0.1:5060');
    invite.respond(180);
    invite.respond(200, { body: answer });

    const ok = await tx.response(200);
    expect(ok.origin).toBe('app');
    expect(ok.body).toBe(answer);
    expect(ok.header('contact')).toBe('<sip:127.0.0.1:5060>');
    expect(tx.statuses()).toEqual([100, 180, 180, 200]);
    expect(tx.responses[0]!.origin).toBe('server');
    const ackToOperator = await peer.nextRequest({ method: 'ACK' });
    expect(ackToOperator.dialogId).toBe(invite.dialogId);

    await vi.waitUntil(() => app.calls.length === 1 && tx.ack !== undefined);
    const { uas, uac } = app.calls[0]!;
    expect(idOf(uac)).toBe(invite.dialogId);
    expect(idOf(uas)).toBe(`${tx.callId};from-tag=${tagOf(sipHeader(tx.message!, 'from'))}`);
    expect(peer.dialogs().map((d) => d.id).sort()).toEqual([idOf(uas), idOf(uac)].sort());

    const bye = peer.inject(tx.inDialog('BYE'));
    const byeToOperator = await peer.nextRequest({ method: 'BYE' });
    expect(byeToOperator.dialogId).toBe(idOf(uac));
    expect(byeToOperator.uri).toBe(OPERATOR);
    byeToOperator.respond(200);
    expect(await bye.response()).toMatchObject({ status: 200, origin: 'app' });
    await vi.waitUntil(() => peer.dialogs().length === 0);
  });

  it('passes a caller CANCEL on to the ringing operator leg; the caller gets 487', async () => {
    const failuresBefore = app.failures.length;
    const tx = peer.inject(caller());
    const invite = await peer.nextRequest({ method: 'INVITE' });
    invite.respond(180);
    await vi.waitUntil(() => tx.statuses().filter((s) => s === 180).length === 2);

    const cancel = tx.cancel({ headers: { Reason: 'SIP;cause=487;text="caller gave up"' } });
    expect(await cancel.response()).toMatchObject({ status: 200, origin: 'server' });
    // sofia answers the INVITE itself; the app's own 487 arrives too late and is refused
    expect(await tx.response()).toMatchObject({ status: 487, origin: 'server' });

    const cancelToOperator = await peer.nextRequest({ method: 'CANCEL' });
    expect(cancelToOperator.callId).toBe(invite.callId);
    expect(cancelToOperator.header('via')).toBe(invite.header('via'));
    expect(cancelToOperator.header('reason')).toBe('SIP;cause=487;text="caller gave up"');
    cancelToOperator.respond(200);
    invite.respond(487);

    await vi.waitUntil(() => app.failures.length === failuresBefore + 1);
    expect(app.failures.at(-1)).toMatchObject({ status: 487 });
    expect(app.cancels).toBe(1);
    expect(tx.statuses()).toEqual([100, 180, 180, 487]);
    expect(peer.anomalies).toContainEqual(expect.objectContaining({ kind: 'refused', reason: 'Response not sent due to unknown transaction' }));
    expect(peer.dialogs()).toEqual([]);
  });

  it('routes an operator BYE into the operator leg, and the app hangs up the caller', async () => {
    const tx = peer.inject(caller());
    const invite = await peer.nextRequest({ method: 'INVITE' });
    invite.respond(200, { body: sdpOffer({ port: 31000 }) });
    await peer.nextRequest({ method: 'ACK' });
    // srf holds requests on the operator leg until the caller's ACK arrives
    await vi.waitUntil(() => tx.ack?.delivered === true);

    const operatorBye = peer.inject(invite.inDialog('BYE'));
    expect(operatorBye.dialogId).toBe(invite.dialogId);
    const byeToCaller = await peer.nextRequest({ method: 'BYE' });
    expect(byeToCaller.uri).toBe('sip:+34600111222@10.20.0.5:5060');
    expect(byeToCaller.header('to')).toBe(sipHeader(tx.message!, 'from'));
    expect(byeToCaller.header('cseq')).toBe('2 BYE');
    byeToCaller.respond(200);
    expect(await operatorBye.response()).toMatchObject({ status: 200, origin: 'app' });
    await vi.waitUntil(() => peer.dialogs().length === 0);
  });

  it('delivers a CANCEL that beats the app to its first answer, as a request of its own', async () => {
    const failuresBefore = app.failures.length;
    const cancelsBefore = app.cancels;
    const tx = peer.inject(caller());
    const cancel = tx.cancel();
    expect(cancel.transactionId).toBe(tx.transactionId);
    expect(tx.statuses()).toEqual([100, 487]);
    // the app still runs its INVITE handler; its 180 and the B leg it starts are its own problem
    const invite = await peer.nextRequest({ method: 'INVITE' });
    await vi.waitUntil(() => app.cancels === cancelsBefore + 1);
    invite.respond(480);
    await vi.waitUntil(() => app.failures.length === failuresBefore + 1);
    expect(app.failures.at(-1)).toMatchObject({ status: 480 });
    expect(tx.statuses()).toEqual([100, 487]);
  });

  it.each([486, 480, 408])('rejects a createUAC to the trunk with the far end %i', async (status) => {
    const attempt = srf.createUAC('sip:+34600000000@trunk.example', { localSdp: sdpOffer(), headers: { From: '<sip:+34910000000@localhost>' } })
      .then(() => undefined, (err: { status?: number }) => err);
    const invite = await peer.nextRequest({ method: 'INVITE' });
    expect(invite.uri).toBe('sip:+34600000000@trunk.example');
    expect([invite.address, invite.port]).toEqual(['trunk.example', 5060]);
    expect(invite.header('from')).toMatch(/^<sip:\+34910000000@127\.0\.0\.1:5060>;tag=/);
    invite.respond(100);
    invite.respond(status);
    expect(await attempt).toMatchObject({ status });
  });

  it('sets up a createUAC dialog on 200 and sends the BYE when the app destroys it', async () => {
    const attempt = srf.createUAC('sip:+34600000000@trunk.example', { localSdp: sdpOffer() });
    const invite = await peer.nextRequest({ method: 'INVITE' });
    invite.respond(183, { body: sdpOffer({ port: 32000 }) });
    invite.respond(200, { body: sdpOffer({ port: 32000 }) });
    const dialog = await attempt;
    expect(idOf(dialog)).toBe(invite.dialogId);
    expect((await peer.nextRequest({ method: 'ACK' })).header('cseq')).toMatch(/ ACK$/);

    const destroyed = new Promise<void>((resolve, reject) => dialog.destroy(undefined, (err) => (err ? reject(err) : resolve())));
    const bye = await peer.nextRequest({ method: 'BYE' });
    expect(bye.uri).toBe('sip:+34600000000@trunk.example');
    bye.respond(200);
    await destroyed;
    expect(peer.dialogs()).toEqual([]);
  });

  it('relays an out-of-dialog request sent with srf.request and its answer', async () => {
    const request = (srf.request as unknown as (uri: string, opts: object) => Promise<Srf.SrfRequest>).bind(srf);
    const sent = await request('sip:monitor@10.20.0.9:5060', { method: 'OPTIONS', headers: { 'X-Probe': '1' } });
    const answered = new Promise<number | undefined>((resolve) => sent.on('response', (res) => resolve(res?.status)));
    const options = await peer.nextRequest({ method: 'OPTIONS' });
    expect(options.header('X-Probe')).toBe('1');
    expect(options.dialogId).toBe('');
    options.respond(200);
    expect(await answered).toBe(200);
  });

  it('handles malformed or unroutable requests the way sofia and drachtio-server do, without the app seeing them', async () => {
    const optionsBefore = app.options;
    const probe = { uri: 'sip:127.0.0.1:5060', from: '<sip:monitor@10.20.0.9>', to: '<sip:127.0.0.1:5060>', via: '10.20.0.9:5060' };

    const garbage = peer.inject('esto no es SIP\r\n\r\n');
    expect(garbage.dropped).toBe(true);
    expect(garbage.responses).toEqual([]);

    const noCallId = peer.inject(sipRequest({ method: 'OPTIONS', ...probe, omit: ['Call-ID'] }));
    expect(await noCallId.response()).toMatchObject({ status: 400, reason: 'Bad Request', origin: 'server' });
    const badCseq = peer.inject(caller().replace(/^CSeq: [^\r\n]*/m, 'CSeq: uno INVITE'));
    expect(await badCseq.response()).toMatchObject({ status: 400, reason: 'Bad CSeq Header' });
    const mismatch = peer.inject(sipRequest({ method: 'OPTIONS', ...probe, headers: { CSeq: '1 INVITE' } }));
    expect((await mismatch.response()).status).toBe(400);
    const truncated = peer.inject(caller().replace(/^Content-Length: \d+/m, 'Content-Length: 9999'));
    expect((await truncated.response()).status).toBe(400);
    const noVia = peer.inject(sipRequest({ method: 'OPTIONS', ...probe, omit: ['Via'] }));
    expect(noVia.dropped).toBe(true);

    const strayBye = peer.inject(sipRequest({ method: 'BYE', ...probe, to: '<sip:127.0.0.1:5060>;tag=gone' }));
    expect((await strayBye.response()).status).toBe(481);
    const strayCancel = peer.inject(sipRequest({ method: 'CANCEL', ...probe }));
    expect((await strayCancel.response()).status).toBe(481);
    const unrouted = peer.inject(sipRequest({ method: 'MESSAGE', ...probe, body: 'hola', contentType: 'text/plain' }));
    expect(await unrouted.response()).toMatchObject({ status: 503, origin: 'server' });

    expect([garbage, noCallId, badCseq, mismatch, truncated, noVia, strayBye, strayCancel, unrouted].some((t) => t.delivered)).toBe(false);
    expect(app.options).toBe(optionsBefore);
    // and the app is still there
    expect((await peer.inject(sipRequest({ method: 'OPTIONS', ...probe })).response()).status).toBe(200);
  });
});

describe('the control protocol', () => {
  /** Writes raw frames and collects whatever the peer answers until it closes the connection. */
  async function rawSession(port: number, frames: string[], { framed = true } = {}): Promise<string[]> {
    const socket = net.connect(port, '127.0.0.1');
    let buf = '';
    socket.on('data', (d) => { buf += d.toString('utf8'); });
    for (const f of frames) socket.write(framed ? `${Buffer.byteLength(f)}#${f}` : f);
    await once(socket, 'close');
    const out: string[] = [];
    for (let m = /^(\d+)#/.exec(buf); m; m = /^(\d+)#/.exec(buf)) {
      out.push(buf.slice(m[0].length, m[0].length + Number(m[1])));
      buf = buf.slice(m[0].length + Number(m[1]));
    }
    return out;
  }

  it('answers ping and route, and drops a client that sends an unknown message type or a bad frame', async () => {
    const peer = await startDrachtioPeer({ secret: SECRET });
    const replies = await rawSession(peer.port, [`a1|authenticate|${SECRET}|`, 'a2|ping', 'a3|route|invite', 'a4|frobnicate']);
    expect(replies.map((r) => r.split('|').slice(1).join('|'))).toEqual([
      'response|a1|OK|udp/127.0.0.1:5060,tcp/127.0.0.1:5060|v0.9.4|udp/127.0.0.1:5060,tcp/127.0.0.1:5060',
      'response|a2|OK|pong',
      'response|a3|OK',
      'response|a4|NO|Unknown message type',
    ]);
    expect(await rawSession(peer.port, ['12x#garbage'], { framed: false })).toEqual([]);
    expect(peer.anomalies.map((a) => a.kind)).toEqual(['invalid', 'invalid']);
    await peer.close();
  });
});
