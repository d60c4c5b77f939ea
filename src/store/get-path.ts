// The read path: getMessage (RocketMQ's status rules for an offset against a queue's range,
// batch limits in memory / on disk, the suggest-pulling-from-slave rule) and lookMessageByOffset.
// Readers only see dispatched entries (the dispatcher's visibility rule) and committed bytes.
// Damaged data is never handed out: a record that does not parse, that is not the one its
// ConsumeQueue entry names (topic, queue, queue offset, size), or (checkCRCOnRead) whose body
// CRC does not match ends the batch before it; at the head of a batch it is the
// MESSAGE_CORRUPTED status with its place, and a rate-limited log line (corruption-reports.ts).
import { isPreBlankCqEntry, type CqEntry } from '../codec/consume-queue-entry.js';
import { offsetMsgId } from '../codec/offset-msg-id.js';
import { readRecord } from '../codec/read-record.js';
import { CorruptionReports } from './corruption-reports.js';
import { GetMessageStatus, type GetMessageRequest, type GetMessageResult, type MessageCorruption, type StoredMessage } from './statuses.js';
import type { StoreCore } from './store-core.js';

/** One read record: the message, nothing there (deleted, not yet committed), or damage. */
type ReadOutcome = { kind: 'message'; msg: StoredMessage } | { kind: 'absent' } | { kind: 'damaged'; reason: string };

/** brokerId of a master, and the slave a slow consumer is sent to (RocketMQ's
 * whichBrokerWhenConsumeSlowly default). */
const MASTER_ID = 0;
const SLAVE_READ_BROKER_ID = 1;
/** Slack above maxMessageSize for a record's header and properties. */
const RECORD_OVERHEAD_BYTES = 65_536;

export class GetPath {
  readonly corruption: CorruptionReports;

  constructor(
    private readonly core: StoreCore,
    /** Bytes further behind the write head than this are likely no longer in the page cache. */
    private readonly inMemoryBytes: number,
  ) {
    this.corruption = new CorruptionReports(core.logger.child('get'), () => core.clock.monotonicMs());
  }

  getMessage(request: GetMessageRequest): GetMessageResult {
    const { core } = this;
    const config = core.config;
    core.dispatch.drain();
    const maxPhy = core.commitLog.maxOffset;
    const q = core.consumeQueues.find(request.topic, request.queueId);
    const base = { messages: [] as StoredMessage[], suggestPullingFromSlave: false, suggestWhichBrokerId: MASTER_ID };
    if (!q) return { ...base, status: GetMessageStatus.NO_MATCHED_LOGIC_QUEUE, nextBeginOffset: 0, minOffset: 0, maxOffset: 0 };
    const minOffset = q.minOffset;
    const maxOffset = q.maxOffset;
    const range = { minOffset, maxOffset };
    const offset = request.offset;
    if (maxOffset === 0) return { ...base, ...range, status: GetMessageStatus.NO_MESSAGE_IN_QUEUE, nextBeginOffset: 0 };
    if (offset < minOffset) return { ...base, ...range, status: GetMessageStatus.OFFSET_TOO_SMALL, nextBeginOffset: minOffset };
    if (offset === maxOffset) return { ...base, ...range, status: GetMessageStatus.OFFSET_OVERFLOW_ONE, nextBeginOffset: offset };
    if (offset > maxOffset) {
      return { ...base, ...range, status: GetMessageStatus.OFFSET_OVERFLOW_BADLY, nextBeginOffset: minOffset === 0 ? 0 : maxOffset };
    }
    const wanted = Math.max(1, Math.min(request.maxMsgNums, config.maxTransferCountOnMessageInMemory));
    const entries = q.read(offset, wanted);
    const messages: StoredMessage[] = [];
    let bytes = 0;
    let scanned = 0;
    let lastPhysical = maxPhy;
    let corruption: MessageCorruption | null = null;
    for (const e of entries) {
      const inDisk = maxPhy - e.commitLogOffset > this.inMemoryBytes;
      const maxCount = inDisk ? config.maxTransferCountOnMessageInDisk : config.maxTransferCountOnMessageInMemory;
      const maxBytes = inDisk ? config.maxTransferBytesOnMessageInDisk : config.maxTransferBytesOnMessageInMemory;
      if (messages.length > 0 && (messages.length >= maxCount || bytes + e.size > maxBytes)) break;
      const queueOffset = offset + scanned;
      if (isPreBlankCqEntry(e)) {
        scanned++;
        continue;
      }
      const r = this.readEntry(e, request.topic, request.queueId, queueOffset);
      if (r.kind === 'damaged') {
        corruption = { queueOffset, physicalOffset: e.commitLogOffset, size: e.size, reason: r.reason };
        this.corruption.report(`${request.topic}/${request.queueId} queue offset ${queueOffset} (CommitLog offset ${e.commitLogOffset}, ${e.size} bytes): ${r.reason}`);
        break;
      }
      scanned++;
      if (r.kind === 'absent') continue;
      messages.push(r.msg);
      bytes += e.size;
      lastPhysical = e.commitLogOffset;
    }
    const tooSlow = maxPhy - lastPhysical > this.inMemoryBytes;
    const suggest = { suggestPullingFromSlave: tooSlow, suggestWhichBrokerId: tooSlow && config.slaveReadEnable ? SLAVE_READ_BROKER_ID : MASTER_ID };
    if (corruption !== null && messages.length === 0 && scanned === 0) {
      // nothing before it in this batch: report it; the next offset is the one after it
      return { status: GetMessageStatus.MESSAGE_CORRUPTED, corruption, messages, nextBeginOffset: offset + 1, minOffset, maxOffset, ...suggest };
    }
    return {
      status: messages.length > 0 ? GetMessageStatus.FOUND : GetMessageStatus.OFFSET_FOUND_NULL,
      messages,
      nextBeginOffset: offset + scanned,
      minOffset,
      maxOffset,
      ...suggest,
    };
  }

  /** The message stored at `physicalOffset`, or null when none is readable there (a damaged
   * record is also reported in the log). */
  lookMessageByOffset(physicalOffset: number): StoredMessage | null {
    const head = this.core.commitLog.read(physicalOffset, 4);
    if (head.byteLength < 4) return null;
    const size = new DataView(head.buffer, head.byteOffset, 4).getInt32(0);
    if (size <= 0 || size > this.core.config.maxMessageSize + RECORD_OVERHEAD_BYTES) return null;
    const r = this.readAt(physicalOffset, size);
    if (r.kind === 'damaged') this.corruption.report(`CommitLog offset ${physicalOffset}: ${r.reason}`);
    return r.kind === 'message' ? r.msg : null;
  }

  /** The record a ConsumeQueue entry points to, checked against the entry. */
  private readEntry(e: CqEntry, topic: string, queueId: number, queueOffset: number): ReadOutcome {
    if (e.commitLogOffset < this.core.commitLog.minOffset) return { kind: 'absent' }; // deleted by retention
    if (e.size <= 0 || e.size > this.core.config.maxMessageSize + RECORD_OVERHEAD_BYTES) {
      return { kind: 'damaged', reason: `ConsumeQueue entry has an impossible size ${e.size}` };
    }
    const r = this.readAt(e.commitLogOffset, e.size);
    if (r.kind === 'absent') return { kind: 'damaged', reason: `ConsumeQueue entry points past the readable log (end ${this.core.commitLog.maxOffset}) or across a segment end` };
    if (r.kind !== 'message') return r;
    const m = r.msg;
    if (m.physicalOffset !== e.commitLogOffset) {
      return { kind: 'damaged', reason: `the record at CommitLog offset ${e.commitLogOffset} says it is at ${m.physicalOffset}` };
    }
    if (m.topic !== topic || m.queueId !== queueId || m.queueOffset !== queueOffset || m.totalSize !== e.size) {
      return {
        kind: 'damaged',
        reason: `ConsumeQueue entry (size ${e.size}) points to a record of ${m.topic}/${m.queueId} queue offset ${m.queueOffset} (size ${m.totalSize})`,
      };
    }
    return r;
  }

  private readAt(physicalOffset: number, size: number): ReadOutcome {
    const bytes = this.core.commitLog.read(physicalOffset, size);
    if (bytes.byteLength < size) return { kind: 'absent' };
    const r = readRecord(bytes, 0, { checkCrc: this.core.config.checkCRCOnRead, readBody: true });
    if (r.kind === 'blank') return { kind: 'damaged', reason: 'an end-of-file blank is there, not a message' };
    if (r.kind === 'invalid') return { kind: 'damaged', reason: r.reason };
    return { kind: 'message', msg: { ...r.msg, msgId: offsetMsgId(r.msg.storeHost, physicalOffset) } };
  }
}
