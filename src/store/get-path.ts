// The read path: getMessage (RocketMQ's status rules for an offset against a queue's range,
// batch limits in memory / on disk, the suggest-pulling-from-slave rule) and lookMessageByOffset.
// Readers only see dispatched entries (the dispatcher's visibility rule) and committed bytes.
import { offsetMsgId } from '../codec/offset-msg-id.js';
import { readRecord } from '../codec/read-record.js';
import { GetMessageStatus, type GetMessageRequest, type GetMessageResult, type StoredMessage } from './statuses.js';
import type { StoreCore } from './store-core.js';

/** brokerId of a master, and the slave a slow consumer is sent to (RocketMQ's
 * whichBrokerWhenConsumeSlowly default). */
const MASTER_ID = 0;
const SLAVE_READ_BROKER_ID = 1;
/** Slack above maxMessageSize for a record's header and properties. */
const RECORD_OVERHEAD_BYTES = 65_536;

export class GetPath {
  constructor(
    private readonly core: StoreCore,
    /** Bytes further behind the write head than this are likely no longer in the page cache. */
    private readonly inMemoryBytes: number,
  ) {}

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
    for (const e of entries) {
      const inDisk = maxPhy - e.commitLogOffset > this.inMemoryBytes;
      const maxCount = inDisk ? config.maxTransferCountOnMessageInDisk : config.maxTransferCountOnMessageInMemory;
      const maxBytes = inDisk ? config.maxTransferBytesOnMessageInDisk : config.maxTransferBytesOnMessageInMemory;
      if (messages.length > 0 && (messages.length >= maxCount || bytes + e.size > maxBytes)) break;
      scanned++;
      const m = this.readMessage(e.commitLogOffset, e.size);
      if (!m) continue;
      messages.push(m);
      bytes += e.size;
      lastPhysical = e.commitLogOffset;
    }
    const tooSlow = maxPhy - lastPhysical > this.inMemoryBytes;
    return {
      status: messages.length > 0 ? GetMessageStatus.FOUND : GetMessageStatus.OFFSET_FOUND_NULL,
      messages,
      nextBeginOffset: offset + scanned,
      minOffset,
      maxOffset,
      suggestPullingFromSlave: tooSlow,
      suggestWhichBrokerId: tooSlow && config.slaveReadEnable ? SLAVE_READ_BROKER_ID : MASTER_ID,
    };
  }

  /** The message stored at `physicalOffset`, or null when none is readable there. */
  lookMessageByOffset(physicalOffset: number): StoredMessage | null {
    const head = this.core.commitLog.read(physicalOffset, 4);
    if (head.byteLength < 4) return null;
    const size = new DataView(head.buffer, head.byteOffset, 4).getInt32(0);
    if (size <= 0 || size > this.core.config.maxMessageSize + RECORD_OVERHEAD_BYTES) return null;
    return this.readMessage(physicalOffset, size);
  }

  private readMessage(physicalOffset: number, size: number): StoredMessage | null {
    const bytes = this.core.commitLog.read(physicalOffset, size);
    if (bytes.byteLength < size) return null;
    const r = readRecord(bytes, 0, { checkCrc: false, readBody: true });
    if (r.kind !== 'message') return null;
    return { ...r.msg, msgId: offsetMsgId(r.msg.storeHost, physicalOffset) };
  }
}
