// After CommitLog recovery: rebuild the ConsumeQueue entries for every record from `fromOffset`
// (the ConsumeQueues' durable offset, which the queues were cut back to) up to the end of the
// log, then set each queue's next queue offset. Entries already present are skipped by the
// queues themselves, so starting early is only slower, never wrong. `fromOffset` is a record
// boundary when it comes from our checkpoint; if no record starts there, the scan restarts at
// the beginning of that segment.
import { SYSFLAG_TRANSACTION_MASK, SYSFLAG_TRANSACTION_PREPARED, SYSFLAG_TRANSACTION_ROLLBACK } from '../codec/record-layout.js';
import type { DecodedMessage } from '../codec/read-record.js';
import { tagsCode } from '../codec/tags-code.js';
import type { CommitLog } from '../commitlog/commit-log.js';
import { scanSegment } from '../commitlog/segment-scanner.js';
import type { ConsumeQueueStore } from '../consumequeue/consume-queue-store.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';

export function redispatch(
  io: FileIO,
  commitLog: CommitLog,
  queues: ConsumeQueueStore,
  fromOffset: number,
  endOffset: number,
  maxMessageBytes: number,
  logger: Logger,
): number {
  const start = Math.max(fromOffset, commitLog.segments.first?.fromOffset ?? 0);
  let dispatched = 0;
  const onMessage = (msg: DecodedMessage, at: number): void => {
    const tx = msg.sysFlag & SYSFLAG_TRANSACTION_MASK;
    if (tx === SYSFLAG_TRANSACTION_PREPARED || tx === SYSFLAG_TRANSACTION_ROLLBACK) return;
    const q = queues.findOrCreate(msg.topic, msg.queueId);
    const before = q.maxOffset;
    q.append(msg.queueOffset, at, msg.totalSize, tagsCode(msg.tags));
    if (q.maxOffset > before) dispatched++;
  };
  let position = start;
  for (const file of commitLog.segments.all()) {
    if (file.endOffset <= position || position >= endOffset) continue;
    let from = position - file.fromOffset;
    let stop = scanSegment(io, file, Math.max(0, from), { checkCrc: false, maxMessageBytes }, onMessage);
    if (stop.kind === 'invalid' && stop.position === from && from > 0 && file.fromOffset + from < endOffset) {
      logger.warn(`no record starts at offset ${position}; re-dispatching from the start of ${file.path}`);
      from = 0;
      stop = scanSegment(io, file, 0, { checkCrc: false, maxMessageBytes }, onMessage);
    }
    position = stop.kind === 'invalid' ? file.fromOffset + stop.position : file.endOffset;
    if (stop.kind === 'invalid') break;
  }
  for (const q of queues.all()) {
    q.nextQueueOffset = q.maxOffset;
    if (q.gapEntries > 0) logger.error(`ConsumeQueue ${q.topic}/${q.queueId}: ${q.gapEntries} queue offsets have no record in the CommitLog (filled)`);
  }
  if (dispatched > 0) logger.info(`rebuilt ${dispatched} ConsumeQueue entries from the CommitLog, from offset ${start}`);
  return dispatched;
}
