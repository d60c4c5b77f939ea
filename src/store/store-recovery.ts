// Opening a store's data: load the CommitLog segments, the ConsumeQueues and the consumer
// offsets, recover the CommitLog (scan from the checkpoint or the last segments, cut a torn
// tail), cut the ConsumeQueues back to their durable offset and re-dispatch from there to the
// log end, and set every position to the recovered end; then check every ConsumeQueue and
// rebuild the missing or damaged ones from the CommitLog (consume-queue-check.ts). In DLedger
// mode the re-dispatched records wait in the dispatch queue for the Raft confirm offset. After an unclean exit the recovered
// bytes may be only in the page cache: they are made durable before they count as flushed (and
// before consumers see them).
import { recoverCommitLog, type RecoveryResult } from '../commitlog/recovery.js';
import { checkConsumeQueues } from './consume-queue-check.js';
import { confirmDeferral } from './confirm-deferral.js';
import { redispatch } from './redispatch.js';
import type { StoreCore } from './store-core.js';

export function loadAndRecover(core: StoreCore, lastExitAbnormal: boolean): RecoveryResult {
  const { io, commitLog, consumeQueues, checkpoint, config, logger } = core;
  commitLog.segments.load(logger);
  consumeQueues.load();
  core.offsets.load();
  const recovery = recoverCommitLog({
    io,
    segments: commitLog.segments,
    abnormal: lastExitAbnormal,
    checkpointMinTimestamp: checkpoint.minTimestamp,
    scan: { checkCrc: config.checkCRCOnRecover, maxMessageBytes: config.maxMessageSize },
    logger: logger.child('recovery'),
    storeRoot: config.storePathRootDir,
    clock: core.clock,
  });
  const end = recovery.endOffset;
  const clMin = commitLog.minOffsetOnDisk();
  // Queues gone while the store was closed (e.g. the directory removed) are rebuilt from the start.
  const saved = consumeQueues.count === 0 ? clMin : checkpoint.values.consumeQueueDurableOffset;
  const durable = Math.min(Math.max(saved, clMin), end);
  consumeQueues.recover(durable);
  // DLedger: the records past the queues' durable offset may be uncommitted (a diverged tail the
  // group cuts later): they wait in the dispatch queue for the Raft confirm offset instead
  redispatch(io, commitLog, consumeQueues, durable, end, config.maxMessageSize, logger.child('recovery'), undefined, confirmDeferral(core, durable) ?? undefined);
  consumeQueues.deleteBelow(clMin); // queue min offsets follow the CommitLog's (RocketMQ recoverTopicQueueTable)
  if (lastExitAbnormal) for (const f of commitLog.segments.all()) if (f.endOffset > recovery.scannedFrom && f.fromOffset < end) io.fdatasync(f.fd);
  checkpoint.values.consumeQueueDurableOffset = durable;
  checkpoint.values.confirmPhyOffset = end;
  commitLog.resetPositions(end);
  checkConsumeQueues(core, lastExitAbnormal);
  core.queueManifest.save(consumeQueues.counts(), true);
  return recovery;
}
