// Gives the event loop a turn within a bounded number of already-settled answers. A caller that
// awaits promises which are always resolved at once (ASYNC_FLUSH puts that wait for nothing, or
// refused puts retried in a loop) runs
// as one microtask chain: libuv never polls, so no IO callback, timer or fdatasync completion runs
// until the caller stops (a never-yielding producer once kept the ConsumeQueue's fdatasync from
// ever completing). TurnYield answers at most `maxPerTurn` values with a resolved promise between
// two turns of the scheduler's `soon` queue; later ones resolve on the next turn, in call order.
//
// Invariants: values resolve in the order settle() was called (a deferred one is never overtaken:
// once one is deferred, every later one is deferred until the turn); at most one `soon` task is
// pending; the deferred list holds only values whose callers are waiting for them.
import type { Scheduler } from './scheduler.js';

export class TurnYield {
  private sinceTurn = 0;
  private armed = false;
  private deferred: (() => void)[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly maxPerTurn: number,
  ) {}

  /** A promise of `value`: resolved at once while this turn is within its budget. */
  settle<T>(value: T): Promise<T> {
    if (!this.armed) {
      this.armed = true;
      this.scheduler.soon(() => this.turn());
    }
    if (++this.sinceTurn <= this.maxPerTurn && this.deferred.length === 0) return Promise.resolve(value);
    return new Promise((resolve) => this.deferred.push(() => resolve(value)));
  }

  /** Answers deferred to the next turn now (for status and tests). */
  get deferredCount(): number {
    return this.deferred.length;
  }

  private turn(): void {
    this.armed = false;
    this.sinceTurn = 0;
    const ready = this.deferred;
    this.deferred = [];
    for (const resolve of ready) resolve();
  }
}
