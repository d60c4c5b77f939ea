// Walking record boundaries of the CommitLog for the Raft glue (RaftLogAccess.readWritten): the
// core's one question, `alignedEnd` (where records end, so appends carry whole records), and the
// start-up scan for term-start markers. Reads in chunks of at most WALK_CHUNK_BYTES; never crosses
// a segment (records never do; the end-of-file blank ends at the segment end). Bytes that are not
// a record header stop the walk (the log's own recovery decided where the log ends).
import { readInt32 } from '../codec/bytes-be.js';
import { BLANK_MAGIC, END_FILE_MIN_BLANK_BYTES } from '../codec/record-layout.js';
import type { RaftLogAccess } from '../store/raft-log-access.js';
import type { RaftLogView } from '../raft/raft-types.js';

export const WALK_CHUNK_BYTES = 1 << 20;
/** Records visited by one walk at most (a chunk of minimal records, times the chunks of a segment is far beyond). */
const MAX_RECORDS_PER_WALK = 50_000_000;

/** One record (or the end-of-file blank) found by a walk; `bytes` holds its whole bytes when it fits a chunk, else null. */
export interface WalkedRecord {
  readonly offset: number;
  readonly size: number;
  readonly blank: boolean;
  readonly bytes: Uint8Array | null;
}

/** The size of the record at `offset` (a blank: to its segment end), or null when no record header is there. */
function headerAt(chunk: Uint8Array, pos: number, offset: number, segmentBytes: number): { size: number; blank: boolean } | null {
  if (chunk.length - pos < END_FILE_MIN_BLANK_BYTES) return null;
  const size = readInt32(chunk, pos);
  const magic = readInt32(chunk, pos + 4);
  if (magic === BLANK_MAGIC) return { size: segmentBytes - (offset % segmentBytes), blank: true };
  return size >= END_FILE_MIN_BLANK_BYTES ? { size, blank: false } : null;
}

/**
 * Visit records from `from` (a record boundary) while they start below `to`, within the segment
 * holding `from` and below the written end; `visit` returns false to stop. Returns the end of the
 * last record visited (from when none).
 */
export function walkSegmentRecords(log: RaftLogAccess, from: number, to: number, visit: (r: WalkedRecord) => boolean): number {
  const seg = log.segmentBytes;
  const segEnd = from - (from % seg) + seg;
  const stop = Math.min(to, segEnd, log.writtenEnd());
  let at = from;
  let chunkStart = from;
  let chunk: Uint8Array = new Uint8Array(0);
  for (let n = 0; at < stop && n < MAX_RECORDS_PER_WALK; n++) {
    if (at + END_FILE_MIN_BLANK_BYTES > chunkStart + chunk.length) {
      chunkStart = at;
      chunk = log.readWritten(at, Math.min(WALK_CHUNK_BYTES, segEnd - at));
    }
    const h = headerAt(chunk, at - chunkStart, at, seg);
    if (!h) break;
    const inChunk = at + h.size <= chunkStart + chunk.length;
    const bytes = inChunk ? chunk.subarray(at - chunkStart, at - chunkStart + h.size) : null;
    if (!visit({ offset: at, size: h.size, blank: h.blank, bytes })) break;
    at += h.size;
  }
  return at;
}

/** RaftLogView over the real log (see RaftLogView.alignedEnd). Stays inside one segment: a
 * replicated append never crosses one (CommitLog.appendRaw). */
export function commitLogView(log: RaftLogAccess): RaftLogView {
  return {
    alignedEnd(from: number, limit: number): number {
      let best = -1;
      walkSegmentRecords(log, from, limit, (r) => {
        const end = r.offset + r.size;
        if (end > limit) {
          if (best < 0) best = end;
          return false;
        }
        best = end;
        return true;
      });
      if (best < 0) throw new Error(`no record starts at ${from} (log written to ${log.writtenEnd()})`);
      return best;
    },
  };
}
