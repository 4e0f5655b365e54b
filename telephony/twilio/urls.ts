/** Every URL we hand to Twilio, absolute, under the public base URL: Twilio signs exactly these. */
export function twilioUrls(publicBaseUrl: string) {
  const base = `${publicBaseUrl.replace(/\/+$/, '')}/twilio/voice`;
  const withQuery = (path: string, query: Record<string, string | null>) => {
    const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== null)).toString();
    return qs ? `${base}/${path}?${qs}` : `${base}/${path}`;
  };
  return {
    incoming: `${base}/incoming`,
    status: `${base}/status`,
    hold: `${base}/hold`,
    /** Where Twilio reports how the operator leg of a <Dial> ended. */
    dialResult: (callId: string | null) => withQuery('dial-result', { callId }),
    outbound: (attemptId: string) => withQuery('outbound', { attemptId }),
    amd: (attemptId: string) => withQuery('amd', { attemptId }),
  };
}

export type TwilioUrls = ReturnType<typeof twilioUrls>;
