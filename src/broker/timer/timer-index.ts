// The delay timer's in-memory index of pending delay messages: (due time, timer-queue offset,
// CommitLog offset) in a min-heap by due time, at most `capacity` entries (about 40 bytes each).
// Paging instead of unbounded memory: when the index would exceed its capacity it sheds the
// latest-due quarter and remembers spillFloorMs, the earliest due time of what it shed. Invariant:
// every pending entry that is not in memory has dueMs >= spillFloorMs, so the index is complete for
// every due time below it; the timer re-reads its queue range from the log (reload) before the
// clock reaches spillFloorMs, or when the index has drained to a quarter. An entry whose due time
// is at or past spillFloorMs is not taken in while spilled (the reload finds it).
import { MinHeap } from '../../util/min-heap.js';

export interface PendingTimer {
  readonly queueOffset: number;
  readonly physicalOffset: number;
  readonly dueMs: number;
}

const earlier = (a: PendingTimer, b: PendingTimer): boolean => a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.queueOffset < b.queueOffset);

export class TimerIndex {
  private readonly heap = new MinHeap<PendingTimer>(earlier);
  private readonly offsets = new Set<number>();
  private floorMs = Infinity;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.heap.size;
  }

  /** Pending entries not in memory all have dueMs >= this (Infinity: none is out of memory). */
  get spillFloorMs(): number {
    return this.floorMs;
  }

  get spilled(): boolean {
    return this.floorMs !== Infinity;
  }

  has(queueOffset: number): boolean {
    return this.offsets.has(queueOffset);
  }

  add(e: PendingTimer): void {
    if (this.offsets.has(e.queueOffset) || e.dueMs >= this.floorMs) return;
    this.heap.push(e);
    this.offsets.add(e.queueOffset);
    if (this.heap.size > this.capacity) this.shed();
  }

  peek(): PendingTimer | undefined {
    return this.heap.peek();
  }

  pop(): PendingTimer | undefined {
    const e = this.heap.pop();
    if (e) this.offsets.delete(e.queueOffset);
    return e;
  }

  /** The lowest timer-queue offset in memory, or null when empty (O(n), for checkpoints). */
  minQueueOffset(): number | null {
    let min: number | null = null;
    for (const o of this.offsets) if (min === null || o < min) min = o;
    return min;
  }

  /** Whether the shed entries must be read back now. */
  needsReload(nowMs: number): boolean {
    return this.spilled && (nowMs >= this.floorMs || this.heap.size <= this.capacity / 4);
  }

  /** Start a reload: the caller adds every pending entry of the log range again (duplicates of
   * what is in memory are ignored; the index may shed again while it fills). */
  beginReload(): void {
    this.floorMs = Infinity;
  }

  private shed(): void {
    const all = this.heap.toArray().sort((a, b) => (earlier(a, b) ? -1 : earlier(b, a) ? 1 : 0));
    const keep = Math.floor((this.capacity * 3) / 4);
    const dropped = all.slice(keep);
    this.floorMs = Math.min(this.floorMs, dropped[0]!.dueMs);
    const kept = all.slice(0, keep);
    this.heap.reset(kept);
    this.offsets.clear();
    for (const e of kept) this.offsets.add(e.queueOffset);
  }
}
