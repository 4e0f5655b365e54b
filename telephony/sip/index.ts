import Srf from 'drachtio-srf';
import type { Logger } from 'pino';

export { sipAdapter, stateOfSipFailure, type SipConfig } from './sip-adapter.ts';

export interface DrachtioConfig { host: string; port: number; secret: string }

/**
 * Connects to a drachtio-server. The backoff is bounded (srf's grows without limit otherwise) and
 * pings find a dead connection. While no app is connected the server answers INVITEs with 503,
 * so production runs two instances against it.
 */
export function connectDrachtio(c: DrachtioConfig, log: Logger): Srf {
  const srf = new Srf();
  srf.on('connect', (err: Error | null, hostport: string) => {
    if (err) log.error({ err: err.message }, 'drachtio connection failed');
    else log.info({ hostport }, 'connected to drachtio-server');
  });
  srf.on('error', (err: Error) => log.warn({ err: err.message }, 'drachtio connection error'));
  srf.connect({ host: c.host, port: c.port, secret: c.secret, reconnect: { retryMaxDelay: 5000 }, enablePing: true,
    pingInterval: 15_000 } as Srf.SrfConfig);
  return srf;
}
