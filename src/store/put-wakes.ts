// When a put wakes the persistence service (wakeCommitWhenPutMessage / wakeFlushWhenPutMessage,
// and always under SYNC_FLUSH). A wake is a futex wake of the worker thread and a context
// switch: once per put it cost ~25% of the writer thread's time at 128 B (CPU profile, issue 12).
// The service commits (flushes) only when at least `leastPages` pages wait, or when its
// thorough interval has passed; a wake that meets neither does nothing. So an ASYNC_FLUSH put
// wakes it only when the bytes since the last wake reach `leastPages` pages, or when the last
// wake is older than the thorough interval (a lone put after a quiet spell is committed at
// once, as before). SYNC_FLUSH puts always wake (group commit wants the flush now; the runner
// coalesces wakes that arrive while the service is busy: persistence-layout.ts `wakeupsSeen`).
const PAGE_BYTES = 4096;

export class PutWakes {
  private nextWakeOffset = 0;
  private nextWakeMs = 0;

  constructor(
    private readonly everyPut: boolean,
    private readonly leastBytes: number,
    private readonly thoroughIntervalMs: number,
  ) {}

  static forConfig(c: {
    flushDiskType: string;
    wakeCommitWhenPutMessage: boolean;
    wakeFlushWhenPutMessage: boolean;
    commitCommitLogLeastPages: number;
    commitCommitLogThoroughInterval: number;
    flushCommitLogLeastPages: number;
    flushCommitLogThoroughInterval: number;
  }, pooled: boolean): PutWakes | null {
    if (c.flushDiskType === 'SYNC_FLUSH') return new PutWakes(true, 0, 0);
    const commit = pooled && c.wakeCommitWhenPutMessage;
    if (!commit && !c.wakeFlushWhenPutMessage) return null;
    // both asked: the commit's (smaller) thresholds win, a commit wakes the flush anyway
    const pages = commit ? c.commitCommitLogLeastPages : c.flushCommitLogLeastPages;
    const intervalMs = commit ? c.commitCommitLogThoroughInterval : c.flushCommitLogThoroughInterval;
    return new PutWakes(pages === 0, pages * PAGE_BYTES, intervalMs);
  }

  /** Whether the put whose bytes end at `end` should wake the service; `nowMs` is monotonic. */
  shouldWake(end: number, nowMs: () => number): boolean {
    if (this.everyPut) return true;
    if (end < this.nextWakeOffset) {
      const now = nowMs();
      if (now < this.nextWakeMs) return false;
      this.nextWakeMs = now + this.thoroughIntervalMs;
    } else {
      this.nextWakeMs = nowMs() + this.thoroughIntervalMs;
    }
    this.nextWakeOffset = end + this.leastBytes;
    return true;
  }
}
