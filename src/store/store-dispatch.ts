// What consumers may see, and getting it into the ConsumeQueues: records appended to the
// CommitLog wait in the dispatch queue until their bytes are visible, then get their queue
// entries. Visible means: below `committed` (readers never see bytes past it), and under
// SYNC_FLUSH below `flushed` too (RocketMQ 5.3's rule, unless readUnCommitted), and below the
// replication policy's confirm offset where it sets one (unless readUnCommitted).
// Arrival listeners (the public onMessageArrived) hear, after each drain, every queue that got
// new entries: once per queue per drain, after the entries are readable.
import type { ConsumeQueue } from '../consumequeue/consume-queue.js';
import { DispatchQueue } from '../consumequeue/dispatch-queue.js';
import type { PersistencePosition } from '../flush/persistence-layout.js';
import type { ReplicationPolicy } from '../replication/replication-policy.js';
import type { ControlBlock } from '../util/control-block.js';

/** Records that may wait for dispatch before puts are refused with OS_PAGE_CACHE_BUSY. */
export const MAX_PENDING_DISPATCH = 4_000_000;

/** Told that (topic, queueId) has new readable entries. */
export type ArrivalListener = (topic: string, queueId: number) => void;

export class StoreDispatch {
  private readonly queue = new DispatchQueue(MAX_PENDING_DISPATCH);
  private readonly arrivalListeners = new Set<ArrivalListener>();
  private readonly touched = new Set<ConsumeQueue>();
  private readonly noteTouched = (q: ConsumeQueue): void => {
    this.touched.add(q);
  };
  private readonly visibleAtFlush: boolean;

  constructor(
    private readonly block: ControlBlock<PersistencePosition>,
    syncFlush: boolean,
    private readonly readUnCommitted: boolean,
    private readonly policy: () => ReplicationPolicy,
  ) {
    this.visibleAtFlush = syncFlush && !readUnCommitted;
  }

  get pending(): number {
    return this.queue.pending;
  }

  /** Room for `count` more records (checked before anything is appended). */
  hasRoomFor(count: number): boolean {
    return this.queue.pending + count <= MAX_PENDING_DISPATCH;
  }

  push(queue: ConsumeQueue, queueOffset: number, physicalOffset: number, size: number, tagsCode: number): void {
    this.queue.push(queue, queueOffset, physicalOffset, size, tagsCode);
  }

  /** The end of what consumers may see now. */
  visibleOffset(): number {
    const local = this.visibleAtFlush ? this.block.load('flushed') : this.block.load('committed');
    if (this.readUnCommitted) return local;
    const confirm = this.policy().confirmOffset();
    return confirm === null ? local : Math.min(local, confirm);
  }

  /** Dispatch every record that is visible; returns the visible offset (every record that ends
   * at or below it is dispatched: every appended record is queued before any chore runs). */
  drain(): number {
    const visible = this.visibleOffset();
    if (this.arrivalListeners.size === 0) {
      this.queue.drain(visible);
      return visible;
    }
    this.queue.drain(visible, this.noteTouched);
    if (this.touched.size > 0) this.announce();
    return visible;
  }

  /** Add an arrival listener; returns its removal. */
  onArrival(listener: ArrivalListener): () => void {
    this.arrivalListeners.add(listener);
    return () => this.arrivalListeners.delete(listener);
  }

  private announce(): void {
    const queues = [...this.touched];
    this.touched.clear();
    for (const q of queues) for (const listener of this.arrivalListeners) listener(q.topic, q.queueId);
  }

  /** Log truncation at `offset`: dispatch the visible records below it, forget the ones past
   * it; records below it that are not visible yet (past a replication confirm offset) keep
   * waiting (a Raft follower's agreed but uncommitted prefix is not shown to consumers). */
  cutAt(offset: number): void {
    this.queue.drain(Math.min(offset, this.visibleOffset()));
    this.queue.dropAfter(offset);
  }

  /** Each queue's next queue offset covers the records still waiting for it (after a cut or a
   * recovery that left records waiting). */
  raiseNextQueueOffsets(): void {
    this.queue.forEachPending((q, queueOffset) => {
      if (q.nextQueueOffset < queueOffset + 1) q.nextQueueOffset = queueOffset + 1;
    });
  }
}
