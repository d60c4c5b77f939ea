// Finding where valid records resume after a bad one (recovery's hole fencing, re-dispatch over
// a hole). Records are not aligned, so every position after the bad record is a candidate; the
// search jumps between occurrences of the magic codes (MAGIC_V1/V2 share the prefix DA A3 20, the
// end-of-file blank is CB D4 31 94) with Buffer.indexOf and accepts a candidate only when it is
//   - a message that passes the structural check and the body CRC and whose PHYSICALOFFSET
//     field is its own position (a stale or accidental match fails this), or
//   - an end-of-file blank whose TOTALSIZE is exactly the rest of its segment.
// Reads the files in chunks that overlap by one largest record, so a candidate that starts in a
// chunk's first part is read whole. Bounded by the bytes of the segments searched.
import { readInt32 } from '../codec/bytes-be.js';
import { readRecord } from '../codec/read-record.js';
import { RECORD_OVERHEAD_ALLOWANCE_BYTES } from '../codec/record-layout.js';
import type { FileIO } from '../io/file-io.js';
import type { SegmentFile } from '../segment/segment-file.js';

const MESSAGE_MAGIC_PREFIX = Buffer.from([0xda, 0xa3, 0x20]);
const BLANK_MAGIC_BYTES = Buffer.from([0xcb, 0xd4, 0x31, 0x94]);
/** The magic code sits at byte 4 of a record. */
const MAGIC_AT = 4;

export interface ResyncPoint {
  /** Index into the segment array given. */
  index: number;
  /** Position in that segment where a valid record (or the end-of-file blank) starts. */
  position: number;
}

/** The first valid record at or after `position` of `files[index]`, searching later segments
 * from their start; null when none is left. */
export function findNextRecord(io: FileIO, files: readonly SegmentFile[], index: number, position: number, maxMessageBytes: number): ResyncPoint | null {
  for (let i = index; i < files.length; i++) {
    const found = searchSegment(io, files[i]!, i === index ? position : 0, maxMessageBytes);
    if (found !== null) return { index: i, position: found };
  }
  return null;
}

function searchSegment(io: FileIO, file: SegmentFile, from: number, maxMessageBytes: number): number | null {
  const maxRecord = maxMessageBytes + RECORD_OVERHEAD_ALLOWANCE_BYTES;
  const chunkBytes = Math.min(file.sizeBytes, Math.max(8 << 20, 2 * maxRecord));
  const chunk = Buffer.alloc(chunkBytes);
  const step = Math.max(1, chunkBytes - maxRecord);
  for (let start = from; start < file.sizeBytes; start += step) {
    const n = io.pread(file.fd, chunk, start);
    if (n <= 0) return null;
    const view = chunk.subarray(0, n);
    const limit = start + step >= file.sizeBytes ? n : Math.min(n, step);
    const found = searchChunk(view, start, limit, file);
    if (found !== null) return found;
  }
  return null;
}

/** Candidates whose record starts in [0, limit) of `view` (file position `start`). */
function searchChunk(view: Buffer, start: number, limit: number, file: SegmentFile): number | null {
  let m = nextCandidate(view, MESSAGE_MAGIC_PREFIX, 0);
  let b = nextCandidate(view, BLANK_MAGIC_BYTES, 0);
  for (let guard = 0; guard < view.byteLength; guard++) {
    const rel = Math.min(m < 0 ? Infinity : m, b < 0 ? Infinity : b);
    if (rel === Infinity || rel >= limit) return null;
    if (rel === m) {
      if (isMessageAt(view, rel, file.fromOffset + start + rel)) return start + rel;
      m = nextCandidate(view, MESSAGE_MAGIC_PREFIX, rel + 1);
    } else {
      if (readInt32(view, rel) === file.sizeBytes - (start + rel)) return start + rel;
      b = nextCandidate(view, BLANK_MAGIC_BYTES, rel + 1);
    }
  }
  return null;
}

/** Position of the next record start whose magic begins with `pattern`, at or after `from`; -1 if none. */
function nextCandidate(view: Buffer, pattern: Buffer, from: number): number {
  const hit = view.indexOf(pattern, from + MAGIC_AT);
  return hit < 0 ? -1 : hit - MAGIC_AT;
}

function isMessageAt(view: Buffer, rel: number, physicalOffset: number): boolean {
  const r = readRecord(view, rel, { checkCrc: true, readBody: false });
  return r.kind === 'message' && r.msg.physicalOffset === physicalOffset;
}
