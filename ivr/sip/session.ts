import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Line, OperatorTarget } from '../../telephony/port.ts';
import { flowOf } from '../catalog.ts';
import { advance, EMERGENCY_OUTCOME, start, type Input, type Instruction, type Prompt, type Session } from '../engine.ts';
import type { Flow } from '../flow.ts';
import type { Digit, MediaSession } from '../media/index.ts';
import { KeyBuffer, realTimers, type IvrTimers } from './keys.ts';
import { ringOperator, type OperatorLeg } from './operator.ts';
import type { IvrCallInfo, IvrInvite, SipIvrDeps } from './types.ts';

type Phase = 'flow' | 'routing' | 'waiting' | 'ringing' | 'bridged' | 'ended';

/**
 * One IVR call on SIP: her INVITE is answered with the media server's SDP (or, on a call we placed,
 * she answered ours), then the engine's
 * instructions are carried out one by one: prompts played in order and timed by their length, keys
 * gathered (a key pressed during a prompt cuts it short), a `connect` routed to an operator as an
 * inbound call on that line, a `hangup` ended with a BYE. Her BYE at any moment ends it all.
 */
export class SipIvrCall {
  phase: Phase = 'flow';
  private readonly keys = new KeyBuffer();
  private readonly ended = new AbortController();
  private interrupt: Input | null = null;
  private interrupted = new AbortController();
  private uas: Srf.Dialog | null = null;
  private media: MediaSession | null = null;
  private operator: OperatorLeg | null = null;
  private session: Session | null = null;
  private readonly flow: Flow;
  private readonly sessionId = randomUUID();
  private outcomeSeq = 0;
  private readonly timers: IvrTimers;
  private readonly log: Logger;

  constructor(private readonly d: SipIvrDeps, private readonly invite: IvrCallInfo) {
    this.flow = flowOf(d.flows, invite.flowId);
    this.timers = d.timers ?? realTimers;
    this.log = d.log.child({ callId: invite.callId, flow: invite.flowId });
  }

  get providerCallId(): string { return this.invite.call.providerCallId; }

  /** Our id of the call (the CallAttempt). */
  get callId(): string { return this.invite.callId; }

  /** Read through a getter: the phase changes while a method awaits, which narrowing cannot see. */
  get over(): boolean { return this.phase === 'ended'; }

  whenEnded(): Promise<void> {
    const signal = this.ended.signal;
    return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  /** Runs the call; false when it could not be answered with media (the adapter then routes it without the IVR). */
  async run(invite: Pick<IvrInvite, 'req' | 'res' | 'sdpOffer'>): Promise<boolean> {
    const { req, res } = invite;
    try {
      this.media = await this.d.media.open({ callId: req.get('Call-ID'), fromTag: req.getParsedHeader('from').params?.tag ?? '',
        sdpOffer: invite.sdpOffer });
      this.media.onDigit((digit) => this.keys.push(digit));
      this.uas = await this.d.srf.createUAS(req, res, { localSdp: this.media.sdpAnswer });
    } catch (err) {
      // no media (an automated call never stands between her and help: she goes to an operator), or she left
      this.log.warn({ err: (err as Error).message }, 'IVR could not answer the call');
      await this.media?.close();
      this.media = null;
      this.phase = 'ended';
      return res.finalResponseSent;
    }
    this.invite.emit('in_progress', { ivr: this.flow.id });
    await this.runAnswered(this.uas, this.media);
    return true;
  }

  /**
   * Runs the flow on a call already answered with media: hers to us (`run`), or ours to her, which
   * she picked up (the adapter has reported it answered).
   */
  async runAnswered(dialog: Srf.Dialog, media: MediaSession): Promise<void> {
    this.uas = dialog;
    if (this.media !== media) {
      this.media = media;
      media.onDigit((digit) => this.keys.push(digit));
    }
    dialog.on('destroy', () => this.callerLeft());
    // a BYE that came before the listener was answered by srf unheard (its Dialog sets `connected`, its types do not say so)
    if ((dialog as unknown as { connected?: boolean }).connected === false) return this.callerLeft();
    try {
      await this.runFlow();
    } catch (err) {
      if (this.phase !== 'flow') throw err;
      // the media failed during the flow: a person takes the call rather than leaving her in silence
      this.log.error({ err: (err as Error).message }, 'IVR flow failed; the call goes to an operator');
      await this.route(this.invite.line);
    }
  }

  private async runFlow(): Promise<void> {
    let turn = start(this.flow, this.sessionId, this.d.clock.now());
    for (;;) {
      this.session = turn.session;
      await this.record(turn.outcomes);
      const instruction = turn.instruction;
      if (!instruction || this.over) return;
      this.d.onInstruction?.(this.invite.callId, instruction);
      const input = await this.carryOut(instruction);
      // her hang-up is the engine's input from end(), recorded there: nothing else is fed after it
      if (!input || this.over) return;
      turn = advance(this.flow, turn.session, input, this.d.clock.now());
    }
  }

  /** Plays and gathers for one instruction; the input for the engine, or null when the flow is done here. */
  private async carryOut(ins: Instruction): Promise<Input | null> {
    const emergencyKey = this.flow.emergencyKey as Digit;
    if (ins.do === 'gather') return this.gather(ins);
    // the last words of a flow can be cut short only by a call for help
    const cut = await this.say(ins.prompts, (keys) => keys.includes(emergencyKey));
    if (this.over) return null;
    if (this.interrupt?.type === 'panic' || (cut && this.keys.take().includes(emergencyKey))) {
      // the engine has finished this session; the emergency is answered here all the same
      await this.record([EMERGENCY_OUTCOME]);
      await this.route('emergency');
    } else if (ins.do === 'connect') await this.route(ins.line);
    else this.end('ivr');
    return null;
  }

  private async gather(ins: Extract<Instruction, { do: 'gather' }>): Promise<Input> {
    const emergencyKey = this.flow.emergencyKey;
    await this.say(ins.prompts, (keys) => keys.length > 0);
    let digits = '';
    for (;;) {
      if (this.over) return { type: 'hangup' }; // the call ended while the question was said: nothing to wait for
      if (this.interrupt) return this.takeInterrupt();
      for (const key of this.keys.take()) {
        if (key === emergencyKey) return { type: 'digits', digits: digits + key };
        if (key === ins.finishOnKey) return digits ? { type: 'digits', digits } : { type: 'timeout' };
        digits += key;
        if (digits.length >= ins.numDigits) {
          this.keys.take(); // what she typed past the entry belongs to no question
          return { type: 'digits', digits };
        }
      }
      const signal = this.waitSignal();
      const pressed = await this.keys.waitFor((k) => k.length > 0, this.timers.sleep(ins.timeoutS * 1000, 'gather', signal, this.invite.callId));
      if (!pressed && !this.interrupt) return digits ? { type: 'digits', digits } : { type: 'timeout' };
    }
  }

  /** Plays prompts in order; true when `cut` (on the keys waiting) or an interrupt stopped them. */
  private async say(prompts: Prompt[], cut: (keys: readonly Digit[]) => boolean): Promise<boolean> {
    for (const prompt of prompts) {
      if (this.interrupt || !this.speaking) return true;
      if (cut(this.keys.peek())) return true;
      let ms: number;
      let playing = false;
      if ('pauseS' in prompt) {
        ms = prompt.pauseS * 1000;
      } else {
        const file = await this.d.prompts.file(prompt);
        if (!this.speaking || !this.media) return true;
        this.d.onPrompt?.(this.invite.callId, prompt);
        ms = (await this.media.play(file)).durationMs;
        playing = true;
      }
      const signal = this.waitSignal();
      const wasCut = await this.keys.waitFor(cut, this.timers.sleep(ms, 'pauseS' in prompt ? 'pause' : 'prompt', signal, this.invite.callId));
      if (wasCut || this.interrupt) {
        if (playing) await this.media?.stop();
        return true;
      }
    }
    return false;
  }

  /** The engine hears a panic once: it answers it with the emergency connect. */
  private takeInterrupt(): Input {
    const input = this.interrupt!;
    this.interrupt = null;
    this.interrupted = new AbortController();
    return input;
  }

  /** Prompts are said during the flow and in the queue; never over an operator's voice. */
  private get speaking(): boolean { return this.phase === 'flow' || this.phase === 'waiting'; }

  /** A signal that aborts when the call ends or is interrupted (panic). */
  private waitSignal(): AbortSignal {
    return AbortSignal.any([this.ended.signal, this.interrupted.signal]);
  }

  /** The flow's connect: the call is routed like an inbound call on `line`. */
  private async route(line: Line): Promise<void> {
    this.phase = 'routing';
    const plan = await this.d.routing.connectFromIvr(this.invite.call, this.invite.callId, line);
    if (this.over) return;
    switch (plan.action) {
      case 'connect': return this.bridge(plan.operator);
      case 'connect_any': return plan.operators[0] ? this.bridge(plan.operators[0]) : this.hold();
      default: return this.hold();
    }
  }

  /** Nobody is free: she hears the wait message now and then until an operator is free (`bridge`). */
  private async hold(): Promise<void> {
    this.phase = 'waiting';
    this.invite.emit('waiting');
    const holding = new AbortController();
    this.holding = holding;
    while (this.phase === 'waiting' && !holding.signal.aborted) {
      // a media failure here leaves her waiting in silence, still first in her line's queue
      await this.say([this.d.waitPrompt], () => false).catch((err: Error) => this.log.warn({ err: err.message }, 'wait message not played'));
      await this.timers.sleep(8000, 'hold', AbortSignal.any([this.ended.signal, holding.signal]), this.invite.callId);
    }
  }
  private holding: AbortController | null = null;

  /** Rings the operator; when she answers the media goes to her. When she does not, back to the queue. */
  async bridge(target: OperatorTarget): Promise<void> {
    if (this.phase === 'ended' || this.phase === 'ringing' || this.phase === 'bridged' || !this.media) return;
    this.phase = 'ringing';
    this.holding?.abort();
    await this.media.stop();
    const leg = await ringOperator(this.d, this.media, target, this.invite.callId, this.ended.signal).catch((err: Error & { status?: number }) => {
      this.log.warn({ status: err.status, err: err.message }, 'operator leg failed');
      return null;
    });
    if (this.over) {
      leg?.dialog.destroy();
      return;
    }
    if (!leg) {
      void this.hold();
      await this.d.routing.operatorMissed(this.invite.callId);
      return;
    }
    this.operator = leg;
    this.phase = 'bridged';
    this.invite.emit('in_progress', undefined, 'operator');
    leg.dialog.on('destroy', () => this.end('operator'));
    // a BYE that came before the listener was answered by srf unheard (its Dialog sets `connected`, its types do not say so)
    if ((leg.dialog as unknown as { connected?: boolean }).connected === false) this.end('operator');
  }

  /** Her terminal's panic call: whatever the flow was doing, it gives way to an emergency operator. */
  panic(): void {
    if (this.phase !== 'flow') return;
    this.interrupt = { type: 'panic' };
    this.interrupted.abort();
  }

  private callerLeft(): void {
    if (this.over) return;
    this.uas = null; // srf has answered her BYE
    this.end('caller');
  }

  /** Ends the call: the other leg(s) get a BYE, the media is released, the engine hears of it. */
  end(by: 'caller' | 'operator' | 'ivr' | 'service'): void {
    if (this.over) return;
    const wasFlow = this.phase === 'flow';
    this.phase = 'ended';
    this.ended.abort();
    if (by !== 'caller') this.uas?.destroy();
    if (by !== 'operator') this.operator?.dialog.destroy();
    void this.media?.close();
    // what her hanging up means to the flow (e.g. not_confirmed) is recorded before the call is closed
    // (a BYE before the first instruction too: she hung up on the flow all the same)
    const now = this.d.clock.now();
    const outcomes = wasFlow && by === 'caller'
      ? advance(this.flow, this.session ?? start(this.flow, this.sessionId, now).session, { type: 'hangup' }, now).outcomes : [];
    void this.record(outcomes).then(() => this.invite.emit('completed', { hungUpBy: by }));
  }

  /** Stores the outcomes against the call attempt, then tells the listener (the dialer's control calls learn them so). */
  private async record(outcomes: string[]): Promise<void> {
    if (!outcomes.length) return;
    const firstSeq = this.outcomeSeq;
    this.outcomeSeq += outcomes.length;
    const at = this.d.clock.now();
    if (this.d.recordOutcomes) {
      await this.d.recordOutcomes({ callAttemptId: this.invite.callId, sessionId: this.sessionId, flowId: this.flow.id, firstSeq, outcomes, at })
        .catch((err: Error) => this.log.error({ err: err.message }, 'IVR outcome not recorded'));
    }
    const failed = (err: unknown) => this.log.error({ err: (err as Error)?.message }, 'IVR outcome listener failed');
    try {
      // a listener may be async: its rejection is logged here, never left unhandled
      void Promise.resolve(this.d.onOutcomes?.(this.invite.callId, outcomes, at)).catch(failed);
    } catch (err) {
      failed(err);
    }
  }
}
