// Puts that wait for a TransientStorePool buffer (issue 12: a busy pool applies backpressure, it
// does not fail puts). When a segment roll finds every pool buffer still holding a segment the
// commit service has not finished, the put joins this queue instead of answering
// CREATE_MAPPED_FILE_FAILED, and every later put queues behind it, so appends keep the order
// the puts arrived in. One drain loop retries the head each time the commit position reaches the
// point where a buffer comes back (CommitLog.waitForPoolBuffer).
//
// Bounds: a put waits at most `timeoutMs` (osPageCacheBusyTimeOutMills), then answers
// OS_PAGE_CACHE_BUSY (RocketMQ's "broker busy", retriable); at most `maxPending` puts wait, a put
// beyond that answers OS_PAGE_CACHE_BUSY at once. Nothing is appended for a put that answers
// busy. `abandon` answers every waiting put (store closing or failed) before the log closes.
import type { Clock } from '../util/clock.js';
import { failedPut, PutMessageStatus, type PutMessageResult } from './statuses.js';

/** What an append attempt answers when the pool is still busy (nothing was appended). */
export const POOL_BUSY = Symbol('pool busy');
export type AppendAttempt = () => Promise<PutMessageResult> | typeof POOL_BUSY;

/** Resolves once a buffer may be free ('ok'), at the deadline ('timed-out'), or 'none' when no
 * segment is being committed, so no buffer can come back. */
export type BufferWait = (timeoutMs: number) => Promise<'ok' | 'timed-out' | 'none'>;

interface Stalled {
  readonly attempt: AppendAttempt;
  readonly deadlineMs: number;
  readonly resolve: (r: Promise<PutMessageResult> | PutMessageResult) => void;
}

export class StalledPuts {
  private readonly queue: Stalled[] = [];
  private draining = false;
  private abandoned: string | null = null;

  constructor(
    private readonly waitForBuffer: BufferWait,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly maxPending: number,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  /** Queue `attempt` behind every waiting put; it runs once the pool has a buffer for it. */
  add(attempt: AppendAttempt): Promise<PutMessageResult> {
    if (this.abandoned !== null) return Promise.resolve(busy(this.abandoned, PutMessageStatus.SERVICE_NOT_AVAILABLE));
    if (this.queue.length >= this.maxPending) {
      return Promise.resolve(busy(`${this.queue.length} puts already wait for a TransientStorePool buffer`));
    }
    return new Promise((resolve) => {
      this.queue.push({ attempt, deadlineMs: this.clock.monotonicMs() + this.timeoutMs, resolve });
      if (!this.draining) void this.drain();
    });
  }

  /** Answer every waiting put with SERVICE_NOT_AVAILABLE; later puts too. */
  abandon(reason: string): void {
    this.abandoned = reason;
    for (const s of this.queue.splice(0)) s.resolve(busy(reason, PutMessageStatus.SERVICE_NOT_AVAILABLE));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && this.abandoned === null) {
        this.runUntilBusy();
        this.expire();
        if (this.queue.length === 0) break;
        const outcome = await this.waitForBuffer(Math.max(1, this.queue[0]!.deadlineMs - this.clock.monotonicMs()));
        if (outcome === 'none') this.runUntilBusy(); // the last retiring buffer may have come back meanwhile
        if (outcome === 'none' && this.queue.length > 0) {
          const reason = 'the TransientStorePool is empty and no segment is being committed to free a buffer';
          for (const s of this.queue.splice(0)) s.resolve(failedPut(PutMessageStatus.CREATE_MAPPED_FILE_FAILED, reason));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Append waiting puts in order until one finds the pool busy again. */
  private runUntilBusy(): void {
    while (this.queue.length > 0) {
      const result = this.queue[0]!.attempt();
      if (result === POOL_BUSY) return;
      this.queue.shift()!.resolve(result);
    }
  }

  /** Puts past their deadline answer busy; they are always at the head (deadlines only grow). */
  private expire(): void {
    const now = this.clock.monotonicMs();
    while (this.queue.length > 0 && this.queue[0]!.deadlineMs <= now) {
      this.queue.shift()!.resolve(busy(`no TransientStorePool buffer came back within osPageCacheBusyTimeOutMills=${this.timeoutMs} ms`));
    }
  }
}

function busy(reason: string, status: PutMessageResult['status'] = PutMessageStatus.OS_PAGE_CACHE_BUSY): PutMessageResult {
  return failedPut(status, reason);
}
