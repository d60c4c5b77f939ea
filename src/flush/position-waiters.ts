// Puts waiting for a shared position to pass their end offset (SYNC_FLUSH: `flushed`; later
// SYNC_MASTER: a slave's acked offset). Waiters are served in offset order by one async loop
// on the writer thread, which sleeps on the position with Atomics.waitAsync: one wake-up
// resolves every put the position passed (group commit). A waiter not served within
// `timeoutMs` resolves 'timed-out'; when `health()` says 'failed' all resolve 'failed', and
// when it says 'stalled' (the position cannot move for now, e.g. a full disk) all resolve
// 'stalled' at once instead of waiting out their timeout. Deadlines are on the injected
// clock's monotonicMs (the wake-ups themselves are Atomics.waitAsync timeouts).
import { assert } from '../util/assert.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ControlBlock } from '../util/control-block.js';

export type WaitResult = 'ok' | 'timed-out' | 'failed' | 'stalled';
export type PositionHealth = 'ok' | 'failed' | 'stalled';

interface Waiter {
  target: number;
  deadlineMs: number;
  resolve: (result: WaitResult) => void;
}

/** Most waiters one loop pass handles before yielding the event loop. */
const MAX_RESOLVED_PER_PASS = 65_536;

export class PositionWaiters<Name extends string> {
  private queue: Waiter[] = [];
  private head = 0;
  private looping = false;

  constructor(
    private readonly block: ControlBlock<Name>,
    private readonly position: Name,
    private readonly timeoutMs: number,
    private readonly health: () => PositionHealth,
    private readonly clock: Clock = systemClock,
  ) {}

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Resolve when `position >= target`. Targets must not decrease from one call to the next. */
  wait(target: number): Promise<WaitResult> {
    if (this.block.load(this.position) >= target) return Promise.resolve('ok');
    const health = this.health();
    if (health !== 'ok') return Promise.resolve(health);
    const last = this.queue[this.queue.length - 1];
    assert(!last || this.head === this.queue.length || last.target <= target, 'waiter targets must not decrease');
    return new Promise<WaitResult>((resolve) => {
      this.queue.push({ target, deadlineMs: this.clock.monotonicMs() + this.timeoutMs, resolve });
      if (!this.looping) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      while (this.pending > 0) {
        const value = this.block.load(this.position);
        this.settle(value);
        if (this.pending === 0) break;
        const waitMs = Math.max(1, this.queue[this.head]!.deadlineMs - this.clock.monotonicMs());
        await this.block.waitChangeAsync(this.position, value, waitMs);
      }
    } finally {
      this.looping = false;
      this.compact();
    }
  }

  private settle(value: number): void {
    const health = this.health();
    const now = this.clock.monotonicMs();
    for (let n = 0; this.pending > 0 && n < MAX_RESOLVED_PER_PASS; n++) {
      const w = this.queue[this.head]!;
      if (w.target <= value) w.resolve('ok');
      else if (health !== 'ok') w.resolve(health);
      else if (w.deadlineMs <= now) w.resolve('timed-out');
      else break;
      this.head++;
    }
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }
}
