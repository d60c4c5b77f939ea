// After CommitLog recovery: rebuild the ConsumeQueue entries the queues are missing by reading
// the records from where the queues end (RocketMQ's reput start: the highest CommitLog end any
// queue references, or the log's first offset) up to the end of the log, then set each queue's
// next queue offset. Entries already present are skipped by the queues themselves.
import { SYSFLAG_TRANSACTION_MASK, SYSFLAG_TRANSACTION_PREPARED, SYSFLAG_TRANSACTION_ROLLBACK } from '../codec/record-layout.js';
import { tagsCode } from '../codec/tags-code.js';
import type { CommitLog } from '../commitlog/commit-log.js';
import { scanSegment } from '../commitlog/segment-scanner.js';
import type { ConsumeQueueStore } from '../consumequeue/consume-queue-store.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';

export function redispatch(io: FileIO, commitLog: CommitLog, queues: ConsumeQueueStore, maxMessageBytes: number, logger: Logger): number {
  const files = commitLog.segments.all();
  let from = Math.max(queues.maxPhysicalEnd(), commitLog.segments.first?.fromOffset ?? 0);
  let dispatched = 0;
  for (const file of files) {
    if (file.endOffset <= from) continue;
    const stop = scanSegment(io, file, Math.max(0, from - file.fromOffset), { checkCrc: false, maxMessageBytes }, (msg, at) => {
      const tx = msg.sysFlag & SYSFLAG_TRANSACTION_MASK;
      if (tx === SYSFLAG_TRANSACTION_PREPARED || tx === SYSFLAG_TRANSACTION_ROLLBACK) return;
      const q = queues.findOrCreate(msg.topic, msg.queueId);
      const before = q.maxOffset;
      q.append(msg.queueOffset, at, msg.totalSize, tagsCode(msg.tags));
      if (q.maxOffset > before) dispatched++;
    });
    from = stop.kind === 'blank' || stop.kind === 'end' ? file.endOffset : file.fromOffset + stop.position;
    if (stop.kind === 'invalid') break;
  }
  for (const q of queues.all()) q.nextQueueOffset = q.maxOffset;
  if (dispatched > 0) logger.info(`rebuilt ${dispatched} ConsumeQueue entries from the CommitLog`);
  return dispatched;
}
