// Times in her zone (Europe/Madrid or Atlantic/Canary): her call window is agreed in her own clock.
// The agenda API speaks in instants; these helpers turn them into her wall clock and back.

const formats = new Map();
function fmt(zone, options) {
  const key = `${zone}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat('es-ES', { timeZone: zone, ...options }));
  return formats.get(key);
}

const parts = (zone, ms) => Object.fromEntries(new Intl.DateTimeFormat('en-US', {
  timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
}).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));

/** Her UTC offset at an instant, in ms. */
function offsetAt(zone, ms) {
  const p = parts(zone, ms);
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
}

/** 'YYYY-MM-DDTHH:MM' read on her clock -> the instant; null when it is not a date-time. */
export function fromLocalInput(value, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value ?? '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let at = wall - offsetAt(zone, wall);
  const corrected = wall - offsetAt(zone, at); // the offset may differ on the day the clocks change
  if (corrected !== at) at = corrected;
  return new Date(at);
}

/** An instant -> 'YYYY-MM-DDTHH:MM' on her clock, for a datetime-local input. */
export function toLocalInput(value, zone) {
  const p = parts(zone, new Date(value).getTime());
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** 'YYYY-MM-DD' of an instant on her clock. */
export function localDay(value, zone) {
  return toLocalInput(value, zone).slice(0, 10);
}

export const timeIn = (value, zone) => fmt(zone, { hour: '2-digit', minute: '2-digit' }).format(new Date(value));
export const dayIn = (value, zone) => fmt(zone, { weekday: 'short', day: '2-digit', month: '2-digit' }).format(new Date(value));
export const longDayIn = (value, zone) => fmt(zone, { weekday: 'long', day: 'numeric', month: 'long' }).format(new Date(value));
