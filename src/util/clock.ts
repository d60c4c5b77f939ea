// Time comes in through the Clock interface so tests can freeze or step it.
// `nowMs` is wall time (stored in records, file ages); `monotonicNs` measures durations.

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  nowMs(): number;
  /** Monotonic nanoseconds (arbitrary origin), for durations and deadlines. */
  monotonicNs(): bigint;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicNs: () => process.hrtime.bigint(),
};

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  private wallMs: number;
  private monoNs = 0n;

  constructor(startMs = 1_700_000_000_000) {
    this.wallMs = startMs;
  }

  nowMs(): number {
    return this.wallMs;
  }

  monotonicNs(): bigint {
    return this.monoNs;
  }

  advance(ms: number): void {
    this.wallMs += ms;
    this.monoNs += BigInt(Math.round(ms * 1e6));
  }
}
