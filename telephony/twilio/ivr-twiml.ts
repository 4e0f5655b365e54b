import type { Instruction, Prompt } from '../../ivr/index.ts';
import twilio from 'twilio';
import type { VoiceResponse } from './twiml.ts';
import type { TwilioUrls } from './urls.ts';

/** How the IVR's instructions (ivr/engine.ts) are said to a Twilio call. */
export interface IvrTwimlOptions {
  urls: TwilioUrls;
  /**
   * Where recorded prompts are served (`<base>/<prompt id>.wav`): set, every prompt is a `<Play>`
   * of its recording; unset, Twilio says the prompt's text in Spanish.
   */
  promptBaseUrl?: string;
}

type Speaker = Pick<VoiceResponse, 'say' | 'play' | 'pause'>;

const SPANISH = { language: 'es-ES' } as const;

/** The prompts, in order, on a response or inside a <Gather> (so that a key press cuts them short). */
export function speak(target: Speaker, prompts: Prompt[], o: IvrTwimlOptions): void {
  for (const p of prompts) {
    if ('pauseS' in p) target.pause({ length: Math.max(1, Math.round(p.pauseS)) });
    else if (o.promptBaseUrl) target.play(`${o.promptBaseUrl.replace(/\/+$/, '')}/${encodeURIComponent(p.id)}.wav`);
    else target.say(SPANISH, p.text);
  }
}

/**
 * A gather or a hangup instruction as TwiML. `session` is the signed reference the action URL
 * carries. With actionOnEmptyResult Twilio also posts when no key was pressed: an empty
 * `Digits` is the timeout. A connect is not rendered here: it goes through the inbound routing.
 */
export function renderInstruction(ins: Exclude<Instruction, { do: 'connect' }>, session: string, o: IvrTwimlOptions): string {
  const res = new twilio.twiml.VoiceResponse();
  if (ins.do === 'hangup') {
    speak(res, ins.prompts, o);
    res.hangup();
    return res.toString();
  }
  const gather = res.gather({
    input: ['dtmf'], numDigits: ins.numDigits, timeout: ins.timeoutS,
    // an empty finishOnKey turns Twilio's default '#' off
    finishOnKey: ins.finishOnKey ?? '', actionOnEmptyResult: true,
    action: o.urls.ivrInput(session), method: 'POST',
  });
  speak(gather, ins.prompts, o);
  return res.toString();
}

/** While another request renders this turn (a repeated webhook): wait a moment and ask again. */
export function renderRetry(url: string): string {
  const res = new twilio.twiml.VoiceResponse();
  res.pause({ length: 1 });
  res.redirect({ method: 'POST' }, url);
  return res.toString();
}
