// One ConsumeQueue (topic, queueId): 20-byte entries in fixed-size segment files under
// consumequeue/<topic>/<queueId>/, entry i at CQ byte offset i*20. New entries collect in an
// in-memory tail that the store writes to the files periodically (`writeTail`, never on the put
// path, so a write error cannot surface inside a put); readers see both. Only entries whose
// CommitLog bytes are visible are ever appended (the dispatcher guarantees it), so maxOffset is
// what consumers may read.
//
// Recovery (`recover(durableOffset)`): every entry for a record below the durable offset was
// written and fsynced; past it an entry may be a valid later one or zeros. So "size <= 0 or
// offset >= durable" is false before the cut and true after it, and a binary search finds it.
//
// Logical offsets (entry indexes): [minOffset, maxOffset). minOffset > 0 after retention, or when
// the first file was created mid-stream (slots before it hold the pre-blank filler entry).
import { CQ_ENTRY_BYTES, PRE_BLANK_CQ_ENTRY, readCqEntry, writeCqEntry, type CqEntry } from '../codec/consume-queue-entry.js';
import type { FileIO } from '../io/file-io.js';
import { join } from 'node:path';
import { parseSegmentFileName } from '../segment/segment-name.js';
import { SegmentList } from '../segment/segment-list.js';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';

/** Initial capacity of the in-memory tail; it doubles when full, up to MAX_TAIL_ENTRIES. */
const TAIL_INITIAL_ENTRIES = 4096;
/** The store writes tails every flushIntervalConsumeQueue; more than this waiting is a bug. */
const MAX_TAIL_ENTRIES = 1 << 22;

export class ConsumeQueue {
  private segments: SegmentList;
  /** CQ byte offset where the first real entry is (minOffset * 20). */
  private minBytes = 0;
  /** CQ byte offset up to which entries are in the files. */
  private writtenBytes = 0;
  /** CQ byte offset up to which the files are known durable. */
  private syncedBytes = 0;
  /** Queue offsets that had to be filled because their records were gone (logged by the store). */
  gapEntries = 0;
  private tail = new Uint8Array(TAIL_INITIAL_ENTRIES * CQ_ENTRY_BYTES);
  private tailBytes = 0;
  /** End (offset + size) of the newest entry's CommitLog record: re-dispatch below it is a no-op. */
  maxPhysicalEnd = 0;
  /** The queue offset the writer gives the next message (ahead of maxOffset until dispatch). */
  nextQueueOffset = 0;

  constructor(
    private readonly io: FileIO,
    readonly topic: string,
    readonly queueId: number,
    readonly dir: string,
    private readonly segmentBytes: number,
  ) {
    assert(segmentBytes % CQ_ENTRY_BYTES === 0, `ConsumeQueue segment size ${segmentBytes} is not a multiple of 20`);
    this.segments = new SegmentList(io, dir, segmentBytes, false);
  }

  get minOffset(): number {
    return this.minBytes / CQ_ENTRY_BYTES;
  }

  get maxOffset(): number {
    return (this.writtenBytes + this.tailBytes) / CQ_ENTRY_BYTES;
  }

  /** Open the files; every slot counts as written until `recover` finds the real end. */
  load(logger: Logger): void {
    this.segments.load(logger);
    const first = this.segments.first;
    if (!first) return;
    this.minBytes = first.fromOffset + this.leadingPreBlankBytes();
    this.writtenBytes = this.segments.last!.endOffset;
    this.syncedBytes = this.writtenBytes;
  }

  /** Cut the queue after the last entry that is valid and for a record below `durableOffset`
   * (zeroing what follows); the dispatcher re-creates the rest from the CommitLog. */
  recover(durableOffset: number): void {
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = this.read(mid, 1)[0]!;
      if (e.size > 0 && e.commitLogOffset >= 0 && e.commitLogOffset < durableOffset) lo = mid + 1;
      else hi = mid;
    }
    this.cutAt(lo * CQ_ENTRY_BYTES);
    this.nextQueueOffset = this.maxOffset;
  }

  /** Append entry `queueOffset`; the dispatcher calls it in queue order. */
  append(queueOffset: number, commitLogOffset: number, size: number, tagsCode: number): void {
    if (commitLogOffset + size <= this.maxPhysicalEnd) return; // already present (re-dispatch)
    const at = queueOffset * CQ_ENTRY_BYTES;
    const end = this.writtenBytes + this.tailBytes;
    if (at < end) return; // duplicate
    if (this.segments.count === 0 && end === 0 && at > 0) this.startMidStream(at);
    else if (at > end) this.fillGap(at);
    this.reserveTail(CQ_ENTRY_BYTES);
    writeCqEntry(this.tail, this.tailBytes, commitLogOffset, size, tagsCode);
    this.tailBytes += CQ_ENTRY_BYTES;
    this.maxPhysicalEnd = commitLogOffset + size;
  }

  /** Entries [offset, offset+count) that exist (fewer at the end). */
  read(offset: number, count: number): CqEntry[] {
    const fromBytes = Math.max(offset, this.minOffset) * CQ_ENTRY_BYTES;
    const toBytes = Math.min(offset + count, this.maxOffset) * CQ_ENTRY_BYTES;
    const out: CqEntry[] = [];
    for (let at = fromBytes; at < toBytes; ) {
      if (at >= this.writtenBytes) {
        for (; at < toBytes; at += CQ_ENTRY_BYTES) out.push(readCqEntry(this.tail, at - this.writtenBytes));
        break;
      }
      const file = this.segments.find(at);
      if (!file) break;
      const chunkEnd = Math.min(toBytes, this.writtenBytes, file.endOffset);
      const bytes = new Uint8Array(chunkEnd - at);
      this.io.pread(file.fd, bytes, at - file.fromOffset);
      for (let p = 0; p < bytes.byteLength; p += CQ_ENTRY_BYTES) out.push(readCqEntry(bytes, p));
      at = chunkEnd;
    }
    return out;
  }

  /** Entries [end, at) cannot be rebuilt (their records are gone): fill them with the filler entry
   * so later queue offsets stay where their records say; readers skip fillers. */
  private fillGap(at: number): void {
    this.gapEntries += (at - (this.writtenBytes + this.tailBytes)) / CQ_ENTRY_BYTES;
    for (let p = this.writtenBytes + this.tailBytes; p < at; p += CQ_ENTRY_BYTES) {
      this.reserveTail(CQ_ENTRY_BYTES);
      writeCqEntry(this.tail, this.tailBytes, PRE_BLANK_CQ_ENTRY.commitLogOffset, PRE_BLANK_CQ_ENTRY.size, PRE_BLANK_CQ_ENTRY.tagsCode);
      this.tailBytes += CQ_ENTRY_BYTES;
    }
  }

  private reserveTail(bytes: number): void {
    if (this.tailBytes + bytes <= this.tail.byteLength) return;
    assert(this.tail.byteLength < MAX_TAIL_ENTRIES * CQ_ENTRY_BYTES, `ConsumeQueue ${this.topic}/${this.queueId}: tail not written for too long`);
    const grown = new Uint8Array(this.tail.byteLength * 2);
    grown.set(this.tail.subarray(0, this.tailBytes));
    this.tail = grown;
  }

  /** Write the in-memory tail to the files (throws the IO error; after a failed pwrite nothing is lost and a later call
   * retries the same bytes). */
  writeTail(): void {
    let done = 0;
    for (let guard = 0; done < this.tailBytes && guard <= this.tailBytes / this.segmentBytes + 1; guard++) {
      const at = this.writtenBytes + done;
      const file = this.segments.find(at) ?? this.segments.createNext(at - (at % this.segmentBytes));
      const n = Math.min(this.tailBytes - done, file.endOffset - at);
      this.io.pwrite(file.fd, this.tail.subarray(done, done + n), at - file.fromOffset);
      done += n;
    }
    this.writtenBytes += this.tailBytes;
    this.tailBytes = 0;
    if (this.tail.byteLength > 4 * TAIL_INITIAL_ENTRIES * CQ_ENTRY_BYTES) this.tail = new Uint8Array(TAIL_INITIAL_ENTRIES * CQ_ENTRY_BYTES);
  }

  /** The descriptors of the files that took writes since the last call, for the caller to
   * fdatasync (off this thread); from now on they count as synced, so a failed fdatasync must
   * stop the store (it does: fail-stop). */
  takeUnsyncedFiles(): number[] {
    const fds: number[] = [];
    for (let at = this.syncedBytes; at < this.writtenBytes; ) {
      const file = this.segments.find(at);
      if (!file) break;
      fds.push(file.fd);
      at = file.endOffset;
    }
    this.syncedBytes = this.writtenBytes;
    return fds;
  }

  /** Drop every entry whose CommitLog record starts at or after `physicalOffset`. */
  truncateByPhysicalOffset(physicalOffset: number): void {
    if (this.maxPhysicalEnd <= physicalOffset) return;
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = this.read(mid, 1)[0]!;
      if (e.commitLogOffset < physicalOffset) lo = mid + 1;
      else hi = mid;
    }
    this.cutAt(lo * CQ_ENTRY_BYTES);
  }

  /** The first queue offset whose entry points at or after CommitLog `physicalOffset`
   * (maxOffset when none does). A filler entry (offset 0) counts as below, so the answer never
   * comes out too small. */
  offsetOfPhysical(physicalOffset: number): number {
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.read(mid, 1)[0]!.commitLogOffset < physicalOffset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Retention: delete leading files whose entries all point below `commitLogMinOffset` and move
   * minOffset to the first entry at or above it. */
  deleteBelow(commitLogMinOffset: number): void {
    this.writeTail();
    for (let guard = this.segments.count; guard > 1; guard--) {
      const first = this.segments.first!;
      const lastInFirst = this.read(first.endOffset / CQ_ENTRY_BYTES - 1, 1)[0];
      if (!lastInFirst || lastInFirst.commitLogOffset >= commitLogMinOffset) break;
      this.segments.dropFirst();
      this.minBytes = Math.max(this.minBytes, first.endOffset);
    }
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.read(mid, 1)[0]!.commitLogOffset < commitLogMinOffset) lo = mid + 1;
      else hi = mid;
    }
    this.minBytes = lo * CQ_ENTRY_BYTES;
  }

  close(): void {
    this.writeTail();
    this.segments.closeAll();
  }

  /** Forget every entry and delete every segment file of the queue (opened or not: a file that
   * failed to load is deleted too), before it is rebuilt from the CommitLog. */
  reset(): void {
    this.segments.closeAll();
    if (this.io.exists(this.dir)) {
      for (const name of this.io.readdir(this.dir)) if (parseSegmentFileName(name) !== null) this.io.unlink(join(this.dir, name));
      this.io.fsyncDir(this.dir);
    }
    this.segments = new SegmentList(this.io, this.dir, this.segmentBytes, false);
    this.minBytes = 0;
    this.writtenBytes = 0;
    this.syncedBytes = 0;
    this.tailBytes = 0;
    this.gapEntries = 0;
    this.maxPhysicalEnd = 0;
    this.nextQueueOffset = 0;
  }

  private startMidStream(at: number): void {
    const file = this.segments.createNext(at - (at % this.segmentBytes));
    const filler = new Uint8Array(at - file.fromOffset);
    for (let p = 0; p < filler.byteLength; p += CQ_ENTRY_BYTES) {
      writeCqEntry(filler, p, PRE_BLANK_CQ_ENTRY.commitLogOffset, PRE_BLANK_CQ_ENTRY.size, PRE_BLANK_CQ_ENTRY.tagsCode);
    }
    this.io.pwrite(file.fd, filler, 0);
    this.minBytes = at;
    this.writtenBytes = at;
    this.syncedBytes = file.fromOffset; // the filler is not durable yet: the next takeUnsyncedFiles returns this file
  }

  private leadingPreBlankBytes(): number {
    const first = this.segments.first!;
    const probe = new Uint8Array(CQ_ENTRY_BYTES);
    let skip = 0;
    for (; skip < first.sizeBytes; skip += CQ_ENTRY_BYTES) {
      this.io.pread(first.fd, probe, skip);
      const e = readCqEntry(probe, 0);
      if (!(e.commitLogOffset === 0 && e.size === PRE_BLANK_CQ_ENTRY.size)) break;
    }
    return skip;
  }

  /** Make `endBytes` the end of the queue (it is at or before the current end). */
  private cutAt(endBytes: number): void {
    if (endBytes >= this.writtenBytes) {
      this.tailBytes = endBytes - this.writtenBytes;
    } else {
      this.tailBytes = 0;
      this.writtenBytes = endBytes;
      this.syncedBytes = Math.min(this.syncedBytes, endBytes);
      this.cutFilesAt(endBytes);
    }
    this.maxPhysicalEnd = this.lastEntryEnd();
  }

  /** Delete files that start at or after `endBytes` and zero the rest of the file holding it. */
  private cutFilesAt(endBytes: number): void {
    this.segments.dropFrom(Math.max(endBytes, this.minBytes + 1));
    const last = this.segments.find(endBytes);
    if (last) this.io.zeroRange(last.fd, endBytes - last.fromOffset, last.endOffset - endBytes);
  }

  private lastEntryEnd(): number {
    const last = this.maxOffset > this.minOffset ? this.read(this.maxOffset - 1, 1)[0] : undefined;
    return last ? last.commitLogOffset + last.size : 0;
  }
}
