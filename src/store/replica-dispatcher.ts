// Slave side: CommitLog bytes arrive from the master in frames cut at arbitrary places. This
// finds the complete records in them, keeping a partial record in memory until the rest
// arrives, so the slave's log only ever holds whole records (and the blank filler to a segment
// end): a slave promoted mid-record must not leave half a record under its own new writes, and
// its acks then always name record boundaries. Two steps, so bad bytes are refused before they
// reach the log: `scan` only reads and says which bytes may be appended; `apply` takes the
// scan's new state once they are.
// Every complete record's body CRC is checked before it may be appended (a record with a valid
// header and a wrong body is refused, with its offset and both CRCs, and nothing of the chunk
// from that record on reaches the log).
import { readInt32 } from '../codec/bytes-be.js';
import { peekRecordHeader, type RecordHeader } from '../codec/read-record.js';
import { BLANK_MAGIC, END_FILE_MIN_BLANK_BYTES, MAGIC_V1, MAGIC_V2 } from '../codec/record-layout.js';

export interface ReplicaScan {
  readonly records: ReadonlyArray<{ header: RecordHeader; offset: number }>;
  /** Complete records (and blank filler) to append to the log, starting at `appendFrom`, in
   * pieces that follow each other (the carried record's head, then the chunk in place). */
  readonly appendFrom: number;
  readonly appendPieces: readonly Uint8Array[];
  readonly carry: Uint8Array;
  readonly carryOffset: number;
  readonly skipUntil: number;
}

const HEADER_BYTES = 8;
const CHECK_CRC = { checkCrc: true } as const;

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

  /** Where the end-of-file blank being received ends (its segment's end), or 0 when the log
   * does not end inside a blank's filler. */
  get fillerEnd(): number {
    return this.skipUntil > this.carryOffset ? this.skipUntil : 0;
  }

  /** Find the records completed by `bytes` at `offset`; changes nothing. Only the carried
   * partial record is copied (joined with the bytes that complete it); the rest of the chunk is
   * scanned where it is. */
  scan(offset: number, bytes: Uint8Array): ReplicaScan | { error: string } {
    if (offset !== this.nextOffset) return { error: `replica bytes at ${offset} do not continue ${this.nextOffset}` };
    const records: Array<{ header: RecordHeader; offset: number }> = [];
    const pieces: Uint8Array[] = [];
    let skipUntil = this.skipUntil;
    let rest = bytes;
    let restOffset = offset;
    if (this.carry.byteLength > 0) {
      const take = this.bytesCompletingCarry(bytes);
      const head = new Uint8Array(this.carry.byteLength + take);
      head.set(this.carry);
      head.set(bytes.subarray(0, take), this.carry.byteLength);
      const run = this.scanRun(head, this.carryOffset, skipUntil, records);
      if ('error' in run) return run;
      skipUntil = run.skipUntil;
      if (run.pos < head.byteLength) {
        // still incomplete: everything seen so far waits (take was all of `bytes`)
        return { records, appendFrom: this.carryOffset, appendPieces: run.pos > 0 ? [head.subarray(0, run.pos)] : [], carry: head.slice(run.pos), carryOffset: this.carryOffset + run.pos, skipUntil };
      }
      pieces.push(head);
      rest = bytes.subarray(take);
      restOffset = offset + take;
    }
    const run = this.scanRun(rest, restOffset, skipUntil, records);
    if ('error' in run) return run;
    if (run.pos > 0) pieces.push(rest.subarray(0, run.pos));
    return { records, appendFrom: this.carryOffset, appendPieces: pieces, carry: rest.slice(run.pos), carryOffset: restOffset + run.pos, skipUntil: run.skipUntil };
  }

  apply(scan: ReplicaScan): void {
    this.carry = scan.carry;
    this.carryOffset = scan.carryOffset;
    this.skipUntil = scan.skipUntil;
  }

  /** How many leading bytes of `bytes` finish the carried record: its header first, then the
   * rest of its TOTALSIZE (a blank needs only its header; a bad header only enough bytes for
   * scanRun to see and report it). */
  private bytesCompletingCarry(bytes: Uint8Array): number {
    const carry = this.carry;
    const have = carry.byteLength;
    if (have + bytes.byteLength < HEADER_BYTES) return bytes.byteLength;
    const header = new Uint8Array(HEADER_BYTES);
    header.set(carry.subarray(0, HEADER_BYTES));
    if (have < HEADER_BYTES) header.set(bytes.subarray(0, HEADER_BYTES - have), have);
    const size = readInt32(header, 0);
    const magic = readInt32(header, 4);
    const headerRest = Math.max(0, HEADER_BYTES - have);
    if (magic === BLANK_MAGIC || (magic !== MAGIC_V1 && magic !== MAGIC_V2) || size < END_FILE_MIN_BLANK_BYTES) return headerRest;
    return Math.min(bytes.byteLength, Math.max(headerRest, size - have));
  }

  /** Scan complete records in `data` (at `dataOffset`); returns how far they go. */
  private scanRun(data: Uint8Array, dataOffset: number, skipFrom: number, records: Array<{ header: RecordHeader; offset: number }>): { pos: number; skipUntil: number } | { error: string } {
    let skipUntil = skipFrom;
    let pos = 0;
    for (let guard = 0; pos < data.byteLength && guard <= data.byteLength; guard++) {
      const at = dataOffset + pos;
      if (at < skipUntil) {
        pos = Math.min(data.byteLength, skipUntil - dataOffset);
        continue;
      }
      if (pos + HEADER_BYTES > data.byteLength) break;
      const size = readInt32(data, pos);
      const magic = readInt32(data, pos + 4);
      if (magic !== MAGIC_V1 && magic !== MAGIC_V2 && magic !== BLANK_MAGIC) {
        return { error: `replicated bytes at offset ${at} have no record magic (0x${(magic >>> 0).toString(16)})` };
      }
      if (size < END_FILE_MIN_BLANK_BYTES || at + size > at - (at % this.segmentBytes) + this.segmentBytes) {
        return { error: `replicated record at offset ${at} has an impossible size ${size}` };
      }
      if (pos + size > data.byteLength && magic !== BLANK_MAGIC) break; // the rest of this record is still on its way
      const r = peekRecordHeader(data, pos, CHECK_CRC);
      if (r.kind === 'blank') {
        skipUntil = at + this.segmentBytes - (at % this.segmentBytes);
        continue;
      }
      if (r.kind === 'invalid') return { error: `replicated bytes at offset ${at} are not a record: ${r.reason}` };
      if (r.physicalOffset !== at) return { error: `replicated record at offset ${at} says it is at ${r.physicalOffset}` };
      records.push({ header: r, offset: at });
      pos += r.size;
    }
    return { pos, skipUntil };
  }
}
