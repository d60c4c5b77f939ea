// getMessageRaw: what getMessage reads, as the log holds it, for brokers that send record bytes
// to consumers (RocketMQ's pull path hands the transport buffer slices, not message objects).
// The same statuses, batch limits and visibility as getMessage (read-plan.ts); no per-message
// objects: the answer is a few slices, each the bytes of records with consecutive queue
// offsets that lie back to back in one segment, with the queue offset, physical offset and
// size it covers. Every record is checked before it is handed out, as getMessage checks it
// (record-check.ts: structure, the body CRC when checkCRCOnRead, that it is the record its
// ConsumeQueue entry names); a damaged record ends the batch before it, and at the head of a
// batch is MESSAGE_CORRUPTED with its place. Slices are views into buffers owned by the answer
// (copies of the log, never views of a mapping that could go away).
import { checkRecordBytes, type ExpectedRecord } from '../codec/record-check.js';
import { topicBytes } from '../codec/topic-name.js';
import type { CorruptionReports } from './corruption-reports.js';
import { impossibleEntrySize, locateRead, LogSpanReader, NO_SUGGESTION, planEntries, RECORD_OVERHEAD_BYTES, slaveSuggestion } from './read-plan.js';
import { GetMessageStatus, type GetMessageRequest, type MessageCorruption } from './statuses.js';
import type { StoreCore } from './store-core.js';

/** Records with consecutive queue offsets, back to back in the CommitLog. */
export interface RawSlice {
  /** Queue offset of the first record, and how many records the slice holds. */
  readonly queueOffset: number;
  readonly count: number;
  /** CommitLog offset of the first record; `size` = bytes.byteLength. */
  readonly physicalOffset: number;
  readonly size: number;
  readonly bytes: Uint8Array;
}

export interface RawReadResult {
  status: GetMessageStatus;
  /** Set with MESSAGE_CORRUPTED. */
  corruption?: MessageCorruption;
  slices: RawSlice[];
  /** Records in all slices. */
  messageCount: number;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  suggestPullingFromSlave: boolean;
  suggestWhichBrokerId: number;
}

const TOPIC_BYTES_MAX = 32_767;

export function getMessageRaw(core: StoreCore, request: GetMessageRequest, inMemoryBytes: number, corruptionReports: CorruptionReports): RawReadResult {
  const config = core.config;
  core.dispatch.drain();
  const maxPhy = core.commitLog.maxOffset;
  const located = locateRead(core, request);
  if (located.kind === 'early') {
    const { status, nextBeginOffset, minOffset, maxOffset } = located;
    return { status, slices: [], messageCount: 0, nextBeginOffset, minOffset, maxOffset, ...NO_SUGGESTION };
  }
  const { queue, minOffset, maxOffset } = located;
  const plan = planEntries(core, queue, request.offset, request.maxMsgNums, maxPhy, inMemoryBytes);
  const reader = new LogSpanReader(core.commitLog, plan, config.maxMessageSize + RECORD_OVERHEAD_BYTES);
  const encoded = topicBytes(request.topic, TOPIC_BYTES_MAX);
  const topicUtf8 = encoded instanceof Uint8Array ? encoded : Buffer.from(request.topic, 'utf8');
  const expected: ExpectedRecord = { topic: request.topic, topicBytes: topicUtf8, queueId: request.queueId, queueOffset: 0, physicalOffset: 0 };
  const slices: RawSlice[] = [];
  let messageCount = 0;
  let scanned = 0;
  let lastPhysical = maxPhy;
  let corruption: MessageCorruption | null = null;
  // the slice being built: bytes [runFrom, runEnd) of `runBuffer`
  let runBuffer: ArrayBufferLike | null = null;
  let runFrom = 0;
  let runEnd = 0;
  let runQueueOffset = 0;
  let runPhysical = 0;
  let runCount = 0;
  const closeRun = (): void => {
    if (runBuffer === null) return;
    const bytes = new Uint8Array(runBuffer, runFrom, runEnd - runFrom);
    slices.push({ queueOffset: runQueueOffset, count: runCount, physicalOffset: runPhysical, size: bytes.byteLength, bytes });
    runBuffer = null;
  };
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i]!;
    const e = p.entry;
    if (p.skip) {
      scanned++;
      closeRun();
      continue;
    }
    let reason: string | null;
    let record: Uint8Array | null = null;
    if (impossibleEntrySize(core, e)) reason = `ConsumeQueue entry has an impossible size ${e.size}`;
    else {
      record = reader.next(i);
      if (record === null) reason = `ConsumeQueue entry points past the readable log (end ${maxPhy}) or across a segment end`;
      else {
        expected.queueOffset = p.queueOffset;
        expected.physicalOffset = e.commitLogOffset;
        reason = checkRecordBytes(record, expected, config.checkCRCOnRead);
      }
    }
    if (reason !== null || record === null) {
      corruption = { queueOffset: p.queueOffset, physicalOffset: e.commitLogOffset, size: e.size, reason: reason ?? 'unreadable' };
      corruptionReports.report(`${request.topic}/${request.queueId} queue offset ${p.queueOffset} (CommitLog offset ${e.commitLogOffset}, ${e.size} bytes): ${corruption.reason}`);
      break;
    }
    scanned++;
    messageCount++;
    lastPhysical = e.commitLogOffset;
    const at = record.byteOffset;
    if (runBuffer !== null && record.buffer === runBuffer && at === runEnd && e.commitLogOffset === runPhysical + (runEnd - runFrom)) {
      runEnd += record.byteLength;
      runCount++;
      continue;
    }
    closeRun();
    runBuffer = record.buffer;
    runFrom = at;
    runEnd = at + record.byteLength;
    runQueueOffset = p.queueOffset;
    runPhysical = e.commitLogOffset;
    runCount = 1;
  }
  closeRun();
  const suggest = slaveSuggestion(core, maxPhy, lastPhysical, inMemoryBytes);
  if (corruption !== null && messageCount === 0 && scanned === 0) {
    return { status: GetMessageStatus.MESSAGE_CORRUPTED, corruption, slices, messageCount, nextBeginOffset: request.offset + 1, minOffset, maxOffset, ...suggest };
  }
  return {
    status: messageCount > 0 ? GetMessageStatus.FOUND : GetMessageStatus.OFFSET_FOUND_NULL,
    slices,
    messageCount,
    nextBeginOffset: request.offset + scanned,
    minOffset,
    maxOffset,
    ...suggest,
  };
}
