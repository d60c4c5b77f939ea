// The read path: getMessage (RocketMQ's status rules for an offset against a queue's range,
// batch limits in memory / on disk, the suggest-pulling-from-slave rule) and lookMessageByOffset.
// Readers only see dispatched entries (the dispatcher's visibility rule) and committed bytes.
// Damaged data is never handed out: a record that does not parse, that is not the one its
// ConsumeQueue entry names (topic, queue, queue offset, size), or (checkCRCOnRead) whose body
// CRC does not match ends the batch before it; at the head of a batch it is the
// MESSAGE_CORRUPTED status with its place, and a rate-limited log line (corruption-reports.ts).
// Records are read with few preads (read-plan.ts LogSpanReader): a message's body is a view into
// one buffer per call that holds that call's records (and nothing else).
import type { CqEntry } from '../codec/consume-queue-entry.js';
import { readRecord } from '../codec/read-record.js';
import { CorruptionReports } from './corruption-reports.js';
import { getMessageRaw, type RawReadResult } from './raw-read-path.js';
import { impossibleEntrySize, locateRead, LogSpanReader, NO_SUGGESTION, planEntries, RECORD_OVERHEAD_BYTES, slaveSuggestion } from './read-plan.js';
import { GetMessageStatus, type GetMessageRequest, type GetMessageResult, type MessageCorruption, type StoredMessage } from './statuses.js';
import type { StoreCore } from './store-core.js';

/** One read record: the message, or damage. */
type ReadOutcome = { kind: 'message'; msg: StoredMessage } | { kind: 'damaged'; reason: string };

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
    core.dispatch.drain();
    const maxPhy = core.commitLog.maxOffset;
    const located = locateRead(core, request);
    if (located.kind === 'early') {
      const { status, nextBeginOffset, minOffset, maxOffset } = located;
      return { status, messages: [], nextBeginOffset, minOffset, maxOffset, ...NO_SUGGESTION };
    }
    const { queue, minOffset, maxOffset } = located;
    const offset = request.offset;
    const plan = planEntries(core, queue, offset, request.maxMsgNums, maxPhy, this.inMemoryBytes);
    const reader = new LogSpanReader(core.commitLog, plan, core.config.maxMessageSize + RECORD_OVERHEAD_BYTES);
    const messages: StoredMessage[] = [];
    let scanned = 0;
    let lastPhysical = maxPhy;
    let corruption: MessageCorruption | null = null;
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i]!;
      if (p.skip) {
        scanned++;
        continue;
      }
      const e = p.entry;
      const r = this.readEntry(reader, i, e, request.topic, request.queueId, p.queueOffset);
      if (r.kind !== 'message') {
        corruption = { queueOffset: p.queueOffset, physicalOffset: e.commitLogOffset, size: e.size, reason: r.reason };
        this.corruption.report(`${request.topic}/${request.queueId} queue offset ${p.queueOffset} (CommitLog offset ${e.commitLogOffset}, ${e.size} bytes): ${r.reason}`);
        break;
      }
      scanned++;
      messages.push(r.msg);
      lastPhysical = e.commitLogOffset;
    }
    const suggest = slaveSuggestion(core, maxPhy, lastPhysical, this.inMemoryBytes);
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

  /** getMessage's records as the log holds them (raw-read-path.ts). */
  getMessageRaw(request: GetMessageRequest): RawReadResult {
    return getMessageRaw(this.core, request, this.inMemoryBytes, this.corruption);
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

  /** The record a ConsumeQueue entry points to (plan entry i of `reader`), checked against the entry. */
  private readEntry(reader: LogSpanReader, i: number, e: CqEntry, topic: string, queueId: number, queueOffset: number): ReadOutcome {
    if (impossibleEntrySize(this.core, e)) return { kind: 'damaged', reason: `ConsumeQueue entry has an impossible size ${e.size}` };
    const bytes = reader.next(i);
    if (bytes === null) return { kind: 'damaged', reason: `ConsumeQueue entry points past the readable log (end ${this.core.commitLog.maxOffset}) or across a segment end` };
    const r = this.decode(bytes, e.commitLogOffset);
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

  private readAt(physicalOffset: number, size: number): ReadOutcome | { kind: 'absent' } {
    const bytes = this.core.commitLog.read(physicalOffset, size);
    if (bytes.byteLength < size) return { kind: 'absent' };
    return this.decode(bytes, physicalOffset);
  }

  /** The message in `bytes` (one record, read at `physicalOffset`), or why it is damaged. */
  private decode(bytes: Uint8Array, physicalOffset: number): ReadOutcome {
    const r = readRecord(bytes, 0, { checkCrc: this.core.config.checkCRCOnRead, readBody: true, msgIdAt: physicalOffset });
    if (r.kind === 'blank') return { kind: 'damaged', reason: 'an end-of-file blank is there, not a message' };
    if (r.kind === 'invalid') return { kind: 'damaged', reason: r.reason };
    return { kind: 'message', msg: r.msg };
  }
}
