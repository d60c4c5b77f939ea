// Closing an open store, in order: stop the chores; stop the persistence service (its final
// commit + flush); wait for a running ConsumeQueue fdatasync round; write and sync the
// ConsumeQueue tails; save the consumer offsets and the checkpoint; close the files; mark the
// shutdown clean only when everything written was flushed and dispatched and nothing failed
// (else the next open recovers abnormally); release the directory lock. Every step runs even
// when an earlier one failed (each failure is logged).
import type { ConsumeQueuePersistence } from './consume-queue-persistence.js';
import type { StoreCore } from './store-core.js';
import type { StoreFiles } from './store-files.js';

export async function closeStore(core: StoreCore, files: StoreFiles, cqPersistence: ConsumeQueuePersistence, saveCheckpoint: () => void): Promise<void> {
  core.timers.cancelAll();
  let clean = core.health.failure === null;
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      clean = false;
      core.logger.error(`close: ${what} failed: ${(err as Error).message}`);
    }
  };
  try {
    await core.runner!.stop();
  } catch (err) {
    clean = false;
    core.logger.error(`close: stopping the persistence service failed: ${(err as Error).message}`);
  }
  await cqPersistence.idle;
  await core.checkpoint.idle; // a background checkpoint sync must end before its fd closes
  step('writing ConsumeQueues', () => {
    cqPersistence.persist(true);
    if (core.health.cqFailure !== null) throw new Error(core.health.cqFailure);
  });
  step('saving consumer offsets', () => core.offsets.persist());
  step('saving the checkpoint', saveCheckpoint);
  const log = core.commitLog;
  clean &&= core.dispatch.pending === 0 && log.flushedOffset === log.wroteOffset && log.block.load('failed') === 0;
  step('closing ConsumeQueues', () => core.consumeQueues.close());
  step('closing the CommitLog', () => log.close());
  step('closing the checkpoint', () => core.checkpoint.close());
  if (clean) files.markCleanShutdown();
  else core.logger.warn('closed with unflushed or undispatched data or after a failure: the next open recovers abnormally');
  files.unlock();
}
