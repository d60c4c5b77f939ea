// Cut a CLOSED CommitLog at a record boundary: segment files that start at or after `offset` are
// deleted, and the segment holding `offset` is zeroed from there to its end (and fdatasynced),
// so the next open's recovery finds the log ending exactly at `offset`. ConsumeQueue entries
// beyond it need no work here: recovery cuts the queues at min(checkpoint, log end) and
// re-dispatches (message-store.ts loadAndRecover).
//
// Used by a slave rejoining a master whose log it diverged from (src/ha/slave-rejoin.ts). The
// caller must have closed the store: files under a live mapping must not change.
import { join } from 'node:path';
import { ErrorCode, IoError, StoreError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { parseSegmentFileName, segmentFileName } from '../segment/segment-name.js';

export interface TruncateResult {
  /** Segment files removed (start >= offset). */
  deletedSegments: number;
  /** Bytes zeroed in the segment holding `offset` (0 when it is a segment start). */
  zeroedBytes: number;
}

export function truncateCommitLogFiles(io: FileIO, dir: string, segmentBytes: number, offset: number): TruncateResult {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new StoreError(ErrorCode.INVALID_ARGUMENT, `truncate offset must be a non-negative integer, got ${offset}`);
  const starts = io
    .readdir(dir)
    .map((name) => parseSegmentFileName(name))
    .filter((s): s is number => s !== null)
    .sort((a, b) => a - b);
  let deletedSegments = 0;
  let zeroedBytes = 0;
  for (const start of starts) {
    const path = join(dir, segmentFileName(start));
    if (start >= offset) {
      io.unlink(path);
      deletedSegments++;
    } else if (offset < start + segmentBytes) {
      zeroedBytes = zeroFrom(io, path, offset - start);
    }
  }
  io.fsyncDir(dir);
  return { deletedSegments, zeroedBytes };
}

function zeroFrom(io: FileIO, path: string, from: number): number {
  let fd = -1;
  try {
    fd = io.open(path);
    const size = io.size(fd);
    if (from < size) io.zeroRange(fd, from, size - from);
    io.fdatasync(fd);
    return Math.max(0, size - from);
  } catch (err) {
    throw new IoError(`zeroing ${path} from ${from}`, err);
  } finally {
    if (fd >= 0) io.close(fd);
  }
}
