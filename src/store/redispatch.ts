// After CommitLog recovery: rebuild the ConsumeQueue entries for every record from `fromOffset`
// (the ConsumeQueues' durable offset, which the queues were cut back to) up to the end of the
// log, then set each queue's next queue offset. Entries already present are skipped by the
// queues themselves, so starting early is only slower, never wrong. `fromOffset` is a record
// boundary when it comes from our checkpoint; if no record starts there, the scan restarts at
// the beginning of that segment. A damaged record below the end is skipped: indexing goes on at
// the next valid record (record-resync.ts), with a warning.
import { SYSFLAG_TRANSACTION_MASK, SYSFLAG_TRANSACTION_PREPARED, SYSFLAG_TRANSACTION_ROLLBACK } from '../codec/record-layout.js';
import type { DecodedMessage } from '../codec/read-record.js';
import { tagsCode } from '../codec/tags-code.js';
import type { CommitLog } from '../commitlog/commit-log.js';
import { findNextRecord } from '../commitlog/record-resync.js';
import { scanSegment } from '../commitlog/segment-scanner.js';
import type { ConsumeQueueStore } from '../consumequeue/consume-queue-store.js';
import { queueKey } from '../consumequeue/queue-manifest.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';
import { isUnindexedTopic } from './system-topics.js';

/** Damaged places skipped in one re-dispatch at most (recovery refuses more holes anyway). */
const MAX_SKIPS = 100_000;

export function redispatch(
  io: FileIO,
  commitLog: CommitLog,
  queues: ConsumeQueueStore,
  fromOffset: number,
  endOffset: number,
  maxMessageBytes: number,
  logger: Logger,
  /** Index only these queues (queueKey of topic and queueId); every queue when absent. */
  onlyQueues?: ReadonlySet<string>,
): number {
  const start = Math.max(fromOffset, commitLog.segments.first?.fromOffset ?? 0);
  let dispatched = 0;
  const onMessage = (msg: DecodedMessage, at: number): void => {
    const tx = msg.sysFlag & SYSFLAG_TRANSACTION_MASK;
    if (tx === SYSFLAG_TRANSACTION_PREPARED || tx === SYSFLAG_TRANSACTION_ROLLBACK || isUnindexedTopic(msg.topic)) return;
    if (onlyQueues !== undefined && !onlyQueues.has(queueKey(msg.topic, msg.queueId))) return;
    const q = queues.findOrCreate(msg.topic, msg.queueId);
    const before = q.maxOffset;
    q.append(msg.queueOffset, at, msg.totalSize, tagsCode(msg.tags));
    if (q.maxOffset > before) dispatched++;
  };
  const files = commitLog.segments.all();
  const options = { checkCrc: false, maxMessageBytes };
  let i = files.findIndex((f) => f.endOffset > start);
  let position = i < 0 ? 0 : start - files[i]!.fromOffset;
  let first = true;
  for (let guard = 0; i >= 0 && i < files.length && guard < files.length + MAX_SKIPS; guard++) {
    const file = files[i]!;
    if (file.fromOffset + position >= endOffset) break;
    let stop = scanSegment(io, file, position, options, onMessage);
    if (first && stop.kind === 'invalid' && stop.position === position && position > 0) {
      logger.warn(`no record starts at offset ${file.fromOffset + position}; re-dispatching from the start of ${file.path}`);
      stop = scanSegment(io, file, 0, options, onMessage);
    }
    first = false;
    if (stop.kind !== 'invalid') {
      i++;
      position = 0;
      continue;
    }
    const at = file.fromOffset + stop.position;
    if (at >= endOffset) break;
    // a damaged record below the recovered end (a hole recovery fenced, or one in an older
    // segment): index what follows it
    const resume = findNextRecord(io, files, i, stop.position + 1, maxMessageBytes);
    const resumeAt = resume === null ? endOffset : files[resume.index]!.fromOffset + resume.position;
    logger.warn(`re-dispatch: skipping ${Math.min(resumeAt, endOffset) - at} damaged bytes at offset ${at} (${file.path} position ${stop.position}: ${stop.reason})`);
    if (resume === null) break;
    i = resume.index;
    position = resume.position;
  }
  for (const q of queues.all()) {
    q.nextQueueOffset = q.maxOffset;
    if (q.gapEntries > 0) logger.error(`ConsumeQueue ${q.topic}/${q.queueId}: ${q.gapEntries} queue offsets have no record in the CommitLog (filled)`);
  }
  if (dispatched > 0) logger.info(`rebuilt ${dispatched} ConsumeQueue entries from the CommitLog, from offset ${start}`);
  return dispatched;
}
