/** The only way code reads the time: rules get it injected, tests pin it. */
export interface Clock { now(): Date }

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stays where it is put; `advance` moves it forward. For tests and simulations. */
export function fixedClock(start: Date | string): Clock & { set(at: Date | string): void; advance(ms: number): void } {
  let at = new Date(start);
  return {
    now: () => new Date(at),
    set: (t) => { at = new Date(t); },
    advance: (ms) => { at = new Date(at.getTime() + ms); },
  };
}
