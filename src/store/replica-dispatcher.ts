// Slave side: CommitLog bytes arrive from the master in frames cut at arbitrary places. This
// finds the complete records in them (keeping a partial record until the rest arrives, and
// skipping from an end-of-file blank to the segment end) and reports each record so the store
// can write its ConsumeQueue entry, exactly as the master did.
import { readInt32 } from '../codec/bytes-be.js';
import { peekRecordHeader, type RecordHeader } from '../codec/read-record.js';
import { assert } from '../util/assert.js';

export type ReplicaRecordSink = (record: RecordHeader, physicalOffset: number) => void;

export class ReplicaDispatcher {
  private carry = new Uint8Array(0);
  /** Offset of carry[0]; the bytes up to it are dispatched. */
  private carryOffset: number;
  /** After a blank: bytes before this offset are filler. */
  private skipUntil = 0;

  constructor(
    startOffset: number,
    private readonly segmentBytes: number,
    private readonly onRecord: ReplicaRecordSink,
  ) {
    this.carryOffset = startOffset;
  }

  /** Feed bytes appended at `offset` (must continue the previous feed). Returns the records found. */
  feed(offset: number, bytes: Uint8Array): number {
    assert(offset === this.carryOffset + this.carry.byteLength, `replica bytes at ${offset} do not continue ${this.carryOffset + this.carry.byteLength}`);
    let data = bytes;
    let dataOffset = offset;
    if (this.carry.byteLength > 0) {
      data = new Uint8Array(this.carry.byteLength + bytes.byteLength);
      data.set(this.carry);
      data.set(bytes, this.carry.byteLength);
      dataOffset = this.carryOffset;
    }
    let pos = 0;
    let found = 0;
    for (let guard = 0; pos < data.byteLength && guard <= data.byteLength; guard++) {
      const at = dataOffset + pos;
      if (at < this.skipUntil) {
        pos = Math.min(data.byteLength, this.skipUntil - dataOffset);
        continue;
      }
      if (pos + 8 > data.byteLength) break;
      const size = readInt32(data, pos);
      if (size > 0 && pos + size > data.byteLength) break; // the rest of this record is still on its way
      const r = peekRecordHeader(data, pos);
      if (r.kind === 'blank') {
        this.skipUntil = at + this.segmentBytes - (at % this.segmentBytes);
        continue;
      }
      if (r.kind === 'invalid') throw new Error(`replicated bytes at offset ${at} are not a record: ${r.reason}`);
      this.onRecord(r, at);
      found++;
      pos += r.size;
    }
    this.carry = data.slice(pos);
    this.carryOffset = dataOffset + pos;
    return found;
  }
}
