// One incarnation of a simulated host's process: the Clock and Scheduler its code is given.
// Killing it (a crash) is what makes a restart honest: a dead process runs nothing more.
//
// Invariants:
//   - every timer the process arms goes through the world's one ManualScheduler, so all hosts
//     interleave in one deterministic order;
//   - after kill(), none of its pending timers runs and new ones are dropped (a late promise
//     continuation of dead code cannot act); the next incarnation is a new SimProcess;
//   - the process's wall clock may be skewed by a fixed offset (nowMs), never its monotonic one
//     (durations are the same on every host);
//   - nowMs is whole milliseconds, like Date.now() (the simulated time is fractional: a record
//     stamped at a network event's time must carry an integer timestamp, as in production).
import type { Clock } from '../../src/util/clock.js';
import type { Cancelable, Scheduler } from '../../src/util/scheduler.js';
import { quantizeMs } from './world.js';

const NOOP: Cancelable = { cancel: () => undefined };

export class SimProcess implements Scheduler {
  private readonly timers = new Set<Cancelable>();
  private aliveFlag = true;
  /** Wall-clock skew of this host, ms (set by a fault). */
  wallSkewMs = 0;
  readonly clock: Clock;

  constructor(
    readonly host: string,
    readonly incarnation: number,
    private readonly worldClock: Clock,
    private readonly worldScheduler: Scheduler,
  ) {
    this.clock = {
      nowMs: () => Math.floor(this.worldClock.nowMs() + this.wallSkewMs),
      monotonicMs: () => this.worldClock.monotonicMs(),
    };
  }

  /** The Scheduler to hand to this process's code (this object). */
  get scheduler(): Scheduler {
    return this;
  }

  get alive(): boolean {
    return this.aliveFlag;
  }

  /** Pending timers of this process. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** "n1#2": host and incarnation, for traces. */
  get label(): string {
    return `${this.host}#${this.incarnation}`;
  }

  after(delayMs: number, task: () => void): Cancelable {
    if (!this.aliveFlag) return NOOP;
    const handle: Cancelable = {
      cancel: () => {
        inner.cancel();
        this.timers.delete(handle);
      },
    };
    const inner = this.worldScheduler.after(quantizeMs(Math.max(0, delayMs)), () => {
      this.timers.delete(handle);
      if (this.aliveFlag) task();
    });
    this.timers.add(handle);
    return handle;
  }

  soon(task: () => void): Cancelable {
    return this.after(0, task);
  }

  /** The process dies: its timers are cancelled and it never runs again. */
  kill(): void {
    this.aliveFlag = false;
    for (const t of [...this.timers]) t.cancel();
    this.timers.clear();
  }
}
