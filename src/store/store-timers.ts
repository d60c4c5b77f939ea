// The store's periodic chores (dispatch, ConsumeQueue writes, offset and checkpoint saves,
// buffer reclaim, disk checks), put TPS sampling, and the checkpoint timestamp rule:
// physicMsgTimestamp only moves to the store time of a record known flushed.
// Chores run from timers, and also from `runDue`, which the put path calls every few hundred
// puts: a producer that keeps the event loop busy with already-resolved puts (a microtask loop)
// would otherwise starve the timers.
import type { Checkpoint } from '../commitlog/checkpoint.js';
import type { Logger } from '../util/logger.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';

const TPS_WINDOW_MS = 1000;

interface Chore {
  periodMs: number;
  task: () => void;
  lastRunMs: number;
  timer: Cancelable | null;
}

export class StoreTimers {
  private readonly chores: Chore[] = [];
  private stopped = false;
  private sample: { offset: number; timestampMs: number } | null = null;
  private tpsBase: { count: number; atMs: number };
  private lastTps = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
    private readonly nowMs: () => number,
  ) {
    this.tpsBase = { count: 0, atMs: nowMs() };
  }

  /** Run `task` every `periodMs` until cancelAll(). A task that throws is logged and runs again
   * next period (each task handles its own failures; this is the last line). */
  every(periodMs: number, task: () => void): void {
    const chore: Chore = { periodMs, task, lastRunMs: this.nowMs(), timer: null };
    this.chores.push(chore);
    this.arm(chore);
  }

  /** Run every chore whose period has passed (called from the put path). */
  runDue(): void {
    const now = this.nowMs();
    for (const chore of this.chores) {
      if (!this.stopped && now - chore.lastRunMs >= chore.periodMs) {
        chore.timer?.cancel();
        this.run(chore);
      }
    }
  }

  cancelAll(): void {
    this.stopped = true;
    for (const chore of this.chores) chore.timer?.cancel();
  }

  /** Puts per second over the last window, given the running put count. */
  putTps(putCount: number): number {
    const now = this.nowMs();
    const elapsed = now - this.tpsBase.atMs;
    if (elapsed >= TPS_WINDOW_MS) {
      this.lastTps = ((putCount - this.tpsBase.count) * 1000) / elapsed;
      this.tpsBase = { count: putCount, atMs: now };
    }
    return this.lastTps;
  }

  /** Promote the previous sample to the checkpoint once flushed passed it, then take a new one.
   * `newestStoreTimestamp` is the storeTimestamp of the record that ends at `wrote` (RocketMQ
   * stamps the checkpoint with the flushed records' own time, which recovery compares with the
   * records' timestamps; a slave's records carry its master's). */
  sampleCheckpoint(checkpoint: Checkpoint, flushed: number, wrote: number, newestStoreTimestamp: number): void {
    if (this.sample && flushed >= this.sample.offset) {
      checkpoint.values.physicMsgTimestamp = this.sample.timestampMs;
      checkpoint.values.logicsMsgTimestamp = this.sample.timestampMs;
      this.sample = null;
    }
    if (!this.sample && wrote > flushed) this.sample = { offset: wrote, timestampMs: newestStoreTimestamp };
    else if (!this.sample && wrote === flushed && wrote > 0) {
      checkpoint.values.physicMsgTimestamp = newestStoreTimestamp;
      checkpoint.values.logicsMsgTimestamp = newestStoreTimestamp;
    }
  }

  private arm(chore: Chore): void {
    chore.timer = this.scheduler.after(chore.periodMs, () => this.run(chore));
  }

  private run(chore: Chore): void {
    if (this.stopped) return;
    chore.lastRunMs = this.nowMs();
    try {
      chore.task();
    } catch (err) {
      this.logger.error(`periodic task failed: ${(err as Error).stack ?? String(err)}`);
    }
    if (!this.stopped) this.arm(chore);
  }
}
