/**
 * The dashboard's side of the `reports` benchmark, in a process of its own as a browser would be:
 * sequential GETs over one keep-alive HTTP connection to the app, each body read to its end.
 * Driven over IPC by bench/reports.ts. For every round it asks each request's URLs in turn, the
 * order reversed every other round; it answers with each URL's spans, [start, end] in ms (absolute:
 * timeOrigin + now, so the app's process can place its own events among them).
 */
import http from 'node:http';

interface Ask { port: number; token: string; rounds: number; warmup: number; requests: { key: string; urls: string[] }[] }
export interface Sampled { key: string; spans: [number, number][][] }

const now = () => performance.timeOrigin + performance.now();

function get(agent: http.Agent, port: number, token: string, path: string): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const start = now();
    http.get({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve([start, now()]) : reject(new Error(`${path}: ${res.statusCode}`))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function measure(ask: Ask): Promise<Sampled[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out = ask.requests.map((r) => ({ key: r.key, spans: r.urls.map(() => [] as [number, number][]) }));
  try {
    for (let round = 0; round < ask.warmup + ask.rounds; round++) {
      for (const [i, r] of ask.requests.entries()) {
        const order = r.urls.map((_, j) => j);
        if (round % 2) order.reverse();
        for (const j of order) {
          const span = await get(agent, ask.port, ask.token, r.urls[j]!);
          if (round >= ask.warmup) out[i]!.spans[j]!.push(span);
        }
      }
    }
  } finally {
    agent.destroy();
  }
  return out;
}

process.on('message', (ask: Ask) => {
  measure(ask).then((sampled) => process.send!({ sampled }), (err: Error) => process.send!({ error: err.stack ?? err.message }));
});
