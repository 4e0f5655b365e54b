// The console's websocket: reconnects with backoff and drops any message it has already seen.

const MAX_SEEN = 500;
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

/**
 * onMessage(message, { fresh }) gets every new message once; `fresh` says whether a `state`
 * message's `current` is news to this page (so a reconnect does not steal the operator's focus).
 * onStatus('connecting' | 'open' | 'retrying', delayMs) drives the connection indicator.
 * shouldRetry() is asked before each retry (false: the session is gone).
 */
export function connectLive({ onMessage, onStatus, shouldRetry }) {
  const seen = new Set();
  let socket = null;
  let failures = 0;
  let timer = null;
  let stopped = false;

  const remember = (id) => {
    if (!id || seen.has(id)) return false;
    seen.add(id);
    if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value);
    return true;
  };

  function open() {
    onStatus('connecting');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/ws/console`);
    socket.addEventListener('open', () => { failures = 0; onStatus('open'); });
    socket.addEventListener('message', (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (!remember(message.id)) return;
      const fresh = message.type === 'state' && message.current ? remember(message.current.id) : true;
      onMessage(message, { fresh });
    });
    socket.addEventListener('close', () => { socket = null; if (!stopped) void retry(); });
  }

  async function retry() {
    failures++;
    if (failures > 1 && shouldRetry && !(await shouldRetry())) return;
    // exponential with jitter, so a restarted server is not hit by every desk at once
    const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** (failures - 1)) * (0.75 + Math.random() * 0.5);
    onStatus('retrying', delay);
    timer = setTimeout(open, delay);
  }

  open();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
