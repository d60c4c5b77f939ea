// Slave side: CommitLog bytes arrive from the master in frames cut at arbitrary places. This
// finds the complete records in them, keeping a partial record in memory until the rest
// arrives, so the slave's log only ever holds whole records (and the blank filler to a segment
// end): a slave promoted mid-record must not leave half a record under its own new writes, and
// its acks then always name record boundaries. Two steps, so bad bytes are refused before they
// reach the log: `scan` only reads and says which bytes may be appended; `apply` takes the
// scan's new state once they are.
import { readInt32 } from '../codec/bytes-be.js';
import { peekRecordHeader, type RecordHeader } from '../codec/read-record.js';
import { BLANK_MAGIC, END_FILE_MIN_BLANK_BYTES, MAGIC_V1, MAGIC_V2 } from '../codec/record-layout.js';

export interface ReplicaScan {
  readonly records: ReadonlyArray<{ header: RecordHeader; offset: number }>;
  /** Complete records (and blank filler) to append to the log, starting at `appendFrom`. */
  readonly appendFrom: number;
  readonly appendBytes: Uint8Array;
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

  /** The end of the complete records (what is in the log). */
  get appendedOffset(): number {
    return this.carryOffset;
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
    return { records, appendFrom: dataOffset, appendBytes: data.subarray(0, pos), carry: data.slice(pos), carryOffset: dataOffset + pos, skipUntil };
  }

  apply(scan: ReplicaScan): void {
    this.carry = scan.carry;
    this.carryOffset = scan.carryOffset;
    this.skipUntil = scan.skipUntil;
  }
}
