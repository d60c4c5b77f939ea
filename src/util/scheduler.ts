// Timers come in through the Scheduler interface so services can be driven step by step in
// tests and in the simulator. The real scheduler wraps setTimeout / setImmediate; the manual one
// runs due tasks, in due-time order, only when its clock is advanced. Nothing outside this file
// calls setTimeout / setImmediate / setInterval directly (the tidy test checks it).
import { assert } from './assert.js';
import type { ManualClock } from './clock.js';

/** Upper bound on tasks one `advance` may run: a task that keeps re-arming itself at delay 0 is a bug. */
const MAX_TASKS_PER_ADVANCE = 1_000_000;

export interface Cancelable {
  cancel(): void;
}

export interface TimerOptions {
  /** The timer does not keep the process alive (setTimeout(...).unref()). Default false. */
  background?: boolean;
}

export interface Scheduler {
  /** Run `task` once after `delayMs`. */
  after(delayMs: number, task: () => void, options?: TimerOptions): Cancelable;
  /** Run `task` once soon, after pending IO callbacks (setImmediate); in a manual scheduler, at the
   * current time after the tasks already due. */
  soon(task: () => void): Cancelable;
}

export const realScheduler: Scheduler = {
  after(delayMs, task, options) {
    const handle = setTimeout(task, delayMs);
    if (options?.background) handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  soon(task) {
    const handle = setImmediate(task);
    return { cancel: () => clearImmediate(handle) };
  },
};

/** Resolves after `delayMs` on `scheduler` (for async loops that pace themselves). */
export function delay(scheduler: Scheduler, delayMs: number, options?: TimerOptions): Promise<void> {
  return new Promise((resolve) => scheduler.after(delayMs, resolve, options));
}

/** Resolves on the scheduler's next `soon` turn (yield to IO and timers). */
export function nextTurn(scheduler: Scheduler): Promise<void> {
  return new Promise((resolve) => scheduler.soon(resolve));
}

interface PendingTask {
  dueMs: number;
  seq: number;
  task: () => void;
}

/** A scheduler whose tasks run only from `advance` / `runDue`, in due-time order (ties in the
 * order they were scheduled). */
export class ManualScheduler implements Scheduler {
  private readonly pending = new Set<PendingTask>();
  private seq = 0;

  constructor(private readonly clock: ManualClock) {}

  after(delayMs: number, task: () => void): Cancelable {
    const entry: PendingTask = { dueMs: this.clock.nowMs() + Math.max(0, delayMs), seq: this.seq++, task };
    this.pending.add(entry);
    return { cancel: () => this.pending.delete(entry) };
  }

  soon(task: () => void): Cancelable {
    return this.after(0, task);
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

  /** Run the earliest pending task (moving the clock to its due time); false when none is pending. */
  runNext(): boolean {
    const next = this.nextDue(Number.POSITIVE_INFINITY);
    if (!next) return false;
    this.pending.delete(next);
    this.clock.advance(Math.max(0, next.dueMs - this.clock.nowMs()));
    next.task();
    return true;
  }

  /** Due time of the earliest pending task, or null. */
  nextDueMs(): number | null {
    return this.nextDue(Number.POSITIVE_INFINITY)?.dueMs ?? null;
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
