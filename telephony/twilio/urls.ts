/** Every URL we hand to Twilio, absolute, under the public base URL: Twilio signs exactly these. */
export function twilioUrls(publicBaseUrl: string) {
  const base = `${publicBaseUrl.replace(/\/+$/, '')}/twilio/voice`;
  const ivrBase = `${publicBaseUrl.replace(/\/+$/, '')}/twilio/ivr`;
  const withQuery = (path: string, query: Record<string, string | null>, root = base) => {
    const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== null)).toString();
    return qs ? `${root}/${path}?${qs}` : `${root}/${path}`;
  };
  return {
    incoming: `${base}/incoming`,
    status: `${base}/status`,
    hold: `${base}/hold`,
    /** Where Twilio reports how the operator leg of a <Dial> ended. */
    dialResult: (callId: string | null) => withQuery('dial-result', { callId }),
    /** Where Twilio says the operator's leg of a <Dial> was answered: the moment a person took the call. */
    operatorAnswered: (callId: string | null) => withQuery('operator-answered', { callId }),
    outbound: (attemptId: string) => withQuery('outbound', { attemptId }),
    amd: (attemptId: string) => withQuery('amd', { attemptId }),
    /** IVR (ivr.routes.ts): where a flow starts, and where her keys and a panic come back (signed session). */
    ivrStart: (flow: string, callId: string, direction: 'inbound' | 'outbound') => withQuery('start', { flow, callId, direction }, ivrBase),
    ivrInput: (session: string) => withQuery('input', { s: session }, ivrBase),
    ivrPanic: (session: string) => withQuery('panic', { s: session }, ivrBase),
  };
}

export type TwilioUrls = ReturnType<typeof twilioUrls>;
