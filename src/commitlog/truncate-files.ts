// Cut a CLOSED CommitLog at a record boundary: segment files that start at or after `offset` are
// deleted, and the segment holding `offset` is zeroed from there to its end (and fdatasynced),
// so the next open's recovery finds the log ending exactly at `offset`. ConsumeQueue entries
// beyond it need no work here: recovery cuts the queues at min(checkpoint, log end) and
// re-dispatches (message-store.ts loadAndRecover).
//
// Used by a slave rejoining a master whose log it diverged from (src/ha/slave-rejoin.ts). The
// caller must have closed the store: files under a live mapping must not change.
import { closeSync, fdatasyncSync, fstatSync, fsyncSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, IoError, StoreError } from '../errors.js';
import { parseSegmentFileName, segmentFileName } from '../segment/segment-name.js';

const ZERO_CHUNK_BYTES = 1 << 20;

export interface TruncateResult {
  /** Segment files removed (start >= offset). */
  deletedSegments: number;
  /** Bytes zeroed in the segment holding `offset` (0 when it is a segment start). */
  zeroedBytes: number;
}

export function truncateCommitLogFiles(dir: string, segmentBytes: number, offset: number): TruncateResult {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new StoreError(ErrorCode.INVALID_ARGUMENT, `truncate offset must be a non-negative integer, got ${offset}`);
  const starts = readdirSync(dir)
    .map((name) => parseSegmentFileName(name))
    .filter((s): s is number => s !== null)
    .sort((a, b) => a - b);
  let deletedSegments = 0;
  let zeroedBytes = 0;
  for (const start of starts) {
    const path = join(dir, segmentFileName(start));
    if (start >= offset) {
      rmSync(path);
      deletedSegments++;
    } else if (offset < start + segmentBytes) {
      zeroedBytes = zeroFrom(path, offset - start);
    }
  }
  fsyncDir(dir);
  return { deletedSegments, zeroedBytes };
}

function zeroFrom(path: string, from: number): number {
  const zeros = Buffer.alloc(ZERO_CHUNK_BYTES);
  let fd = -1;
  try {
    fd = openSync(path, 'r+');
    const size = fstatSync(fd).size;
    let at = from;
    for (let guard = 0; at < size && guard <= size / ZERO_CHUNK_BYTES + 1; guard++) {
      at += writeSync(fd, zeros, 0, Math.min(ZERO_CHUNK_BYTES, size - at), at);
    }
    fdatasyncSync(fd);
    return Math.max(0, size - from);
  } catch (err) {
    throw new IoError(`zeroing ${path} from ${from}`, err);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
