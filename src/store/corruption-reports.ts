// Rate-limited reporting of damaged messages found by the read path: the first one is logged at
// once, later ones at most one line per REPORT_INTERVAL_MS, each line saying how many were
// found since the previous line. A consumer looping over a damaged offset therefore costs one
// log line per interval, not one per pull. Counts are kept for runtimeInfo.
import type { Logger } from '../util/logger.js';

const REPORT_INTERVAL_MS = 10_000;

export class CorruptionReports {
  /** Damaged messages found by reads since open. */
  total = 0;
  private suppressed = 0;
  private lastLineMs = -Infinity;

  constructor(
    private readonly logger: Logger,
    private readonly monotonicMs: () => number,
  ) {}

  report(what: string): void {
    this.total++;
    const now = this.monotonicMs();
    if (now - this.lastLineMs < REPORT_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (and ${this.suppressed} more damaged reads since the last report)` : '';
    this.logger.error(`read: ${what}${more}; ${this.total} damaged reads since open`);
    this.suppressed = 0;
    this.lastLineMs = now;
  }
}
