// One warning line per interval for events a peer can cause at will (failed handshakes, refused
// connections): a flood of bad peers costs the log one line per interval, never one per peer.
// The next line written after a quiet spell says how many lines were suppressed since the last
// one, so nothing is hidden, only counted. Time comes from the injected Clock.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

export class RateLimitedLog {
  private lastMs = Number.NEGATIVE_INFINITY;
  private suppressedCount = 0;
  /** Every line asked for, written or not (status, tests). */
  total = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  /** Lines suppressed since the last one written. */
  get suppressed(): number {
    return this.suppressedCount;
  }

  warn(message: string): void {
    this.total++;
    const now = this.clock.monotonicMs();
    if (now - this.lastMs < this.intervalMs) {
      this.suppressedCount++;
      return;
    }
    const note = this.suppressedCount > 0 ? ` (${this.suppressedCount} similar line(s) suppressed in the last ${Math.round(now - this.lastMs)} ms)` : '';
    this.lastMs = now;
    this.suppressedCount = 0;
    this.logger.warn(`${message}${note}`);
  }
}
