// The CommitLog on the writer thread: appends records at the tail of the active segment
// (rolling to a new segment with an end-of-file blank when a record does not fit), publishes
// the `wrote` position, and reads committed bytes back by physical offset.
//
// Write modes:
//   mmap    (native backend, no TransientStorePool): records go straight into the segment's
//           mapping; `committed` moves with `wrote`.
//   buffer  (TransientStorePool, the node backend, SYNC_FLUSH, or writeWithoutMmap): records go into a write buffer; the
//           persistence service commits them to the file and advances `committed`.
// Readers only ever see bytes below `committed`. Only this class moves `wrote`.
import { END_FILE_MIN_BLANK_BYTES } from '../codec/record-layout.js';
import { writeBlank } from '../codec/write-record.js';
import { ensureDir } from '../io/atomic-file.js';
import type { FileIO, MappedRegion } from '../io/file-io.js';
import type { SegmentFile } from '../segment/segment-file.js';
import { SegmentList } from '../segment/segment-list.js';
import type { TransientStorePool } from '../segment/transient-store-pool.js';
import { stagingBuffer, type WriteBuffer } from '../segment/write-buffer.js';
import { assert } from '../util/assert.js';
import { ControlBlock } from '../util/control-block.js';
import type { Logger } from '../util/logger.js';
import type { Scheduler } from '../util/scheduler.js';
import { PERSISTENCE_POSITIONS, type PersistencePosition } from '../flush/persistence-layout.js';
import type { PersistenceRunner } from '../flush/persistence-runner.js';

export type CommitLogWriteMode = 'mmap' | 'buffer';

/** POOL_BUSY: the segment must roll and every TransientStorePool buffer still holds a segment
 * the commit service has not finished; nothing was appended (the caller waits, waitForPoolBuffer). */
export type AppendStatus = 'PUT_OK' | 'CREATE_MAPPED_FILE_FAILED' | 'POOL_BUSY';

export interface AppendResult {
  status: AppendStatus;
  physicalOffset: number;
  wroteBytes: number;
}

/** Writes `length` bytes of records at `target[position]`, for a record starting at `physicalOffset`. */
export type RecordWriter = (target: Uint8Array, position: number, physicalOffset: number) => void;

export interface CommitLogOptions {
  io: FileIO;
  dir: string;
  segmentBytes: number;
  writeMode: CommitLogWriteMode;
  pool: TransientStorePool | null;
  /** warmMapedFileEnable: fault every page of a new mapping in up front (MADV_POPULATE_WRITE). */
  warmMappedFile: boolean;
  logger: Logger;
  /** Runs the next segment's preallocation soon after a roll (off the put path). */
  scheduler: Scheduler;
}

interface ActiveSegment {
  file: SegmentFile;
  buffer: WriteBuffer;
  wrotePos: number;
  /** mmap mode: pages below this position are faulted in already (prefault window). */
  prefaultedTo: number;
  region: MappedRegion | null;
}

/** mmap mode faults pages in ahead of the writer in steps of this size (one madvise instead of
 * a page fault per 4 KiB inside the put path). */
const PREFAULT_STEP_BYTES = 4 << 20;

export class CommitLog {
  readonly block = ControlBlock.create(PERSISTENCE_POSITIONS);
  readonly segments: SegmentList;
  private active: ActiveSegment | null = null;
  /** Full segments whose write buffer waits for the commit service before it is recycled. */
  private readonly retiring: ActiveSegment[] = [];
  private runner: PersistenceRunner | null = null;
  private readonly wroteSlot = this.block.slotOf('wrote');
  private readonly committedSlot = this.block.slotOf('committed');
  private readonly mmapMode: boolean;
  private preallocationPending = false;
  private closed = false;
  /** Why the last segment creation failed (for runtimeInfo), or null. */
  lastCreateError: string | null = null;

  constructor(private readonly options: CommitLogOptions) {
    ensureDir(options.io, options.dir); // exists from the start: the disk-usage probe and HA look at it
    this.segments = new SegmentList(options.io, options.dir, options.segmentBytes, true);
    this.mmapMode = options.writeMode === 'mmap';
  }

  get writeMode(): CommitLogWriteMode {
    return this.options.writeMode;
  }

  /** Every position at `offset` (after recovery), before the persistence service starts. */
  resetPositions(offset: number): void {
    assert(this.active === null && this.runner === null, 'resetPositions after the log started');
    for (const p of ['wrote', 'committed', 'flushed'] as const) this.block.store(p, offset);
  }

  /** Start appending: attach the persistence service and open the segment holding the tail. */
  start(runner: PersistenceRunner): void {
    assert(this.runner === null, 'CommitLog.start called twice');
    this.runner = runner;
    const tail = this.block.load('wrote');
    const last = this.segments.last;
    if (last && tail < last.endOffset) {
      assert(tail >= last.fromOffset, `recovered tail ${tail} is before the last segment ${last.fromOffset}`);
      this.active = this.activate(last, tail - last.fromOffset);
      if (!this.active) throw new Error(`cannot reopen the last segment ${last.path} for writing: ${this.lastCreateError}`);
    }
  }

  get maxOffset(): number {
    return this.block.load('committed');
  }

  get wroteOffset(): number {
    return this.block.load('wrote');
  }

  get flushedOffset(): number {
    return this.block.load('flushed');
  }

  /** The first offset held by a segment file (0 when there is none). */
  minOffsetOnDisk(): number {
    return this.segments.first?.fromOffset ?? 0;
  }

  get minOffset(): number {
    return this.segments.first?.fromOffset ?? this.block.load('wrote');
  }

  /** Append `length` bytes of records (one message or a whole batch) at the tail. */
  append(length: number, write: RecordWriter): AppendResult {
    assert(length + END_FILE_MIN_BLANK_BYTES <= this.options.segmentBytes, `a ${length}-byte append cannot fit any segment`);
    let a = this.active ?? this.openNextSegment();
    if (a && a.wrotePos + length + END_FILE_MIN_BLANK_BYTES > this.options.segmentBytes) {
      this.seal(a);
      a = this.openNextSegment();
    }
    if (!a) return { status: this.poolIsBusy() ? 'POOL_BUSY' : 'CREATE_MAPPED_FILE_FAILED', physicalOffset: -1, wroteBytes: 0 };
    const physicalOffset = a.file.fromOffset + a.wrotePos;
    if (a.region && a.wrotePos + length > a.prefaultedTo) this.prefault(a);
    write(a.buffer.bytes, a.wrotePos, physicalOffset);
    a.wrotePos += length;
    this.publish(physicalOffset + length);
    return { status: 'PUT_OK', physicalOffset, wroteBytes: length };
  }

  /** Replication (slave side): append bytes copied verbatim from the master's log at `offset`
   * (given in pieces that follow each other), which must be this log's end (an empty log may start at any segment boundary). The bytes
   * stay inside one segment; a full segment rolls to the next without writing a blank (the
   * master's blank arrives as data). */
  appendRaw(offset: number, pieces: readonly Uint8Array[]): 'PUT_OK' | 'OFFSET_MISMATCH' | 'CROSSES_SEGMENT' | 'CREATE_MAPPED_FILE_FAILED' {
    let length = 0;
    for (const p of pieces) length += p.byteLength;
    const size = this.options.segmentBytes;
    if (offset !== this.wroteOffset) {
      const empty = this.segments.count === 0 && this.active === null && this.wroteOffset === this.block.load('flushed');
      if (!empty || offset % size !== 0 || offset < this.wroteOffset) return 'OFFSET_MISMATCH';
      for (const p of ['flushed', 'committed', 'wrote'] as const) this.block.store(p, offset);
    }
    let a = this.active ?? this.openNextSegment();
    if (a && a.wrotePos === size) {
      this.seal(a);
      a = this.openNextSegment();
    }
    if (!a) return 'CREATE_MAPPED_FILE_FAILED';
    if (a.wrotePos + length > size) return 'CROSSES_SEGMENT';
    if (a.region && a.wrotePos + length > a.prefaultedTo) this.prefault(a);
    for (const p of pieces) {
      a.buffer.bytes.set(p, a.wrotePos);
      a.wrotePos += p.byteLength;
    }
    this.publish(offset + length);
    if (a.wrotePos === size) this.seal(a);
    return 'PUT_OK';
  }

  /** Read committed bytes [offset, offset+length) of one segment; shorter at the committed end. */
  read(offset: number, length: number): Uint8Array {
    const file = this.segments.find(offset);
    if (!file) return new Uint8Array(0);
    const end = Math.min(offset + length, file.endOffset, this.maxOffset);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const n = this.options.io.pread(file.fd, out, offset - file.fromOffset);
    return n === out.byteLength ? out : out.subarray(0, n);
  }

  /** Read written bytes [offset, offset+length) of one segment, committed or not (DLedger: a
   * leader ships bytes as soon as they are written); shorter at the written end or the segment
   * end. Bytes not yet committed are copied from the write buffer that holds them. */
  readWritten(offset: number, length: number): Uint8Array {
    const committed = this.maxOffset;
    const wrote = this.wroteOffset;
    const want = Math.min(offset + length, wrote);
    if (want <= committed) return this.read(offset, want - offset);
    const holder = [this.active, ...this.retiring].find((a) => a !== null && a.file.fromOffset <= offset && offset < a.file.endOffset) ?? null;
    if (!holder) return this.read(offset, Math.min(want, committed) - offset);
    const end = Math.min(want, holder.file.fromOffset + holder.wrotePos);
    if (end <= offset) return new Uint8Array(0);
    // bytes below `committed` may be missing from a buffer loaded at reopen: read them from the file
    const split = Math.max(offset, Math.min(end, committed));
    const head = split > offset ? this.read(offset, split - offset) : new Uint8Array(0);
    if (head.byteLength < split - offset) return head;
    const out = new Uint8Array(end - offset);
    out.set(head, 0);
    out.set(holder.buffer.bytes.subarray(split - holder.file.fromOffset, end - holder.file.fromOffset), split - offset);
    return out;
  }

  /** The start of the segment after the one holding `offset` (skip past a blank). */
  nextSegmentStart(offset: number): number {
    return offset + this.options.segmentBytes - (offset % this.options.segmentBytes);
  }

  /**
   * Wait until the commit service has finished the oldest segment that holds a pool buffer (so a
   * roll can borrow it), at most `timeoutMs`. 'none': no such segment, no buffer will come back.
   */
  async waitForPoolBuffer(timeoutMs: number): Promise<'ok' | 'timed-out' | 'none'> {
    if (this.retiring.length === 0) return 'none';
    let oldest = this.retiring[0]!.file.endOffset;
    for (const r of this.retiring) oldest = Math.min(oldest, r.file.endOffset);
    this.runner?.wake();
    return this.block.waitAtLeastAsync('committed', oldest, timeoutMs);
  }

  /** The pool is empty after reclaiming, and a buffer is still out with a retiring segment. */
  private poolIsBusy(): boolean {
    const pool = this.options.pool;
    if (!pool || this.options.writeMode === 'mmap') return false;
    this.reclaimBuffers();
    return pool.available === 0 && this.retiring.length > 0;
  }

  /** Release write buffers whose segments the commit service has finished. */
  reclaimBuffers(): void {
    const committed = this.block.load('committed');
    for (let i = this.retiring.length - 1; i >= 0; i--) {
      const r = this.retiring[i]!;
      if (committed >= r.file.endOffset) {
        r.buffer.release();
        this.retiring.splice(i, 1);
      }
    }
  }

  close(): void {
    this.closed = true;
    const last = this.segments.last;
    if (last && last.fromOffset >= this.block.load('wrote') && last !== this.active?.file) this.segments.dropFrom(last.fromOffset); // unused preallocation
    this.active?.buffer.release();
    this.active = null;
    for (const r of this.retiring) r.buffer.release();
    this.retiring.length = 0;
    this.segments.closeAll();
  }

  /** Live truncation, first step: the persistence service was stopped (its final drain made
   * every written byte durable); let go of it and of every write buffer. start() attaches the next
   * one. */
  detach(): void {
    this.active?.buffer.release();
    this.active = null;
    for (const r of this.retiring) r.buffer.release();
    this.retiring.length = 0;
    this.runner = null;
  }

  /** Live truncation, second step (detached): make `offset` the end of the log. Segments that
   * start at or after it are deleted, the rest of the one holding it is zeroed and synced (a
   * later recovery must not find the cut records there), and every position moves to `offset`.
   * Copy the bytes first if they must be kept (log-truncation.ts does). */
  cutBack(offset: number): { deletedSegments: number; zeroedBytes: number } {
    assert(this.runner === null && this.active === null, 'cutBack on an attached CommitLog (detach it first)');
    assert(offset >= 0 && offset <= this.wroteOffset, `cutBack to ${offset} outside [0, ${this.wroteOffset}]`);
    const deleted = this.segments.dropFrom(offset).length;
    let zeroedBytes = 0;
    const holding = this.segments.find(offset);
    if (holding && offset < holding.endOffset) {
      zeroedBytes = holding.endOffset - offset;
      this.options.io.zeroRange(holding.fd, offset - holding.fromOffset, zeroedBytes);
      this.options.io.fdatasync(holding.fd);
    }
    for (const p of ['wrote', 'committed', 'flushed', 'commitRequest', 'prefaultRequest'] as const) this.block.store(p, Math.min(this.block.load(p), offset));
    for (const p of ['wrote', 'committed', 'flushed'] as const) this.block.store(p, offset);
    this.block.store('stop', 0);
    return { deletedSegments: deleted, zeroedBytes };
  }

  private publish(offset: number): void {
    this.block.publish(this.wroteSlot, offset);
    if (!this.mmapMode) return;
    this.block.publish(this.committedSlot, offset);
    if (this.notifyCommitted) this.block.notify('committed');
  }

  /** Wake `committed` waiters on every mmap-mode append (a master streaming to slaves waits on it). */
  notifyCommitted = false;

  /** Ask the persistence service to commit up to `offset` now (buffer mode), whatever its
   * interval; returns whether it woke the service (mmap bytes are committed already). */
  requestCommit(offset: number): boolean {
    if (this.mmapMode || !this.runner) return false;
    this.block.advance('commitRequest', offset);
    this.runner.wake();
    return true;
  }

  /** Fault in the next window of the mapping with MADV_POPULATE_WRITE (batched page faults).
   * With the persistence service in a worker, the worker does it through its own mapping of the
   * file, ahead of the writer: populating allocates the page cache (about 2 ms per MiB on this
   * machine's ext4, stalls of 18 ms per 4 MiB window inside a put), while the writer's own first
   * touch of a page already in the cache costs only a minor fault. */
  private prefault(a: ActiveSegment): void {
    if (this.runner?.placement === 'worker') {
      const ahead = Math.min(a.file.sizeBytes, a.wrotePos + 2 * PREFAULT_STEP_BYTES);
      this.block.advance('prefaultRequest', a.file.fromOffset + ahead);
      this.runner.wake();
      // ask again a window before the requested end (never again once the segment end is asked)
      a.prefaultedTo = ahead === a.file.sizeBytes ? ahead : Math.max(a.prefaultedTo, ahead - PREFAULT_STEP_BYTES);
      return;
    }
    const from = a.prefaultedTo;
    const to = Math.min(a.file.sizeBytes, Math.max(from, a.wrotePos) + PREFAULT_STEP_BYTES);
    try {
      a.region!.advise(from, to - from, 'populate-write');
    } catch (err) {
      this.options.logger.warn(`prefaulting ${a.file.path} failed (${(err as Error).message}); writes fault pages one by one`);
      a.region = null;
      return;
    }
    a.prefaultedTo = to;
  }

  /** Fill the rest of a segment with the end-of-file blank and hand its buffer over. */
  private seal(a: ActiveSegment): void {
    const size = this.options.segmentBytes;
    if (a.wrotePos < size) {
      writeBlank(a.buffer.bytes, a.wrotePos, size - a.wrotePos);
      // A recycled pool buffer still holds an older segment's bytes past the blank; the commit
      // copies up to the segment end, so clear them (mmap and staging memory are fresh zeros).
      if (a.buffer.origin === 'pool') a.buffer.bytes.fill(0, a.wrotePos + END_FILE_MIN_BLANK_BYTES, size);
      a.wrotePos = size;
      this.publish(a.file.endOffset);
    }
    this.runner?.wake();
    if (a.buffer.origin === 'mmap') a.buffer.release();
    else this.retiring.push(a);
    this.active = null;
  }

  private openNextSegment(): ActiveSegment | null {
    this.reclaimBuffers();
    if (this.options.pool && this.options.writeMode !== 'mmap' && this.options.pool.available === 0) {
      this.lastCreateError = `TransientStorePool exhausted: all ${this.options.pool.poolSize} buffers hold segments not yet committed`;
      return null;
    }
    const wrote = this.block.load('wrote');
    const preallocated = this.segments.last;
    let file: SegmentFile;
    if (preallocated && preallocated.fromOffset === wrote) {
      file = preallocated;
    } else {
      try {
        file = this.segments.createNext(wrote);
      } catch (err) {
        this.lastCreateError = `creating a segment in ${this.options.dir} failed: ${(err as Error).message}`;
        this.options.logger.error(this.lastCreateError);
        return null;
      }
    }
    this.active = this.activate(file, 0);
    if (!this.active) this.segments.dropFrom(file.fromOffset);
    else this.schedulePreallocation();
    return this.active;
  }

  /** Create (and reserve) the segment after the active one soon, off the put path, so a roll
   * finds it ready (RocketMQ's AllocateMappedFileService "next" file). A failure is logged and
   * left for the roll to retry, where it becomes CREATE_MAPPED_FILE_FAILED. */
  private schedulePreallocation(): void {
    if (this.preallocationPending) return;
    this.preallocationPending = true;
    this.options.scheduler.soon(() => {
      this.preallocationPending = false;
      const a = this.active;
      if (!a || this.closed || this.segments.last !== a.file) return;
      try {
        this.segments.createNext();
      } catch (err) {
        this.options.logger.warn(`preallocating the next segment after ${a.file.path} failed: ${(err as Error).message}`);
      }
    });
  }

  /** Attach a write buffer to `file` (holding its first `wrotePos` bytes) and announce it. */
  private activate(file: SegmentFile, wrotePos: number): ActiveSegment | null {
    const acquired = this.acquireBuffer(file, wrotePos);
    if (!acquired) return null;
    const { buffer, region } = acquired;
    this.lastCreateError = null;
    this.runner?.announce({
      type: 'segment',
      fromOffset: file.fromOffset,
      sizeBytes: file.sizeBytes,
      path: file.path,
      fd: file.fd,
      memory: buffer.handle,
    });
    const warmed = this.options.warmMappedFile ? file.sizeBytes : wrotePos - (wrotePos % 4096);
    return { file, buffer, wrotePos, prefaultedTo: warmed, region };
  }

  private acquireBuffer(file: SegmentFile, wrotePos: number): { buffer: WriteBuffer; region: MappedRegion | null } | null {
    const { io, pool, writeMode } = this.options;
    if (writeMode === 'mmap') {
      const region = io.mmap(file.fd, 0, file.sizeBytes, true);
      if (this.options.warmMappedFile) region.advise(0, file.sizeBytes, 'populate-write');
      return { buffer: { bytes: region.bytes, handle: { kind: 'none' }, origin: 'mmap', release: () => region.unmap() }, region };
    }
    const buffer = pool ? pool.borrow() : stagingBuffer(file.sizeBytes);
    if (!buffer) {
      this.lastCreateError = `TransientStorePool exhausted: all ${pool?.poolSize} buffers hold segments not yet committed`;
      return null;
    }
    if (wrotePos > 0) this.loadPrefix(file, buffer, wrotePos);
    return { buffer, region: null };
  }

  /** A reopened segment's existing bytes into its new buffer (O_DIRECT commits rewrite whole pages). */
  private loadPrefix(file: SegmentFile, buffer: WriteBuffer, wrotePos: number): void {
    const pageStart = wrotePos - (wrotePos % 4096);
    this.options.io.pread(file.fd, buffer.bytes.subarray(pageStart, wrotePos), pageStart);
  }
}
