// Slave side: CommitLog bytes arrive from the master in frames cut at arbitrary places. This
// finds the complete records in them (keeping a partial record until the rest arrives, and
// skipping from an end-of-file blank to the segment end) so the store can write each record's
// ConsumeQueue entry exactly as the master did. Two steps, so bad bytes are refused before they
// reach the log: `scan` only reads (and reports an error for bytes that are not records), and
// `apply` takes the scan's new state once the bytes are appended.
import { readInt32 } from '../codec/bytes-be.js';
import { peekRecordHeader, type RecordHeader } from '../codec/read-record.js';
import { BLANK_MAGIC, END_FILE_MIN_BLANK_BYTES, MAGIC_V1, MAGIC_V2 } from '../codec/record-layout.js';

export interface ReplicaScan {
  readonly records: ReadonlyArray<{ header: RecordHeader; offset: number }>;
  readonly carry: Uint8Array;
  readonly carryOffset: number;
  readonly skipUntil: number;
}

export class ReplicaDispatcher {
  private carry: Uint8Array = new Uint8Array(0);
  /** Offset of carry[0]; the bytes before it are dispatched. */
  private carryOffset: number;
  /** After a blank: bytes before this offset are filler. */
  private skipUntil = 0;

  constructor(
    startOffset: number,
    private readonly segmentBytes: number,
  ) {
    this.carryOffset = startOffset;
  }

  /** The end of what this dispatcher has seen (where the next bytes must start). */
  get nextOffset(): number {
    return this.carryOffset + this.carry.byteLength;
  }

  /** Find the records completed by `bytes` at `offset`; changes nothing. */
  scan(offset: number, bytes: Uint8Array): ReplicaScan | { error: string } {
    if (offset !== this.nextOffset) return { error: `replica bytes at ${offset} do not continue ${this.nextOffset}` };
    let data = bytes;
    let dataOffset = offset;
    if (this.carry.byteLength > 0) {
      data = new Uint8Array(this.carry.byteLength + bytes.byteLength);
      data.set(this.carry);
      data.set(bytes, this.carry.byteLength);
      dataOffset = this.carryOffset;
    }
    const records: Array<{ header: RecordHeader; offset: number }> = [];
    let skipUntil = this.skipUntil;
    let pos = 0;
    for (let guard = 0; pos < data.byteLength && guard <= data.byteLength; guard++) {
      const at = dataOffset + pos;
      if (at < skipUntil) {
        pos = Math.min(data.byteLength, skipUntil - dataOffset);
        continue;
      }
      if (pos + 8 > data.byteLength) break;
      const size = readInt32(data, pos);
      const magic = readInt32(data, pos + 4);
      if (magic !== MAGIC_V1 && magic !== MAGIC_V2 && magic !== BLANK_MAGIC) {
        return { error: `replicated bytes at offset ${at} have no record magic (0x${(magic >>> 0).toString(16)})` };
      }
      if (size < END_FILE_MIN_BLANK_BYTES || at + size > at - (at % this.segmentBytes) + this.segmentBytes) {
        return { error: `replicated record at offset ${at} has an impossible size ${size}` };
      }
      if (pos + size > data.byteLength && magic !== BLANK_MAGIC) break; // the rest of this record is still on its way
      const r = peekRecordHeader(data, pos);
      if (r.kind === 'blank') {
        skipUntil = at + this.segmentBytes - (at % this.segmentBytes);
        continue;
      }
      if (r.kind === 'invalid') return { error: `replicated bytes at offset ${at} are not a record: ${r.reason}` };
      if (r.physicalOffset !== at) return { error: `replicated record at offset ${at} says it is at ${r.physicalOffset}` };
      records.push({ header: r, offset: at });
      pos += r.size;
    }
    return { records, carry: data.slice(pos), carryOffset: dataOffset + pos, skipUntil };
  }

  apply(scan: ReplicaScan): void {
    this.carry = scan.carry;
    this.carryOffset = scan.carryOffset;
    this.skipUntil = scan.skipUntil;
  }
}
