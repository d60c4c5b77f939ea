// Timers come in through the Scheduler interface so services can be driven step by step in
// tests. A real scheduler wraps setTimeout; a manual one runs due tasks when its clock moves.
import { assert } from './assert.js';
import type { ManualClock } from './clock.js';

/** Upper bound on tasks one `advance` may run: a task that keeps re-arming itself at delay 0 is a bug. */
const MAX_TASKS_PER_ADVANCE = 1_000_000;

export interface Cancelable {
  cancel(): void;
}

export interface Scheduler {
  /** Run `task` once after `delayMs`. */
  after(delayMs: number, task: () => void): Cancelable;
}

export const realScheduler: Scheduler = {
  after(delayMs, task) {
    const handle = setTimeout(task, delayMs);
    return { cancel: () => clearTimeout(handle) };
  },
};

interface PendingTask {
  dueMs: number;
  seq: number;
  task: () => void;
}

/** A scheduler whose tasks run only from `advance`, in due-time order. */
export class ManualScheduler implements Scheduler {
  private readonly pending = new Set<PendingTask>();
  private seq = 0;

  constructor(private readonly clock: ManualClock) {}

  after(delayMs: number, task: () => void): Cancelable {
    const entry: PendingTask = { dueMs: this.clock.nowMs() + delayMs, seq: this.seq++, task };
    this.pending.add(entry);
    return { cancel: () => this.pending.delete(entry) };
  }

  /** Move the clock forward by `ms`, running each task when its time comes. */
  advance(ms: number): void {
    const endMs = this.clock.nowMs() + ms;
    let ran = 0;
    for (let next = this.nextDue(endMs); next; next = this.nextDue(endMs)) {
      assert(++ran <= MAX_TASKS_PER_ADVANCE, 'ManualScheduler.advance ran too many tasks (a task re-arms at delay 0?)');
      this.pending.delete(next);
      this.clock.advance(next.dueMs - this.clock.nowMs());
      next.task();
    }
    this.clock.advance(endMs - this.clock.nowMs());
  }

  get size(): number {
    return this.pending.size;
  }

  private nextDue(endMs: number): PendingTask | undefined {
    let best: PendingTask | undefined;
    for (const t of this.pending) {
      if (t.dueMs > endMs) continue;
      if (!best || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
