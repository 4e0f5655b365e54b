import { BlockList, isIPv6 } from 'node:net';

/** An allow-list of CIDRs (or single addresses) for the sources SIP requests may come from. */
export function sourceList(cidrs: string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [net, bits] = entry.split('/');
    const type = isIPv6(net!) ? 'ipv6' : 'ipv4';
    if (bits) list.addSubnet(net!, Number(bits), type);
    else list.addAddress(net!, type);
  }
  return (address: string) => {
    const bare = address.replace(/^\[|\]$/g, '');
    return list.check(bare, isIPv6(bare) ? 'ipv6' : 'ipv4');
  };
}

/** User agents of SIP scanners; their requests are refused without a trace in the call record. */
const SCANNERS = /friendly-scanner|sipvicious|sipcli|sip-scan|vaxsipuseragent|sundayddr|iWar|sipsak/i;
export const isScanner = (userAgent: string | undefined) => !!userAgent && SCANNERS.test(userAgent);
