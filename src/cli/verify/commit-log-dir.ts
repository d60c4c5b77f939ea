// One CommitLog directory as `mqstore verify` sees it: its segment files (20-digit names, sorted)
// and the extent of its log [minOffset, endOffset). The end is either given (a running node's
// maxPhyOffset from /status) or found the way recovery finds it (commitlog/recovery.ts): walk
// the records of the last segment from its start; the log ends at the first position that
// does not hold a valid record (zeros, a torn or corrupt record), or at the segment's end after
// the end-of-file blank. Files are only read (opened O_RDONLY), never changed.
// Segment files at the end that hold no record at all (a preallocated next segment of a running
// or killed node: all zeros) are not log: the scan steps back to the newest segment with a
// record, so 26 KB of data in a store with an empty preallocated second segment ends at 26 KB,
// not at the second segment's start. `emptyTailSegments` counts the files skipped.
//
// `endKind` says why the log ends there: 'zeros' (normal end), 'segment-end' (blank or a full
// segment), 'corrupt' (non-zero bytes that are not a valid record: the tail itself may be the
// difference), 'given' (taken from a running node), 'empty' (no segment files).
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readInt32 } from '../../codec/bytes-be.js';
import { peekRecordHeader } from '../../codec/read-record.js';
import { parseSegmentFileName } from '../../segment/segment-name.js';
import { AdminError, AdminErrorCode } from '../../admin/admin-error.js';

const SCAN_CHUNK_BYTES = 8 << 20;
const MAX_SEGMENTS = 1_000_000;

export interface LogSegment {
  name: string;
  path: string;
  fromOffset: number;
  sizeBytes: number;
}

export type LogEndKind = 'zeros' | 'segment-end' | 'corrupt' | 'given' | 'empty';

export interface LogExtent {
  /** The directory holding the segment files. */
  dir: string;
  segments: LogSegment[];
  minOffset: number;
  endOffset: number;
  endKind: LogEndKind;
  /** For 'corrupt': what is wrong with the bytes at endOffset. */
  endReason: string | null;
  /** Segment files after the end holding no record (preallocated, all-zero starts). */
  emptyTailSegments: number;
}

/** `dir` itself when it holds segment files, else `dir/commitlog` (a store root). */
export function resolveCommitLogDir(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new AdminError(AdminErrorCode.BAD_LOG_DIR, `'${dir}' is not a directory`);
  const sub = join(dir, 'commitlog');
  if (existsSync(sub) && statSync(sub).isDirectory()) return sub;
  if (readdirSync(dir).some((n) => parseSegmentFileName(n) !== null)) return dir;
  throw new AdminError(AdminErrorCode.BAD_LOG_DIR, `'${dir}' is neither a store root (with commitlog/) nor a CommitLog directory (20-digit segment files)`);
}

export function listSegments(commitLogDir: string): LogSegment[] {
  const segments: LogSegment[] = [];
  for (const name of readdirSync(commitLogDir)) {
    const fromOffset = parseSegmentFileName(name);
    if (fromOffset === null) continue;
    if (segments.length >= MAX_SEGMENTS) throw new AdminError(AdminErrorCode.BAD_LOG_DIR, `more than ${MAX_SEGMENTS} segment files in ${commitLogDir}`);
    const path = join(commitLogDir, name);
    segments.push({ name, path, fromOffset, sizeBytes: statSync(path).size });
  }
  return segments.sort((a, b) => a.fromOffset - b.fromOffset);
}

/** The log in `dir` (a store root or a CommitLog directory); `givenEnd` skips the scan. */
export function readLogExtent(dir: string, givenEnd?: number): LogExtent {
  const commitLogDir = resolveCommitLogDir(dir);
  const segments = listSegments(commitLogDir);
  const base = { dir: commitLogDir, segments, endReason: null, emptyTailSegments: 0 };
  if (segments.length === 0) return { ...base, minOffset: 0, endOffset: givenEnd ?? 0, endKind: givenEnd === undefined ? 'empty' : 'given' };
  const minOffset = segments[0]!.fromOffset;
  if (givenEnd !== undefined) return { ...base, minOffset, endOffset: givenEnd, endKind: 'given' };
  // newest first; a segment with no record at its start (zeros) is an unused preallocation,
  // unless it is the first one (an empty log) or the one before it does not reach it (a gap:
  // the log ends at this empty segment's start, as recovery would find it)
  for (let i = segments.length - 1; ; i--) {
    const segment = segments[i]!;
    const stop = scanForEnd(segment);
    const previous = segments[i - 1];
    const emptyTail = stop.position === 0 && stop.kind === 'zeros' && previous !== undefined && previous.fromOffset + previous.sizeBytes === segment.fromOffset;
    if (!emptyTail) {
      return { ...base, minOffset, endOffset: segment.fromOffset + stop.position, endKind: stop.kind, endReason: stop.reason, emptyTailSegments: segments.length - 1 - i };
    }
  }
}

interface EndStop {
  position: number;
  kind: 'zeros' | 'segment-end' | 'corrupt';
  reason: string | null;
}

/** Walk the records of one segment from its start (no CRC check: a flipped body byte must not
 * move the end; the byte comparison finds it). */
function scanForEnd(segment: LogSegment): EndStop {
  const fd = openSync(segment.path, 'r');
  try {
    let chunk = new Uint8Array(Math.min(segment.sizeBytes, SCAN_CHUNK_BYTES));
    let chunkStart = 0;
    let chunkLength = readSync(fd, chunk, 0, chunk.length, 0);
    let position = 0;
    const maxRecords = Math.ceil(segment.sizeBytes / 8) + 1;
    for (let n = 0; n < maxRecords; n++) {
      if (position + 8 > segment.sizeBytes) return { position: segment.sizeBytes, kind: 'segment-end', reason: null };
      let rel = position - chunkStart;
      const size = rel + 4 <= chunkLength ? readInt32(chunk, rel) : 8;
      const needed = Math.max(8, size > 0 ? size : 8);
      if (rel + needed > chunkLength && chunkStart + chunkLength < segment.sizeBytes) {
        if (needed > chunk.length) chunk = new Uint8Array(Math.min(segment.sizeBytes, needed));
        chunkStart = position;
        chunkLength = readSync(fd, chunk, 0, chunk.length, chunkStart);
        rel = 0;
      }
      const r = peekRecordHeader(chunk.subarray(0, chunkLength), rel, { checkCrc: false });
      if (r.kind === 'blank') return { position: segment.sizeBytes, kind: 'segment-end', reason: null };
      if (r.kind === 'invalid') {
        const zeros = chunk.subarray(rel, Math.min(chunkLength, rel + 8)).every((b) => b === 0);
        return { position, kind: zeros ? 'zeros' : 'corrupt', reason: zeros ? null : r.reason };
      }
      if (r.physicalOffset !== segment.fromOffset + position) {
        return { position, kind: 'corrupt', reason: `record says it is at offset ${r.physicalOffset}` };
      }
      position += r.size;
    }
    return { position, kind: 'segment-end', reason: null };
  } finally {
    closeSync(fd);
  }
}

/** The segment holding `offset`, or null (binary search over sorted, non-overlapping files). */
export function segmentAt(segments: readonly LogSegment[], offset: number): LogSegment | null {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = segments[mid]!;
    if (offset < s.fromOffset) hi = mid - 1;
    else if (offset >= s.fromOffset + s.sizeBytes) lo = mid + 1;
    else return s;
  }
  return null;
}
