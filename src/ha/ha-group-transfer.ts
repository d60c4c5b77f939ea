// SYNC_MASTER waiting, batched like group commit (RocketMQ GroupTransferService): puts wait for
// the "replicated offset" (the offset that enough slaves have acknowledged) to pass their end.
//
// Invariants:
//   - waiters sit in one queue in arrival order; every deadline is arrival + timeoutMs on a
//     monotonic clock, so arrival order is deadline order and expiry only ever looks at the head;
//   - the put path enqueues ends in increasing order, so an ack resolves a prefix of the queue
//     (one pass per ack event, O(resolved)); an out-of-order end is still handled correctly
//     (the next passes scan the whole queue until it empties);
//   - one timer at most, for the head's deadline (no timer per put);
//   - the replicated offset never moves backwards; the queue is bounded (maxWaiters).
import type { ReplicationWait } from '../replication/replication-types.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';

interface Waiter {
  end: number;
  deadlineMs: number;
  resolve: ((outcome: ReplicationWait) => void) | null;
}

/** Compact the queue array when this many settled entries sit before the head. */
const COMPACT_AT = 4096;
/** Timers may fire a little early relative to the monotonic clock. */
const TIMER_SLACK_MS = 1;

export class GroupTransfer {
  private queue: Waiter[] = [];
  private head = 0;
  private replicated = 0;
  private unordered = false;
  private timer: Cancelable | null = null;
  private closedWith: ReplicationWait | null = null;

  constructor(
    private readonly timeoutMs: number,
    private readonly scheduler: Scheduler,
    /** Monotonic ms (the runtime clock's monotonicMs). */
    private readonly nowMs: () => number,
    private readonly maxWaiters = 1_000_000,
  ) {}

  /** The offset enough slaves have acknowledged. */
  get replicatedOffset(): number {
    return this.replicated;
  }

  /** Puts waiting. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Resolve 'ok' once the replicated offset reaches `end`, 'timed-out' after timeoutMs. A full
   * queue answers 'timed-out' at once (the put is stored, only not confirmed). */
  wait(end: number): Promise<ReplicationWait> {
    if (this.closedWith !== null) return Promise.resolve(this.closedWith);
    if (end <= this.replicated) return Promise.resolve('ok');
    if (this.pending >= this.maxWaiters) return Promise.resolve('timed-out');
    return new Promise((resolve) => {
      const tail = this.queue[this.queue.length - 1];
      if (this.pending > 0 && tail !== undefined && end < tail.end) this.unordered = true;
      this.queue.push({ end, deadlineMs: this.nowMs() + this.timeoutMs, resolve });
      if (this.timer === null) this.armTimer();
    });
  }

  /** Enough slaves acknowledged `offset`: resolve every waiter it covers. */
  advance(offset: number): void {
    if (offset <= this.replicated) return;
    this.replicated = offset;
    if (this.unordered) {
      for (let i = this.head; i < this.queue.length; i++) {
        const w = this.queue[i]!;
        if (w.resolve !== null && w.end <= offset) settle(w, 'ok');
      }
    } else {
      for (; this.head < this.queue.length; this.head++) {
        const w = this.queue[this.head]!;
        if (w.resolve !== null && w.end > offset) break;
        settle(w, 'ok');
      }
    }
    this.dropSettledHead();
  }

  /** Settle every waiter with `outcome` and answer later waits with it (service stopping). */
  close(outcome: ReplicationWait): void {
    this.closedWith = outcome;
    this.timer?.cancel();
    this.timer = null;
    for (let i = this.head; i < this.queue.length; i++) settle(this.queue[i]!, outcome);
    this.queue = [];
    this.head = 0;
  }

  private armTimer(): void {
    const first = this.queue[this.head];
    if (first === undefined) return;
    const delayMs = Math.max(0, first.deadlineMs - this.nowMs());
    this.timer = this.scheduler.after(delayMs, () => this.expire());
  }

  private expire(): void {
    this.timer = null;
    const now = this.nowMs() + TIMER_SLACK_MS;
    for (; this.head < this.queue.length; this.head++) {
      const w = this.queue[this.head]!;
      if (w.resolve !== null && w.deadlineMs > now) break;
      settle(w, 'timed-out');
    }
    this.dropSettledHead();
    this.armTimer();
  }

  /** Skip settled entries at the head; reset or compact the array. */
  private dropSettledHead(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.resolve === null) this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.unordered = false;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

function settle(w: Waiter, outcome: ReplicationWait): void {
  const resolve = w.resolve;
  w.resolve = null;
  resolve?.(outcome);
}
