// Cutting an open store's log back to an offset (a follower whose log diverged from its
// leader's: rejoin, and later Raft's conflicting suffix). Order:
//   1. refuse unless the store follows (no client put can be waiting on bytes that go away) and
//      the offset is at or above the policy's confirm offset (assert: cutting confirmed bytes
//      is a bug in the caller) and at or above the log's first byte;
//   2. stop the persistence service (its final drain makes every written byte durable);
//   3. copy the bytes that go away into quarantine/<from>-<to>-<ms>/ (fsynced, one file per
//      segment touched, named by the offset of its first copied byte), so nothing is lost without
//      a copy; a copy that fails (e.g. ENOSPC) cancels the truncation;
//   4. dispatch the visible records below the offset (the rest below it keep waiting for the
//      confirm offset), forget the ones past it; cut the CommitLog (later segments
//      deleted, the rest of the cut one zeroed and synced) and every ConsumeQueue (entries of
//      records at or after the offset; next queue offsets follow); the checkpoint's offsets move
//      down with it and are saved;
//   5. start a new persistence service at the new end.
// Appends are refused while it runs (the store's `truncating` flag).
import { ErrorCode, StoreError } from '../errors.js';
import { copyToQuarantine } from '../commitlog/quarantine-copy.js';
import { assert } from '../util/assert.js';
import type { PersistenceRunner } from '../flush/persistence-runner.js';
import type { StoreCore } from './store-core.js';

export interface TruncationResult {
  truncateTo: number;
  droppedBytes: number;
  deletedSegments: number;
  /** Where the dropped bytes were copied (null when none were dropped). */
  quarantineDir: string | null;
}

export async function truncateLog(core: StoreCore, offset: number, startRunner: () => Promise<PersistenceRunner>): Promise<TruncationResult> {
  const log = core.commitLog;
  const end = log.wroteOffset;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new StoreError(ErrorCode.INVALID_ARGUMENT, `truncation offset must be a non-negative integer, got ${offset}`);
  if (!core.policy.follows) throw new StoreError(ErrorCode.INVALID_ARGUMENT, `the log can only be truncated while the store follows a master/leader (it is ${core.policy.role})`);
  const confirm = core.policy.confirmOffset();
  assert(confirm === null || offset >= confirm, `truncation to ${offset} is below the confirm offset ${confirm}`);
  if (offset >= end) return { truncateTo: end, droppedBytes: 0, deletedSegments: 0, quarantineDir: null };
  if (offset < log.minOffsetOnDisk()) throw new StoreError(ErrorCode.INVALID_ARGUMENT, `truncation to ${offset} is below the log's first byte ${log.minOffsetOnDisk()}`);
  core.truncating = true;
  try {
    await core.runner!.stop();
    let quarantineDir: string;
    try {
      quarantineDir = quarantine(core, offset, end);
    } catch (err) {
      core.commitLog.detach();
      core.runner = await startRunner();
      throw new StoreError(ErrorCode.IO, `truncation to ${offset} cancelled, nothing dropped: copying [${offset}, ${end}) to quarantine failed: ${(err as Error).message}`, { cause: err });
    }
    return await cut(core, offset, end, quarantineDir, startRunner);
  } finally {
    core.truncating = false;
  }
}

async function cut(core: StoreCore, offset: number, end: number, quarantineDir: string, startRunner: () => Promise<PersistenceRunner>): Promise<TruncationResult> {
  const log = core.commitLog;
  core.dispatch.cutAt(offset);
  log.detach();
  const cut = log.cutBack(offset);
  for (const q of core.consumeQueues.all()) {
    q.truncateByPhysicalOffset(offset);
    q.nextQueueOffset = q.maxOffset;
  }
  core.dispatch.raiseNextQueueOffsets();
  const cp = core.checkpoint.values;
  cp.consumeQueueDurableOffset = Math.min(cp.consumeQueueDurableOffset, offset);
  cp.confirmPhyOffset = Math.min(cp.confirmPhyOffset, offset);
  core.checkpoint.save();
  core.runner = await startRunner();
  core.logger.warn(
    `truncated the log from ${end} to ${offset} while open: ${end - offset} bytes dropped (${cut.deletedSegments} segment file(s) deleted, ` +
      `${cut.zeroedBytes} bytes zeroed), a copy is in ${quarantineDir}`,
  );
  return { truncateTo: offset, droppedBytes: end - offset, deletedSegments: cut.deletedSegments, quarantineDir };
}

/** Copy [from, to) of the (stopped, fully flushed) log into a new quarantine directory. */
function quarantine(core: StoreCore, from: number, to: number): string {
  return copyToQuarantine(core.io, core.commitLog.segments, core.config.storePathRootDir, [{ from, to }], core.clock.nowMs());
}

