// Deleting old CommitLog segments (fileReservedTime, deleteWhen, disk pressure) and the
// ConsumeQueue files that only point below the new CommitLog start. Never deletes the segment
// being written, nor anything not yet flushed. At most deleteFileBatchMax segments per round.
// File ages come from the segments' FileIO (stat), deletions go through it too.
import type { CommitLog } from '../commitlog/commit-log.js';
import type { ConsumeQueueStore } from '../consumequeue/consume-queue-store.js';
import { parseDeleteWhenHours } from '../config/value-formats.js';
import type { Logger } from '../util/logger.js';
import type { DiskPressure } from './disk-space.js';

export interface RetentionSettings {
  fileReservedTime: number;
  deleteWhen: string;
  deleteFileBatchMax: number;
}

export function runRetention(
  commitLog: CommitLog,
  queues: ConsumeQueueStore,
  settings: RetentionSettings,
  pressure: DiskPressure,
  now: Date,
  logger: Logger,
): number {
  const hours = parseDeleteWhenHours(settings.deleteWhen) ?? [];
  const due = hours.includes(now.getHours()) || pressure.cleanNow || pressure.cleanForcibly;
  if (!due) return 0;
  const expiredBefore = now.getTime() - settings.fileReservedTime * 3600_000;
  const flushed = commitLog.flushedOffset;
  let deleted = 0;
  for (let i = 0; i < settings.deleteFileBatchMax; i++) {
    const first = commitLog.segments.first;
    if (!first || commitLog.segments.count <= 1 || first.endOffset > flushed) break;
    const expired = commitLog.segments.io.stat(first.path).mtimeMs < expiredBefore;
    if (!expired && !pressure.cleanForcibly) break;
    logger.info(`retention: deleting ${first.path} (${expired ? 'expired' : 'disk pressure'}, disk ${(pressure.usedRatio * 100).toFixed(1)}% used)`);
    commitLog.segments.dropFirst();
    deleted++;
  }
  if (deleted > 0) {
    const minOffset = commitLog.minOffset;
    for (const q of queues.all()) q.deleteBelow(minOffset);
  }
  return deleted;
}
