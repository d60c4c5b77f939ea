// Time comes in through the Clock interface so tests and the simulator can freeze or step it.
// The one convention of the code base: `nowMs` is wall time in ms since the epoch (stored in
// records, file ages, status timestamps); `monotonicMs` is a monotonic ms count with an
// arbitrary origin (durations, deadlines, timeouts). Nothing else reads the clock: no
// Date.now / performance.now / process.hrtime outside this file (the tidy test checks it).

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  nowMs(): number;
  /** Monotonic milliseconds (arbitrary origin, fractional), for durations and deadlines. */
  monotonicMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

/** A clock that moves only when told to (tests, the simulator). Both readings move together. */
export class ManualClock implements Clock {
  private wallMs: number;
  private monoMs = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.wallMs = startMs;
  }

  nowMs(): number {
    return this.wallMs;
  }

  monotonicMs(): number {
    return this.monoMs;
  }

  advance(ms: number): void {
    this.wallMs += ms;
    this.monoMs += ms;
  }
}
