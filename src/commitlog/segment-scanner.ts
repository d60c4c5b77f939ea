// Walks the records of one CommitLog segment from a position, reading the file in large chunks
// (a record never spans two chunks: a chunk is refilled at the record that does not fit).
// Stops at the end-of-file blank, at the first invalid record (torn tail, zeros, CRC mismatch,
// a record whose PHYSICALOFFSET field is not its real position), or at the end of the file.
// Without a callback (recovery) a record is checked, not decoded (checkRecordAt): the same
// checks, the same stops.
import { readInt32 } from '../codec/bytes-be.js';
import { checkRecordAt, readRecord, type DecodedMessage } from '../codec/read-record.js';
import { RECORD_OVERHEAD_ALLOWANCE_BYTES } from '../codec/record-layout.js';
import type { FileIO } from '../io/file-io.js';
import type { SegmentFile } from '../segment/segment-file.js';

export type ScanStop =
  | { kind: 'blank'; position: number }
  | { kind: 'invalid'; position: number; reason: string; zeros: boolean }
  | { kind: 'end'; position: number };

export interface ScanOptions {
  checkCrc: boolean;
  /** Largest record body allowed (maxMessageSize); sizes the read chunk. */
  maxMessageBytes: number;
}

export function scanSegment(
  io: FileIO,
  file: SegmentFile,
  startPosition: number,
  options: ScanOptions,
  /** Told every valid record, decoded; without it records are only checked (recovery), which
   * decodes nothing but their size and physical offset. */
  onMessage?: (msg: DecodedMessage, position: number) => void,
): ScanStop {
  const chunkBytes = Math.min(file.sizeBytes, Math.max(8 << 20, 2 * (options.maxMessageBytes + RECORD_OVERHEAD_ALLOWANCE_BYTES)));
  const chunk = new Uint8Array(chunkBytes);
  let chunkStart = startPosition;
  let chunkLength = io.pread(file.fd, chunk, chunkStart);
  let view = chunk.subarray(0, chunkLength);
  let position = startPosition;
  const maxRecords = Math.ceil(file.sizeBytes / 8);
  for (let n = 0; n < maxRecords; n++) {
    if (position + 8 > file.sizeBytes) return { kind: 'end', position };
    let rel = position - chunkStart;
    const fileEndOfChunk = chunkStart + chunkLength;
    const needed = rel + 4 <= chunkLength ? readInt32(chunk, rel) : 8;
    if ((rel + 8 > chunkLength || (needed > 0 && rel + needed > chunkLength)) && fileEndOfChunk < file.sizeBytes) {
      chunkStart = position;
      chunkLength = io.pread(file.fd, chunk, chunkStart);
      view = chunk.subarray(0, chunkLength);
      rel = 0;
    }
    const at = file.fromOffset + position;
    let size: number;
    let physicalOffset: number;
    if (onMessage === undefined) {
      const r = checkRecordAt(view, rel, options.checkCrc);
      if (r.kind === 'blank') return { kind: 'blank', position };
      if (r.kind === 'invalid') return { kind: 'invalid', position, reason: r.reason, zeros: allZero(view, rel, 8) };
      size = r.size;
      physicalOffset = r.physicalOffset;
    } else {
      const r = readRecord(view, rel, { checkCrc: options.checkCrc, readBody: false });
      if (r.kind === 'blank') return { kind: 'blank', position };
      if (r.kind === 'invalid') return { kind: 'invalid', position, reason: r.reason, zeros: allZero(view, rel, 8) };
      if (r.msg.physicalOffset === at) onMessage(r.msg, at);
      size = r.size;
      physicalOffset = r.msg.physicalOffset;
    }
    if (physicalOffset !== at) {
      return { kind: 'invalid', position, reason: `record says it is at offset ${physicalOffset}`, zeros: false };
    }
    position += size;
  }
  return { kind: 'end', position };
}

function allZero(bytes: Uint8Array, from: number, length: number): boolean {
  const end = Math.min(bytes.byteLength, from + length);
  for (let i = from; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}
