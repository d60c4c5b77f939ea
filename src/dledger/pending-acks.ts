// The leader's client puts waiting for the Raft confirm offset: each waits for `end` within the
// term it was appended in. Resolved 'ok' when the confirm covers its end while this member still
// leads that term; 'not-available' when the term or role changes first (DLedger's TERM_CHANGED:
// the bytes may still commit under the next leader, or be cut); 'timed-out' after the wait
// (maxWaitAckTimeMs). Ends arrive in order (the store appends in order), so the queue is sorted by
// end and by deadline: completion and expiry both take from the front. Bounded by `maxPending`
// (more are refused before they are appended: busyRefusal).
import type { ReplicationWait } from '../replication/replication-types.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';

interface PendingAck {
  readonly end: number;
  readonly term: number;
  readonly deadline: number;
  readonly resolve: (w: ReplicationWait) => void;
}

export class PendingAcks {
  private queue: PendingAck[] = [];
  private head = 0;
  private timer: Cancelable | null = null;
  private timerAt = Infinity;

  constructor(
    private readonly waitMs: number,
    readonly maxPending: number,
    private readonly scheduler: Scheduler,
    private readonly nowMs: () => number,
  ) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  add(end: number, term: number): Promise<ReplicationWait> {
    return new Promise((resolve) => {
      this.queue.push({ end, term, deadline: this.nowMs() + this.waitMs, resolve });
      this.arm();
    });
  }

  /** The confirm offset is `confirm` and this member leads `term`. */
  confirm(confirm: number, term: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.end <= confirm) {
      const p = this.queue[this.head++]!;
      p.resolve(p.term === term ? 'ok' : 'not-available');
    }
    this.compact();
  }

  /** Leadership of the term the puts were appended in is gone (or the member stops). */
  failAll(): void {
    const list = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
    for (const p of list) p.resolve('not-available');
  }

  private expire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.nowMs();
    while (this.head < this.queue.length && this.queue[this.head]!.deadline <= now) this.queue[this.head++]!.resolve('timed-out');
    this.compact();
    this.arm();
  }

  private arm(): void {
    const first = this.queue[this.head];
    if (!first) return;
    if (this.timer && this.timerAt <= first.deadline) return;
    this.timer?.cancel();
    this.timerAt = first.deadline;
    this.timer = this.scheduler.after(Math.max(0, first.deadline - this.nowMs()), () => this.expire(), { background: true });
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
