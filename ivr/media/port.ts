/**
 * The media port: what the SIP IVR renderer asks of a media server. Nothing else in the service
 * knows that rtpengine (or any other server) carries the audio.
 */

/** A DTMF key as the IVR reads it. */
export type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/** The caller's side of a call whose media is anchored here. */
export interface MediaCall {
  /** The SIP Call-ID of the caller's leg. */
  callId: string;
  /** The caller's From tag: with the Call-ID it names her side of the call. */
  fromTag: string;
  /** The SDP offer she sent in her INVITE. */
  sdpOffer: string;
}

export interface MediaSession {
  readonly callId: string;
  readonly fromTag: string;
  /** Our SDP: the answer her 200 OK carries (on a call we placed, the offer her INVITE carried). */
  readonly sdpAnswer: string;
  /**
   * Starts playing a WAV file to her and resolves with its length once playback has begun;
   * nothing tells us when it ends, so callers time prompts by `durationMs`.
   */
  play(file: string): Promise<{ durationMs: number }>;
  /** Stops what is playing (a key pressed during a prompt). Idempotent. */
  stop(): Promise<void>;
  /** Digits she presses, in order, each once; returns the unsubscribe function. */
  onDigit(listener: (digit: Digit) => void): () => void;
  /** Releases the media of the call. Idempotent; after it no digit is delivered. */
  close(): Promise<void>;
}

/** A branch of the call towards someone else (an operator), bridged through the media server. */
export interface MediaBranch {
  /** The SDP offer for the new leg. */
  readonly sdpOffer: string;
  /** The far end's answer: from here on her audio goes to that leg, and the IVR sink is out of the path. */
  answer(toTag: string, sdpAnswer: string): Promise<void>;
}

/**
 * Media anchored before she is called (an outbound IVR call): our side makes the offer her INVITE
 * carries, and her 200 OK completes it.
 */
export interface MediaOffer {
  /** The SDP offer for her INVITE: the media server's address, never the app's. */
  readonly sdpOffer: string;
  /** Her answer (the To tag and SDP of her 200 OK): the session that plays prompts to her and hears her keys. */
  answer(tag: string, sdpAnswer: string): Promise<MediaSession>;
  /** She never answered (or the call failed): releases what the offer anchored. Idempotent. */
  cancel(): Promise<void>;
}

export interface MediaPort {
  /** Anchors her media and returns the session that plays prompts and hears keys. */
  open(call: MediaCall): Promise<MediaSession>;
  /** Anchors media for a call we place: `callId` names it at the media server (it need not be the SIP Call-ID). */
  offer(callId: string): Promise<MediaOffer>;
  /** Starts a leg to another party for a session already open (the IVR hands her to an operator). */
  branch(session: MediaSession): Promise<MediaBranch>;
  /** Closes every session and the port's own sockets. */
  close(): Promise<void>;
}
