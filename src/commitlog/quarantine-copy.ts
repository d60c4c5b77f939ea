// Copying a range of CommitLog bytes into quarantine/<from>-<to>-<ms>/ before anything changes
// them: recovery's fenced holes and cut tails (the same layout as a live truncation's copy in
// src/store/log-truncation.ts; the directory format is in docs/ON_DISK_FORMAT.md). One file per
// segment touched, named by the 20-digit offset of its first copied byte; every file and the
// directory are fsynced before the copy counts. A copy that cannot be made throws (the caller
// then leaves the bytes where they are).
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { ensureDir } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import type { SegmentFile } from '../segment/segment-file.js';
import type { SegmentList } from '../segment/segment-list.js';

/** Bytes copied per read/write. */
const COPY_CHUNK_BYTES = 1 << 20;

export function quarantineDirName(root: string, from: number, to: number, nowMs: number): string {
  return join(root, 'quarantine', `${pad(from)}-${pad(to)}-${nowMs}`);
}

/** An existing copy of exactly [from, to) (a hole found again at a later open), or null. */
export function findQuarantineCopy(io: FileIO, storeRoot: string, from: number, to: number): string | null {
  const root = join(storeRoot, 'quarantine');
  if (!io.exists(root)) return null;
  const prefix = `${pad(from)}-${pad(to)}-`;
  const name = io.readdir(root).find((n) => n.startsWith(prefix) && io.exists(join(root, n, pad(from))));
  return name === undefined ? null : join(root, name);
}

export interface ByteRange {
  from: number;
  to: number;
}

/** Copy each range of the log (ascending, not overlapping) into one new quarantine directory
 * under `storeRoot`, named by the first range's start and the last one's end; returns it. */
export function copyToQuarantine(io: FileIO, segments: SegmentList, storeRoot: string, ranges: readonly ByteRange[], nowMs: number): string {
  const nonEmpty = ranges.filter((r) => r.to > r.from);
  const dir = quarantineDirName(storeRoot, nonEmpty[0]?.from ?? 0, nonEmpty.at(-1)?.to ?? 0, nowMs);
  const buffer = new Uint8Array(COPY_CHUNK_BYTES);
  ensureDir(io, dir);
  for (const range of nonEmpty) copyRange(io, segments, dir, range, buffer);
  io.fsyncDir(dir);
  io.fsyncDir(join(storeRoot, 'quarantine'));
  return dir;
}

function copyRange(io: FileIO, segments: SegmentList, dir: string, { from, to }: ByteRange, buffer: Uint8Array): void {
  for (let at = from; at < to; ) {
    const segment = segments.find(at);
    if (!segment) throw new StoreError(ErrorCode.IO, `quarantine: no segment holds offset ${at} of [${from}, ${to})`);
    const segmentEnd = Math.min(to, segment.endOffset);
    const fd = io.open(join(dir, pad(at)), { create: true });
    try {
      for (let p = at; p < segmentEnd; ) {
        const n = Math.min(buffer.byteLength, segmentEnd - p);
        const chunk = buffer.subarray(0, n);
        const got = io.pread(segment.fd, chunk, p - segment.fromOffset);
        if (got !== n) throw new StoreError(ErrorCode.IO, `quarantine: read ${got} of ${n} bytes at ${p} of ${segment.path}`);
        io.pwrite(fd, chunk, p - at);
        p += n;
      }
      io.fdatasync(fd);
    } finally {
      io.close(fd);
    }
    at = segmentEnd;
  }
}

/** Zero blocks of this size end the data a cut tail holds (preallocated segments are zeros). */
const ZERO_BLOCK_BYTES = 64 * 1024;

/** The end (a file position) of the bytes worth keeping from `from` on in `file`: the start of
 * the first all-zero ZERO_BLOCK_BYTES block at or after `from` (aligned), or the file's end. */
export function dataExtentEnd(io: FileIO, file: SegmentFile, from: number): number {
  const buffer = new Uint8Array(COPY_CHUNK_BYTES);
  for (let start = from - (from % ZERO_BLOCK_BYTES); start < file.sizeBytes; start += buffer.byteLength) {
    const n = io.pread(file.fd, buffer, start);
    if (n <= 0) return Math.max(from, start);
    for (let b = 0; b < n; b += ZERO_BLOCK_BYTES) {
      const block = buffer.subarray(b, Math.min(n, b + ZERO_BLOCK_BYTES));
      const blockStart = start + b;
      const scanFrom = Math.max(0, from - blockStart);
      if (allZero(block, scanFrom)) return Math.max(from, blockStart);
    }
  }
  return file.sizeBytes;
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}

function pad(offset: number): string {
  return String(offset).padStart(20, '0');
}
