import Srf from 'drachtio-srf';
import type { Logger } from 'pino';

export { deviceUri, sipAdapter, stateOfSipFailure, type SipConfig, type SipExtras } from './sip-adapter.ts';
export { emergencyNumberOf, scaipIngress, type ScaipIngress } from './scaip.ts';

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
  // srf's disconnect() throws while no connection is up (drachtio down, or it refused the secret), and its
  // reconnect timer then goes on after the app has closed: stop reconnecting instead
  const disconnect = srf.disconnect.bind(srf);
  srf.disconnect = () => {
    try {
      disconnect();
    } catch {
      stopReconnecting(srf);
    }
  };
  return srf;
}

/** The wire protocol under srf (not in its types): marked closing, it does not reconnect. */
function stopReconnecting(srf: Srf): void {
  const wp = (srf as unknown as { _app?: { client?: { wp?: {
    closing: boolean; socket?: { destroy(): void }; reconnectVars?: { retryTimer: NodeJS.Timeout | null };
  } } } })._app?.client?.wp;
  if (!wp) return;
  wp.closing = true;
  if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
  if (wp.reconnectVars) wp.reconnectVars.retryTimer = null;
  wp.socket?.destroy();
}
