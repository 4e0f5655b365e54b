import { prepareOutbound } from './outbound.ts';
import { SipIvrCall } from './session.ts';
import type { IvrInvite, SipIvr, SipIvrDeps } from './types.ts';

/** The IVR calls this process holds, by the caller's Call-ID, for the SIP adapter to reach. */
export function sipIvr(deps: SipIvrDeps): SipIvr {
  const calls = new Map<string, SipIvrCall>();

  /** Keeps the call reachable while `work` runs it, and after, while it is in the queue or with an operator. */
  async function hold<T>(providerCallId: string, call: SipIvrCall, work: Promise<T>, failed: T): Promise<T> {
    calls.set(providerCallId, call);
    try {
      return await work;
    } catch (err) {
      deps.log.error({ callId: call.callId, err: (err as Error).message }, 'IVR call failed');
      call.end('service');
      return failed;
    } finally {
      if (call.phase === 'ended') calls.delete(providerCallId);
      else void call.whenEnded().then(() => calls.delete(providerCallId));
    }
  }

  return {
    get active() { return calls.size; },
    async run(invite: IvrInvite) {
      const call = new SipIvrCall(deps, invite);
      return hold(invite.call.providerCallId, call, call.run(invite), true);
    },
    prepare(outbound) {
      return prepareOutbound(deps, outbound, (info) => new SipIvrCall(deps, info),
        (providerCallId, call, work) => hold(providerCallId, call, work, undefined));
    },
    bridge(providerCallId, operator) {
      const call = calls.get(providerCallId);
      if (!call) return false;
      void call.bridge(operator).catch((err: Error) => deps.log.error({ err: err.message }, 'IVR bridge failed'));
      return true;
    },
    hangup(providerCallId) {
      const call = calls.get(providerCallId);
      call?.end('service');
      return !!call;
    },
    panic(providerCallId) {
      const call = calls.get(providerCallId);
      call?.panic();
      return !!call;
    },
  };
}
