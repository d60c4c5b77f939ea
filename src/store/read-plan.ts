// What getMessage and getMessageRaw share: the status of an offset against a queue's range
// (RocketMQ's rules), which ConsumeQueue entries one call may take (the batch limits in memory /
// on disk, decided from the entries alone, before any record is read), and reading their records
// with few preads into one buffer per call (LogSpanReader: records that lie close together in one
// segment share a pread; each record handed out is a view into the call's buffer).
// Invariants: a planned entry is only ever handed out as the bytes [commitLogOffset,
// commitLogOffset + size) of the log, below the committed end; a record that a span read does not
// cover in full (a segment end, the committed end) is read on its own, and is 'short' when that
// read is short too. Readers see only dispatched entries, so the visibility rule (committed,
// flushed under SYNC_FLUSH, the replication policy's confirm offset) holds here unchanged.
import { isPreBlankCqEntry, type CqEntry } from '../codec/consume-queue-entry.js';
import type { CommitLog } from '../commitlog/commit-log.js';
import type { ConsumeQueue } from '../consumequeue/consume-queue.js';
import { GetMessageStatus, type GetMessageRequest } from './statuses.js';
import type { StoreCore } from './store-core.js';

/** Slack above maxMessageSize for a record's header and properties. */
export const RECORD_OVERHEAD_BYTES = 65_536;
/** A record joins the pread of the ones before it when the bytes between (other queues'
 * records) are at most this: measured here, a pread costs ~1.7 µs plus ~14 GB/s of copying, so
 * skipping 16 KiB costs about what a separate pread would. */
const SPAN_GAP_MAX_BYTES = 16 << 10;
/** One pread covers at most this many bytes. */
const SPAN_MAX_BYTES = 1 << 20;

/** brokerId of a master, and the slave a slow consumer is sent to (RocketMQ's
 * whichBrokerWhenConsumeSlowly default). */
const MASTER_ID = 0;
const SLAVE_READ_BROKER_ID = 1;

export interface SlaveSuggestion {
  readonly suggestPullingFromSlave: boolean;
  readonly suggestWhichBrokerId: number;
}

export const NO_SUGGESTION: SlaveSuggestion = Object.freeze({ suggestPullingFromSlave: false, suggestWhichBrokerId: MASTER_ID });

/** RocketMQ's rule: the last record read is further behind the write head than the page cache
 * likely holds; a slave then serves the consumer when slaveReadEnable. */
export function slaveSuggestion(core: StoreCore, maxPhy: number, lastPhysical: number, inMemoryBytes: number): SlaveSuggestion {
  const tooSlow = maxPhy - lastPhysical > inMemoryBytes;
  return { suggestPullingFromSlave: tooSlow, suggestWhichBrokerId: tooSlow && core.config.slaveReadEnable ? SLAVE_READ_BROKER_ID : MASTER_ID };
}

/** A call that reads nothing: its status and offsets. */
export interface EarlyAnswer {
  readonly kind: 'early';
  readonly status: GetMessageStatus;
  readonly nextBeginOffset: number;
  readonly minOffset: number;
  readonly maxOffset: number;
}

/** A call that reads: the queue and its range. */
export interface QueueRange {
  readonly kind: 'range';
  readonly queue: ConsumeQueue;
  readonly minOffset: number;
  readonly maxOffset: number;
}

/** RocketMQ's status for `request.offset` against the queue's range, or the range to read. */
export function locateRead(core: StoreCore, request: GetMessageRequest): EarlyAnswer | QueueRange {
  const q = core.consumeQueues.find(request.topic, request.queueId);
  if (!q) return { kind: 'early', status: GetMessageStatus.NO_MATCHED_LOGIC_QUEUE, nextBeginOffset: 0, minOffset: 0, maxOffset: 0 };
  const minOffset = q.minOffset;
  const maxOffset = q.maxOffset;
  const offset = request.offset;
  const early = (status: GetMessageStatus, nextBeginOffset: number): EarlyAnswer => ({ kind: 'early', status, nextBeginOffset, minOffset, maxOffset });
  if (maxOffset === 0) return early(GetMessageStatus.NO_MESSAGE_IN_QUEUE, 0);
  if (offset < minOffset) return early(GetMessageStatus.OFFSET_TOO_SMALL, minOffset);
  if (offset === maxOffset) return early(GetMessageStatus.OFFSET_OVERFLOW_ONE, offset);
  if (offset > maxOffset) return early(GetMessageStatus.OFFSET_OVERFLOW_BADLY, minOffset === 0 ? 0 : maxOffset);
  return { kind: 'range', queue: q, minOffset, maxOffset };
}

/** Entries one call takes, in queue order. `skip`: no record to read (a pre-blank filler, or a
 * record retention deleted); it still advances the next offset. */
export interface PlannedEntry {
  readonly entry: CqEntry;
  readonly queueOffset: number;
  readonly skip: boolean;
}

/** The entries from `offset` that one call may take under the batch limits (count and bytes in
 * memory / on disk; the first record is always taken). */
export function planEntries(core: StoreCore, queue: ConsumeQueue, offset: number, maxMsgNums: number, maxPhy: number, inMemoryBytes: number): PlannedEntry[] {
  const config = core.config;
  const wanted = Math.max(1, Math.min(maxMsgNums, config.maxTransferCountOnMessageInMemory));
  const entries = queue.read(offset, wanted);
  const minPhy = core.commitLog.minOffset;
  const plan: PlannedEntry[] = [];
  let taken = 0;
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const inDisk = maxPhy - e.commitLogOffset > inMemoryBytes;
    const maxCount = inDisk ? config.maxTransferCountOnMessageInDisk : config.maxTransferCountOnMessageInMemory;
    const maxBytes = inDisk ? config.maxTransferBytesOnMessageInDisk : config.maxTransferBytesOnMessageInMemory;
    if (taken > 0 && (taken >= maxCount || bytes + e.size > maxBytes)) break;
    const skip = isPreBlankCqEntry(e) || e.commitLogOffset < minPhy;
    plan.push({ entry: e, queueOffset: offset + i, skip });
    if (skip) continue;
    taken++;
    bytes += e.size;
  }
  return plan;
}

/** Whether a ConsumeQueue entry's size can be a record at all. */
export function impossibleEntrySize(core: StoreCore, e: CqEntry): boolean {
  return e.size <= 0 || e.size > core.config.maxMessageSize + RECORD_OVERHEAD_BYTES;
}

/** Where spans are read before their records are copied out: reused by every call (the read
 * path is synchronous on one thread), so the preads land in memory that is already mapped and
 * hot; fresh memory for every read costs a page fault per 4 KiB. */
let scratch = new Uint8Array(64 << 10);

/**
 * Reads the records of planned entries in order: near records (SPAN_GAP_MAX_BYTES) with one
 * pread into a reused scratch buffer, then copies each record into one buffer per call that
 * holds only the records asked for, back to back (one allocation per call, not per record).
 * `next(i)` returns the bytes of plan[i]'s record (a view into that buffer, which the caller
 * owns), or null when the log does not hold all of them (past the committed end, across a
 * segment end). Only for entries with a possible size, asked in increasing i.
 */
export class LogSpanReader {
  private readonly out: Uint8Array;
  /** Where the next record goes in `out`. */
  private cursor = 0;
  /** The current span: log offset of its first byte, where it was read (scratch, or `out` at
   * spanAt when it holds no bytes but records asked for), and how many bytes were read. */
  private spanStart = 0;
  private spanRead = 0;
  private spanInOut = false;
  private spanAt = 0;
  /** The plan index after the last entry the current span was planned for. */
  private spanUntil = 0;

  constructor(
    private readonly log: CommitLog,
    private readonly plan: readonly PlannedEntry[],
    private readonly maxEntrySize: number,
  ) {
    let total = 0;
    for (const p of plan) if (!p.skip && this.possible(p.entry)) total += p.entry.size;
    // not zero-filled: every byte handed out is first copied in
    this.out = new Uint8Array(Buffer.allocUnsafeSlow(total).buffer, 0, total);
  }

  next(i: number): Uint8Array | null {
    const e = this.plan[i]!.entry;
    if (i >= this.spanUntil) this.readSpanFrom(i);
    const rel = e.commitLogOffset - this.spanStart;
    const covered = rel >= 0 && rel + e.size <= this.spanRead;
    if (this.spanInOut) {
      // read in place; a record the span read did not cover in full is read alone into its place
      const inPlace = this.out.subarray(this.spanAt + rel, this.spanAt + rel + e.size);
      return covered || this.log.readInto(e.commitLogOffset, inPlace) === e.size ? inPlace : null;
    }
    const target = this.out.subarray(this.cursor, this.cursor + e.size);
    if (covered) target.set(scratch.subarray(rel, rel + e.size));
    else if (this.log.readInto(e.commitLogOffset, target) !== e.size) return null;
    this.cursor += e.size;
    return target;
  }

  private possible(e: CqEntry): boolean {
    return e.size > 0 && e.size <= this.maxEntrySize;
  }

  /** One pread into the scratch buffer from plan[i]'s record over the records that lie close
   * behind it, for plan entries [i, spanUntil). */
  private readSpanFrom(i: number): void {
    const first = this.plan[i]!.entry;
    const start = first.commitLogOffset;
    let end = start + first.size;
    let gapless = true;
    let j = i + 1;
    for (; j < this.plan.length; j++) {
      const p = this.plan[j]!;
      if (p.skip) continue;
      const e = p.entry;
      if (!this.possible(e)) break;
      const gap = e.commitLogOffset - end;
      if (gap < 0 || gap > SPAN_GAP_MAX_BYTES || e.commitLogOffset + e.size - start > SPAN_MAX_BYTES) break;
      if (gap > 0) gapless = false;
      end = e.commitLogOffset + e.size;
    }
    const length = end - start;
    this.spanStart = start;
    this.spanUntil = j;
    this.spanInOut = gapless;
    if (gapless) {
      // only records asked for: read them straight into their place in `out`
      this.spanAt = this.cursor;
      this.spanRead = this.log.readInto(start, this.out.subarray(this.cursor, this.cursor + length));
      this.cursor += length;
      return;
    }
    if (scratch.byteLength < length) scratch = new Uint8Array(Math.min(SPAN_MAX_BYTES, 2 ** Math.ceil(Math.log2(length))));
    this.spanRead = length > scratch.byteLength ? 0 : this.log.readInto(start, scratch.subarray(0, length));
  }
}
