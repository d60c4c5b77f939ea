// The delay before each reconnect of an HA client (and anything else that retries a peer):
// exponential with a cap and jitter, reset only on real progress.
//
//   base starts at minMs and doubles after every delay handed out, up to maxMs (the cap);
//   each delay is base * (1 - JITTER_FRACTION * random()), random() in [0, 1) from the injected
//   source (a seeded one in tests and the simulator), so the delays of many slaves of one master
//   spread out instead of arriving together; with random() = 0 the delay is exactly the base;
//   reset() (the caller saw progress: bytes appended and acknowledged, or a connection that
//   stayed healthy for a housekeeping interval) puts the base back to minMs. A connection that
//   only got as far as valid headers is not progress (a master whose headers are valid and whose
//   bodies are not would otherwise be reconnected to every minMs forever).
import { assert } from '../util/assert.js';

/** Defaults of the HA client's reconnect back-off (HaOptions.backoffMinMs / backoffMaxMs). */
export const DEFAULT_BACKOFF_MIN_MS = 100;
export const DEFAULT_BACKOFF_MAX_MS = 5000;
/** Up to this fraction of the base is taken off each delay at random. */
export const JITTER_FRACTION = 0.5;

export type RandomSource = () => number;

export class ReconnectBackoff {
  private baseMs: number;
  private delays = 0;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
    private readonly random: RandomSource,
  ) {
    assert(Number.isFinite(minMs) && minMs > 0 && maxMs >= minMs, `back-off bounds must be 0 < min <= max, got ${minMs}..${maxMs}`);
    this.baseMs = minMs;
  }

  /** The base the next delay is drawn from. */
  get currentBaseMs(): number {
    return this.baseMs;
  }

  /** Delays handed out since the last reset (consecutive failures). */
  get attempts(): number {
    return this.delays;
  }

  /** The next delay (ms, >= 1), and grow the base. */
  next(): number {
    const r = this.random();
    const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
    const delayMs = Math.max(1, Math.round(this.baseMs * (1 - JITTER_FRACTION * unit)));
    this.baseMs = Math.min(this.maxMs, this.baseMs * 2);
    this.delays++;
    return delayMs;
  }

  reset(): void {
    this.baseMs = this.minMs;
    this.delays = 0;
  }
}
