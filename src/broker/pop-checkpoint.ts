// When the pop-state journal writes a snapshot (pop-journal.ts): checked every CHECK_EVERY_MS on
// the scheduler, a snapshot is written once `everyRecords` records were appended since the last
// one, or `intervalMs` passed with any record appended; and at close when anything was appended.
// One snapshot at a time; a failed one is logged (rate-limited) and tried again at the next
// check. The replay after a restart reads at most one snapshot and the records after it, so these
// two bound it.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';
import type { PopService } from './pop-service.js';

export const CHECK_EVERY_MS = 1_000;
export const SNAPSHOT_EVERY_RECORDS = 10_000;
export const SNAPSHOT_INTERVAL_MS = 60_000;
const FAILURE_LOG_INTERVAL_MS = 60_000;

export interface CheckpointOptions {
  everyRecords?: number;
  intervalMs?: number;
}

export class PopCheckpointer {
  private timer: Cancelable | null = null;
  private running: Promise<void> | null = null;
  private lastMs: number;
  private closed = false;
  private readonly everyRecords: number;
  private readonly intervalMs: number;
  private readonly failures: RateLimitedLog;

  constructor(
    private readonly pop: PopService,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
    options: CheckpointOptions = {},
  ) {
    this.everyRecords = options.everyRecords ?? SNAPSHOT_EVERY_RECORDS;
    this.intervalMs = options.intervalMs ?? SNAPSHOT_INTERVAL_MS;
    this.lastMs = clock.monotonicMs();
    this.failures = new RateLimitedLog(logger, clock, FAILURE_LOG_INTERVAL_MS);
    this.arm();
  }

  /** Stop checking; write a last snapshot when anything was appended since the last one. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    await this.running;
    if (this.pop.recordsSinceSnapshot > 0) await this.snapshotNow();
    this.failures.flush();
  }

  private arm(): void {
    this.timer = this.scheduler.after(CHECK_EVERY_MS, () => this.check(), { background: true });
  }

  private check(): void {
    if (this.closed) return;
    const records = this.pop.recordsSinceSnapshot;
    const due = records >= this.everyRecords || (records > 0 && this.clock.monotonicMs() - this.lastMs >= this.intervalMs);
    if (!due || this.running) {
      this.arm();
      return;
    }
    this.running = this.snapshotNow().finally(() => {
      this.running = null;
      if (!this.closed) this.arm();
    });
  }

  private async snapshotNow(): Promise<void> {
    this.lastMs = this.clock.monotonicMs();
    let failed: string | null;
    try {
      failed = await this.pop.snapshot(this.clock.nowMs());
    } catch (err) {
      failed = (err as Error).message; // the store closed or failed under it
    }
    if (failed !== null) this.failures.warn('snapshot', `the pop-state snapshot was not stored (${failed}); the replay after a restart starts at the one before`);
  }
}
