// The commit and flush services of the CommitLog, as one step function that a worker thread
// (or the writer thread, in-thread mode) calls in a loop.
//
// Commit (buffer mode only): copy [committed, wrote) of the segment holding `committed` from its
// write buffer into the file (pwrite, or O_DIRECT whole pages), then advance `committed`.
// Flush: fdatasync the segment holding `flushed` (RocketMQ's force(false)), then advance
// `flushed` to the committed position sampled before the call.
// SYNC_FLUSH: commit and flush whenever there is anything new (group commit: one fdatasync
// covers every put that arrived meanwhile). ASYNC_FLUSH: commit every commitIntervalMs when
// at least commitLeastPages are pending (or the thorough interval passed), flush every
// flushIntervalMs likewise.
// Prefault (mmap mode, prefaultRequest): fault the file's next pages in through this service's
// own mapping ahead of the writer, so page-cache allocation happens here, not inside puts.
// Errors: ENOSPC on commit sets `diskFull` and is retried (the bytes stay in the buffer);
// any other commit error and every fdatasync error are final: `failed` is set, positions never
// pass the failed range, and the writer stops accepting puts.
import { systemClock } from '../util/clock.js';
import type { FileIO, MappedRegion } from '../io/file-io.js';
import { loadNativeAddon } from '../io/native-addon.js';
import { assert } from '../util/assert.js';
import type { ControlBlock } from '../util/control-block.js';
import type { SharedMemoryHandle } from '../segment/write-buffer.js';
import { chargeFlush } from './device-emulation.js';
import {
  FAILURE_CODES,
  OS_PAGE_BYTES,
  OTHER_FAILURE,
  type PersistenceEvent,
  type PersistencePosition,
  type PersistenceSettings,
  type SegmentAnnouncement,
} from './persistence-layout.js';

/** Most bytes faulted in per step (so a flush that is due waits at most a few ms). */
const MAX_PREFAULT_PER_STEP = 4 << 20;
/** Bytes per madvise call (about 0.5 ms of page-cache allocation here). */
const PREFAULT_CALL_BYTES = 256 << 10;

/** How long to wait before retrying a commit that hit ENOSPC. */
const DISK_FULL_RETRY_MS = 200;
/** Idle wait when nothing is due (a put wakes the service earlier). */
const IDLE_WAIT_MS = 1000;

interface TrackedSegment {
  fromOffset: number;
  endOffset: number;
  fd: number;
  path: string;
  memory: Uint8Array | null;
  directFd: number;
}

export class PersistenceService {
  private readonly segments: TrackedSegment[] = [];
  private lastCommitMs = 0;
  private lastThoroughCommitMs = 0;
  private lastFlushMs = 0;
  private lastThoroughFlushMs = 0;
  private diskFullSinceMs = 0;
  private scratchPage: Uint8Array | null = null;
  private nowMs = 0;
  /** A step found offsets in a segment whose announcement had not arrived: retry soon. */
  private stalled = false;
  /** mmap mode: pages up to this offset were faulted in for the writer (prefaultRequest). */
  private prefaultedTo = 0;
  private prefaultMapping: { segment: TrackedSegment; region: MappedRegion } | null = null;
  /** Set after a failed mmap/madvise: the writer then faults its pages itself. */
  private prefaultDisabled = false;

  constructor(
    private readonly io: FileIO,
    private readonly block: ControlBlock<PersistencePosition>,
    private readonly settings: PersistenceSettings,
    private readonly emit: (event: PersistenceEvent) => void,
    private readonly memory: SharedMemoryAccess = defaultMemoryAccess,
    /** Deliver segment announcements that are on their way (the writer announces a segment
     * before publishing offsets in it, but the message may land after the offsets are seen). */
    private readonly pullAnnouncements: () => void = () => {},
  ) {}

  addSegment(s: SegmentAnnouncement): void {
    const last = this.segments.at(-1);
    assert(!last || last.endOffset === s.fromOffset, `segment ${s.fromOffset} announced out of order`);
    this.segments.push({
      fromOffset: s.fromOffset,
      endOffset: s.fromOffset + s.sizeBytes,
      fd: s.fd,
      path: s.path,
      memory: this.memory.map(s.memory),
      directFd: -1,
    });
  }

  get failed(): boolean {
    return this.block.load('failed') !== 0;
  }

  /** Do whatever is due at `nowMs`; returns how long the caller may wait before the next step. */
  step(nowMs: number): number {
    this.nowMs = nowMs;
    this.stalled = false;
    if (this.failed) return IDLE_WAIT_MS;
    const sync = this.settings.flushDiskType === 'SYNC_FLUSH';
    let waitMs = IDLE_WAIT_MS;
    if (this.prefaultIfRequested()) waitMs = 0;
    if (this.hasBufferedSegments()) waitMs = Math.min(waitMs, this.commitIfDue(nowMs, sync));
    if (this.failed) return IDLE_WAIT_MS;
    waitMs = Math.min(waitMs, this.flushIfDue(nowMs, sync));
    return this.stalled ? 1 : Math.max(0, waitMs);
  }

  /** Commit and flush everything (shutdown). Bounded: each round must make progress. */
  drain(): void {
    for (let round = 0; round < 10 && !this.failed; round++) {
      const before = this.block.load('flushed');
      this.commitUpTo(this.block.load('wrote'));
      if (this.failed) return;
      this.flushUpTo(this.block.load('committed'));
      if (this.block.load('flushed') >= this.block.load('wrote') || this.block.load('flushed') === before) return;
    }
  }

  close(): void {
    this.dropPrefaultMapping();
    for (const s of this.segments) {
      if (s.directFd >= 0) this.io.close(s.directFd);
      if (s.memory) this.memory.unmap(s.memory);
    }
    this.segments.length = 0;
  }

  /** Fault pages in up to `prefaultRequest` (at most MAX_PREFAULT_PER_STEP now); returns
   * whether more is requested. Content is never changed (MADV_POPULATE_WRITE only faults). */
  private prefaultIfRequested(): boolean {
    const target = this.block.load('prefaultRequest');
    const from = Math.max(this.prefaultedTo, this.block.load('wrote'));
    if (this.prefaultDisabled || target <= from) return false;
    const s = this.segmentAtOrPull(from);
    if (!s) return false; // announced with its first bytes: the next request finds it
    const to = Math.min(target, s.endOffset, from + MAX_PREFAULT_PER_STEP);
    try {
      if (this.prefaultMapping?.segment !== s) {
        this.dropPrefaultMapping();
        this.prefaultMapping = { segment: s, region: this.io.mmap(s.fd, 0, s.endOffset - s.fromOffset, true) };
      }
      // in small calls: each holds the process's mmap lock, and a thread that maps memory
      // meanwhile (V8 growing its heap) would make the writer's page faults wait behind it
      const region = this.prefaultMapping.region;
      const end = to - s.fromOffset;
      for (let at = from - s.fromOffset - ((from - s.fromOffset) % OS_PAGE_BYTES); at < end; at += PREFAULT_CALL_BYTES) {
        region.advise(at, Math.min(PREFAULT_CALL_BYTES, end - at), 'populate-write');
      }
    } catch {
      this.prefaultDisabled = true; // not fatal: the writer's own page faults do the same work
      this.dropPrefaultMapping();
      return false;
    }
    this.prefaultedTo = to;
    return to < target;
  }

  private dropPrefaultMapping(): void {
    this.prefaultMapping?.region.unmap();
    this.prefaultMapping = null;
  }

  private hasBufferedSegments(): boolean {
    return this.segments.some((s) => s.memory !== null);
  }

  private commitIfDue(nowMs: number, sync: boolean): number {
    const { commitIntervalMs, commitLeastPages, commitThoroughIntervalMs } = this.settings;
    if (this.diskFullSinceMs && nowMs - this.diskFullSinceMs < DISK_FULL_RETRY_MS) return DISK_FULL_RETRY_MS;
    const requested = this.block.load('commitRequest') > this.block.load('committed');
    if (!sync && !requested && nowMs - this.lastCommitMs < commitIntervalMs) return commitIntervalMs - (nowMs - this.lastCommitMs);
    this.lastCommitMs = nowMs;
    let leastPages = sync || requested ? 0 : commitLeastPages;
    if (nowMs - this.lastThoroughCommitMs >= commitThoroughIntervalMs) {
      this.lastThoroughCommitMs = nowMs;
      leastPages = 0;
    }
    const committed = this.block.load('committed');
    const wrote = this.block.load('wrote');
    if (wrote > committed && (leastPages === 0 || pages(wrote) - pages(committed) >= leastPages || this.crossesSegment(committed, wrote))) {
      this.commitUpTo(wrote);
    }
    return sync ? IDLE_WAIT_MS : commitIntervalMs;
  }

  private flushIfDue(nowMs: number, sync: boolean): number {
    const { flushIntervalMs, flushLeastPages, flushThoroughIntervalMs } = this.settings;
    if (!sync && nowMs - this.lastFlushMs < flushIntervalMs) return flushIntervalMs - (nowMs - this.lastFlushMs);
    this.lastFlushMs = nowMs;
    let leastPages = sync ? 0 : flushLeastPages;
    if (nowMs - this.lastThoroughFlushMs >= flushThoroughIntervalMs) {
      this.lastThoroughFlushMs = nowMs;
      leastPages = 0;
    }
    const flushed = this.block.load('flushed');
    const committed = this.block.load('committed');
    if (committed > flushed && (leastPages === 0 || pages(committed) - pages(flushed) >= leastPages || this.crossesSegment(flushed, committed))) {
      this.flushUpTo(committed);
    }
    return sync ? IDLE_WAIT_MS : flushIntervalMs;
  }

  private crossesSegment(from: number, to: number): boolean {
    const s = this.segmentAt(from);
    return s !== undefined && to >= s.endOffset;
  }

  /** Copy buffered bytes up to `target` into the files, segment by segment. */
  private commitUpTo(target: number): void {
    for (let guard = 0; guard <= this.segments.length; guard++) {
      const committed = this.block.load('committed');
      if (committed >= target) return;
      const s = this.segmentAtOrPull(committed);
      if (!s) {
        this.stalled = true; // not delivered yet: the next step retries
        return;
      }
      const end = Math.min(target, s.endOffset);
      if (s.memory) {
        if (!this.writeRange(s, committed - s.fromOffset, end - s.fromOffset)) return;
      }
      this.block.advance('committed', end);
      if (end === s.endOffset && s.memory) {
        this.memory.unmap(s.memory); // the writer may recycle the buffer now
        s.memory = null;
      }
    }
  }

  private writeRange(s: TrackedSegment, fromPos: number, toPos: number): boolean {
    const memory = s.memory!;
    try {
      if (this.settings.commitMode === 'direct') this.writeDirect(s, memory, fromPos, toPos);
      else this.io.pwrite(s.fd, memory.subarray(fromPos, toPos), fromPos);
      if (this.diskFullSinceMs) {
        this.diskFullSinceMs = 0;
        this.block.store('diskFull', 0);
        this.emit({ type: 'disk-space-ok' });
      }
      return true;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
        if (!this.diskFullSinceMs) this.emit({ type: 'disk-full', message: `commit to ${s.path}: ${e.message}` });
        this.diskFullSinceMs = this.nowMs || 1;
        this.block.store('diskFull', 1);
        this.block.notify('flushed'); // SYNC_FLUSH waiters learn it now rather than at their timeout
        return false;
      }
      this.fail('commit', s.path, e);
      return false;
    }
  }

  /** O_DIRECT: whole pages from the page holding `fromPos`; the last partial page goes through a
   * scratch page whose tail is zero, so bytes past `toPos` never reach the file. */
  private writeDirect(s: TrackedSegment, memory: Uint8Array, fromPos: number, toPos: number): void {
    if (s.directFd < 0) s.directFd = this.io.open(s.path, { direct: true });
    const start = fromPos - (fromPos % OS_PAGE_BYTES);
    const fullEnd = toPos - (toPos % OS_PAGE_BYTES);
    if (fullEnd > start) this.io.pwrite(s.directFd, memory.subarray(start, fullEnd), start);
    if (toPos > fullEnd) {
      this.scratchPage ??= this.io.allocAligned(OS_PAGE_BYTES);
      this.scratchPage.fill(0);
      this.scratchPage.set(memory.subarray(fullEnd, toPos));
      this.io.pwrite(s.directFd, this.scratchPage, fullEnd);
    }
  }

  /** fdatasync segment by segment until `flushed` reaches `target` (a committed position). */
  private flushUpTo(target: number): void {
    for (let guard = 0; guard <= this.segments.length; guard++) {
      const flushed = this.block.load('flushed');
      if (flushed >= target) return;
      const s = this.segmentAtOrPull(flushed);
      if (!s) {
        this.stalled = true; // announced but not delivered yet: the next step retries
        return;
      }
      const end = Math.min(target, s.endOffset);
      const started = systemClock.monotonicMs();
      try {
        this.io.fdatasync(s.fd);
        const device = this.settings.emulatedDevice;
        if (device) chargeFlush(device, end - flushed, systemClock.monotonicMs() - started);
      } catch (err) {
        this.fail('fdatasync', s.path, err as NodeJS.ErrnoException);
        return;
      }
      this.block.advance('flushed', end);
      if (end === s.endOffset) this.retire(s);
    }
  }

  private retire(s: TrackedSegment): void {
    if (this.prefaultMapping?.segment === s) this.dropPrefaultMapping();
    if (s.directFd >= 0) this.io.close(s.directFd);
    const i = this.segments.indexOf(s);
    if (i >= 0) this.segments.splice(i, 1);
  }

  private segmentAtOrPull(offset: number): TrackedSegment | undefined {
    const found = this.segmentAt(offset);
    if (found) return found;
    this.pullAnnouncements();
    return this.segmentAt(offset);
  }

  private segmentAt(offset: number): TrackedSegment | undefined {
    return this.segments.find((s) => offset >= s.fromOffset && offset < s.endOffset);
  }

  private fail(operation: string, path: string, err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'EUNKNOWN';
    this.block.store('failed', FAILURE_CODES[code] ?? OTHER_FAILURE);
    this.block.notify('flushed');
    this.block.notify('committed');
    this.emit({ type: 'failed', operation, code, message: `${operation} of ${path} failed: ${err.message}` });
  }
}

function pages(offset: number): number {
  return Math.floor(offset / OS_PAGE_BYTES);
}

/** How the service sees a write buffer shared by the writer thread. */
export interface SharedMemoryAccess {
  map(handle: SharedMemoryHandle): Uint8Array | null;
  unmap(view: Uint8Array): void;
}

/** Views in this thread (a worker, or the writer thread itself): SABs directly, addon memory by
 * attaching its id (and releasing that view when done). */
export const defaultMemoryAccess: SharedMemoryAccess = {
  map(handle) {
    if (handle.kind === 'none') return null;
    if (handle.kind === 'sab') return new Uint8Array(handle.buffer);
    const addon = loadNativeAddon().addon;
    assert(addon !== null, 'an aligned write buffer needs the native addon in the service thread');
    return new Uint8Array(addon.attachAligned(handle.id));
  },
  unmap(view) {
    if (view.buffer instanceof SharedArrayBuffer) return;
    loadNativeAddon().addon?.releaseAligned(view.buffer as ArrayBuffer);
  },
};
