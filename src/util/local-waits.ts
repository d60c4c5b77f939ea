// Async waits on control block positions served on this thread, for a block whose positions
// only change on this thread (the persistence service in-thread, as in the simulator): instead
// of Atomics.waitAsync, whose wake-ups arrive as tasks of the event loop and whose timeouts run
// on the real clock, a waiter is a listener that the block calls wherever it would
// Atomics.notify, and its timeout is a Scheduler timer. Under a manual scheduler every wait then
// resolves at a point the simulator controls, so a run replays exactly.
//
// Bounds: at most MAX_WAITERS waiters at once (assert); each resolves once (change, target
// reached, or timeout) and is removed then.
import { assert } from './assert.js';
import type { Clock } from './clock.js';
import type { Cancelable, Scheduler } from './scheduler.js';

export type LocalWaitOutcome = 'ok' | 'timed-out';

const MAX_WAITERS = 1_000_000;

interface LocalWaiter {
  slot: number;
  /** Resolve when the value is at least this (waitAtLeast), or null: on any notify (waitChange). */
  target: bigint | null;
  resolve: (outcome: LocalWaitOutcome) => void;
  timer: Cancelable | null;
}

export class LocalWaits {
  private readonly waiters = new Set<LocalWaiter>();

  constructor(
    readonly scheduler: Scheduler,
    readonly clock: Clock,
  ) {}

  get pending(): number {
    return this.waiters.size;
  }

  /** Resolve on the next notify of `slot` (the caller checked the value first), or 'timed-out'. */
  waitNotify(slot: number, timeoutMs: number): Promise<LocalWaitOutcome> {
    return this.add(slot, null, timeoutMs);
  }

  /** Resolve once a notify of `slot` finds its value at least `target`, or 'timed-out'. */
  waitAtLeast(slot: number, target: bigint, timeoutMs: number): Promise<LocalWaitOutcome> {
    return this.add(slot, target, timeoutMs);
  }

  /** The block changed (or notified) `slot`, whose value is now `value`. */
  notified(slot: number, value: bigint): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) {
      if (w.slot !== slot || (w.target !== null && value < w.target)) continue;
      this.settle(w, 'ok');
    }
  }

  private add(slot: number, target: bigint | null, timeoutMs: number): Promise<LocalWaitOutcome> {
    assert(this.waiters.size < MAX_WAITERS, `more than ${MAX_WAITERS} local position waiters`);
    return new Promise((resolve) => {
      const w: LocalWaiter = { slot, target, resolve, timer: null };
      this.waiters.add(w);
      w.timer = this.scheduler.after(Math.max(0, timeoutMs), () => this.settle(w, 'timed-out'), { background: true });
    });
  }

  private settle(w: LocalWaiter, outcome: LocalWaitOutcome): void {
    if (!this.waiters.delete(w)) return;
    w.timer?.cancel();
    w.resolve(outcome);
  }
}
