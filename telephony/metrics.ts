import { Counter, Histogram, type Registry } from 'prom-client';

/** What the centre watches of its inbound calls: how many, and how long each waited for an operator. */
export function inboundMetrics(registry: Registry) {
  return {
    calls: new Counter({ name: 'atenpro_inbound_calls_total', help: 'Inbound calls accepted, by line', labelNames: ['line', 'degraded'],
      registers: [registry] }),
    wait: new Histogram({ name: 'atenpro_inbound_wait_seconds', help: 'From arrival to being offered to an operator, by line',
      labelNames: ['line'], buckets: [0.05, 0.25, 1, 5, 15, 30, 60, 120, 180, 300], registers: [registry] }),
  };
}

export type InboundMetrics = ReturnType<typeof inboundMetrics>;
