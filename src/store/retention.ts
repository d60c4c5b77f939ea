// Deleting old CommitLog segments (fileReservedTime, deleteWhen, disk pressure) and the
// ConsumeQueue files that only point below the new CommitLog start. Never deletes the segment
// being written, nor anything not yet flushed. At most deleteFileBatchMax segments per round.
// File ages come from the segments' FileIO (stat), deletions go through it too.
//
// Which segment may go (the oldest first, stopping at the first that may not):
//   expired (older than fileReservedTime)          at deleteWhen, or above diskMaxUsedSpaceRatio
//   consumed by every consumer group (see below)   above diskSpaceCleanForciblyRatio
//   anything (RocketMQ's forced cleanup)           above diskSpaceCleanForciblyRatio only with
//                                                  cleanFileForciblyEnable=true, logged as a WARN
//                                                  naming the unconsumed messages it destroys
// A segment is consumed when, for every ConsumeQueue with entries pointing below the segment's
// end, the topic has at least one consumer group (consumerOffset.json) and every group of that
// topic has committed an offset past those entries. A topic nobody consumes is never consumed.
// When nothing may go, the segment is kept and the disk guard refuses puts at
// diskSpaceWarningLevelRatio (that is the default answer to a full disk: refuse, never delete
// acknowledged unconsumed messages).
import type { CommitLog } from '../commitlog/commit-log.js';
import type { ConsumeQueueStore } from '../consumequeue/consume-queue-store.js';
import type { ConsumerOffsets } from '../consumequeue/consumer-offsets.js';
import { parseDeleteWhenHours } from '../config/value-formats.js';
import type { SegmentFile } from '../segment/segment-file.js';
import type { Logger } from '../util/logger.js';
import type { DiskPressure } from './disk-space.js';

export interface RetentionSettings {
  fileReservedTime: number;
  deleteWhen: string;
  deleteFileBatchMax: number;
}

export interface RetentionResult {
  deleted: number;
  /** Why the oldest segment was kept although the disk is above diskSpaceCleanForciblyRatio
   * (null when it was not, or it went). */
  keptBecause: string | null;
}

export function runRetention(
  commitLog: CommitLog,
  queues: ConsumeQueueStore,
  offsets: ConsumerOffsets,
  settings: RetentionSettings,
  pressure: DiskPressure,
  now: Date,
  logger: Logger,
): RetentionResult {
  const hours = parseDeleteWhenHours(settings.deleteWhen) ?? [];
  const due = hours.includes(now.getHours()) || pressure.cleanNow || pressure.overForciblyRatio;
  if (!due) return { deleted: 0, keptBecause: null };
  const expiredBefore = now.getTime() - settings.fileReservedTime * 3600_000;
  const flushed = commitLog.flushedOffset;
  const used = `disk ${(pressure.usedRatio * 100).toFixed(1)}% used`;
  let deleted = 0;
  let keptBecause: string | null = null;
  for (let i = 0; i < settings.deleteFileBatchMax; i++) {
    const first = commitLog.segments.first;
    if (!first || commitLog.segments.count <= 1 || first.endOffset > flushed) break;
    const expired = commitLog.segments.io.stat(first.path).mtimeMs < expiredBefore;
    if (expired) {
      logger.info(`retention: deleting ${first.path} (expired, ${used})`);
    } else {
      if (!pressure.overForciblyRatio) break;
      const unconsumed = unconsumedIn(first, queues, offsets);
      if (unconsumed === null) {
        logger.info(`retention: deleting ${first.path} (disk pressure, every consumer group has consumed it, ${used})`);
      } else if (pressure.cleanForcibly) {
        logger.warn(`retention: FORCED deletion of ${first.path} (cleanFileForciblyEnable=true, ${used}): acknowledged messages that were never consumed are destroyed: ${unconsumed}`);
      } else {
        keptBecause = `${first.path} holds unconsumed messages (${unconsumed}) and is not expired; cleanFileForciblyEnable=false keeps it`;
        break;
      }
    }
    commitLog.segments.dropFirst();
    deleted++;
  }
  if (deleted > 0) {
    const minOffset = commitLog.minOffset;
    for (const q of queues.all()) q.deleteBelow(minOffset);
  }
  return { deleted, keptBecause };
}

/** What in `segment` some consumer group has not consumed yet (one example), or null when every
 * group of every topic with messages in or before it has consumed past it. */
function unconsumedIn(segment: SegmentFile, queues: ConsumeQueueStore, offsets: ConsumerOffsets): string | null {
  for (const q of queues.all()) {
    const end = q.offsetOfPhysical(segment.endOffset); // entries [minOffset, end) point below the segment's end
    if (end <= q.minOffset) continue;
    const groups = offsets.groupsOf(q.topic);
    if (groups.length === 0) return `${q.topic}/${q.queueId} queue offsets ${q.minOffset}..${end - 1}, no consumer group of ${q.topic} is known`;
    for (const g of groups) {
      const at = offsets.query(g, q.topic, q.queueId);
      if (at < end) return `${q.topic}/${q.queueId} queue offsets ${Math.max(q.minOffset, at)}..${end - 1} not consumed by group ${g}`;
    }
  }
  return null;
}
