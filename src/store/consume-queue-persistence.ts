// Making ConsumeQueue entries durable: on a timer the tails are written (pwrites of memory, on
// this thread) and fdatasynced off this thread (FileIO.fdatasyncAsync: libuv's pool; an
// fdatasync racing the CommitLog's flush took 3-14 ms here); at close, in this thread. The
// checkpoint's consumeQueueDurableOffset moves only once the fdatasyncs returned. One round at a
// time. The queue manifest (config/consumeQueues.json) is saved in the same round when a queue
// was added, and at close.
// Failures: a write error (e.g. ENOSPC) refuses puts until a later round succeeds (the tail is
// still in memory); an fdatasync error is final (fail-stop): the failed pages may be gone from
// the page cache while the tail is no longer in memory, so a later successful fdatasync would
// claim entries that never reached the disk.
import type { StoreCore } from './store-core.js';

export class ConsumeQueuePersistence {
  /** The fdatasyncs of the last timer round, while they run. */
  private inFlight: Promise<void> | null = null;

  constructor(private readonly core: StoreCore) {}

  /** Resolves once no round's fdatasyncs are running (retention and close wait for it). */
  get idle(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  get syncing(): boolean {
    return this.inFlight !== null;
  }

  /** One round; `inThread` fdatasyncs on this thread (close). */
  persist(inThread = false): void {
    if (this.inFlight) return;
    const core = this.core;
    const covered = core.dispatch.drain();
    let fds: number[];
    try {
      fds = core.consumeQueues.writeTails();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (core.health.cqFailure === null) core.logger.error(`writing ConsumeQueues failed, puts are refused until it succeeds: ${e.message}`);
      core.health.cqFailure = `ConsumeQueue write failed: ${e.message}`;
      return;
    }
    if (core.health.cqFailure !== null) core.logger.info('ConsumeQueues written again, puts resume');
    core.health.cqFailure = null;
    try {
      core.queueManifest.save(core.consumeQueues.counts(), inThread); // at close always, else when a queue was added
    } catch (err) {
      core.logger.warn(`saving the ConsumeQueue manifest failed (${(err as Error).message}); the next round retries`);
    }
    const synced = (): void => {
      if (core.health.failure === null) core.checkpoint.values.consumeQueueDurableOffset = covered;
    };
    if (inThread) {
      try {
        for (const fd of fds) core.io.fdatasync(fd);
      } catch (err) {
        this.onSyncFailed(err as NodeJS.ErrnoException);
        return;
      }
      synced();
      return;
    }
    this.inFlight = Promise.all(fds.map((fd) => core.io.fdatasyncAsync(fd)))
      .then(synced, (err: NodeJS.ErrnoException) => this.onSyncFailed(err))
      .finally(() => {
        this.inFlight = null;
      });
  }

  private onSyncFailed(e: NodeJS.ErrnoException): void {
    const reason = this.core.health.failStop(`ConsumeQueue fdatasync failed (${e.code ?? 'error'}): ${e.message}; restart the store to rebuild the queues from the CommitLog`);
    this.core.logger.error(reason);
    // SYNC_FLUSH puts waiting for `flushed` learn it now, not at syncFlushTimeout
    this.core.commitLog.block.notify('flushed');
  }
}
