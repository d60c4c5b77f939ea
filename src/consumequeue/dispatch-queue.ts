// Records appended to the CommitLog wait here until their bytes are visible to readers (below
// the committed offset, or the flushed one under SYNC_FLUSH); then their ConsumeQueue entries
// are written, in append order. Kept as parallel arrays in a ring so a put allocates nothing.
import type { ConsumeQueue } from './consume-queue.js';
import { assert } from '../util/assert.js';

const INITIAL_CAPACITY = 1024;

export class DispatchQueue {
  private queues: (ConsumeQueue | undefined)[] = new Array(INITIAL_CAPACITY);
  private numbers = new Float64Array(INITIAL_CAPACITY * 4); // queueOffset, physicalOffset, size, tagsCode
  private head = 0;
  private count = 0;

  constructor(private readonly maxPending: number) {}

  get pending(): number {
    return this.count;
  }

  push(queue: ConsumeQueue, queueOffset: number, physicalOffset: number, size: number, tagsCode: number): void {
    assert(this.count < this.maxPending, `more than ${this.maxPending} records wait for dispatch`);
    if (this.count === this.queues.length) this.grow();
    const i = (this.head + this.count) % this.queues.length;
    this.queues[i] = queue;
    const n = i * 4;
    this.numbers[n] = queueOffset;
    this.numbers[n + 1] = physicalOffset;
    this.numbers[n + 2] = size;
    this.numbers[n + 3] = tagsCode;
    this.count++;
  }

  /** Dispatch every waiting record that ends at or below `visibleOffset`; returns how many.
   * `onAppended`, when given, is called with the queue of each dispatched record (after its
   * entry is appended). */
  drain(visibleOffset: number, onAppended?: (queue: ConsumeQueue) => void): number {
    let done = 0;
    while (this.count > 0) {
      const n = this.head * 4;
      const physicalOffset = this.numbers[n + 1]!;
      const size = this.numbers[n + 2]!;
      if (physicalOffset + size > visibleOffset) break;
      const queue = this.queues[this.head]!;
      queue.append(this.numbers[n]!, physicalOffset, size, this.numbers[n + 3]!);
      onAppended?.(queue);
      this.queues[this.head] = undefined;
      this.head = (this.head + 1) % this.queues.length;
      this.count--;
      done++;
    }
    return done;
  }

  /** Forget the waiting records that end after `offset` (the CommitLog was cut there); the
   * ones below stay waiting for their visibility. */
  dropAfter(offset: number): void {
    while (this.count > 0) {
      const i = (this.head + this.count - 1) % this.queues.length;
      if (this.numbers[i * 4 + 1]! + this.numbers[i * 4 + 2]! <= offset) break;
      this.queues[i] = undefined;
      this.count--;
    }
  }

  /** Visit every waiting record's queue and queue offset, oldest first. */
  forEachPending(visit: (queue: ConsumeQueue, queueOffset: number) => void): void {
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) % this.queues.length;
      visit(this.queues[i]!, this.numbers[i * 4]!);
    }
  }

  /** Forget every waiting record (the CommitLog was truncated below them). */
  clear(): void {
    this.queues.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const capacity = this.queues.length * 2;
    const queues: (ConsumeQueue | undefined)[] = new Array(capacity);
    const numbers = new Float64Array(capacity * 4);
    for (let k = 0; k < this.count; k++) {
      const from = (this.head + k) % this.queues.length;
      queues[k] = this.queues[from];
      numbers.set(this.numbers.subarray(from * 4, from * 4 + 4), k * 4);
    }
    this.queues = queues;
    this.numbers = numbers;
    this.head = 0;
  }
}
