// One ConsumeQueue entry (§4.1), 20 bytes, big-endian:
//
// | off | field           | width | meaning                                            |
// |-----|-----------------|-------|----------------------------------------------------|
// |   0 | commitLogOffset | int64 | physical offset of the record in the CommitLog     |
// |   8 | size            | int32 | TOTALSIZE of the record                            |
// |  12 | tagsCode        | int64 | tags hash (tags-code.ts) or deliver time (delay)   |
//
// Entry i of a queue lives at CQ byte offset i * 20. An entry is valid iff commitLogOffset >= 0 and
// size > 0 (§3.7), so a zero-filled slot is invalid. int64 fields are JS numbers, exact to 2^53
// (ConsumeQueueExt addresses, near Long.MIN_VALUE, are not representable and not supported).
import { assert } from '../util/assert.js';
import { readInt32, readInt64, writeInt32, writeInt64 } from './bytes-be.js';

export const CQ_ENTRY_BYTES = 20;

export interface CqEntry {
  readonly commitLogOffset: number;
  readonly size: number;
  readonly tagsCode: number;
}

/** Filler for the slots before the first real entry of a queue's first CQ file (`fillPreBlank`). */
export const PRE_BLANK_CQ_ENTRY: CqEntry = Object.freeze({ commitLogOffset: 0, size: 0x7fffffff, tagsCode: 0 });

export function writeCqEntry(
  target: Uint8Array,
  position: number,
  commitLogOffset: number,
  size: number,
  tagsCode: number,
): void {
  if (position < 0 || position + CQ_ENTRY_BYTES > target.length) {
    assert(false, `CQ entry at ${position} overflows ${target.length}`);
  }
  writeInt64(target, position, commitLogOffset);
  writeInt32(target, position + 8, size);
  writeInt64(target, position + 12, tagsCode);
}

/** Reads the entry at `position`; the caller ensures 20 bytes are there. */
export function readCqEntry(source: Uint8Array, position: number): CqEntry {
  if (position < 0 || position + CQ_ENTRY_BYTES > source.length) {
    assert(false, `CQ entry at ${position} is past ${source.length}`);
  }
  return {
    commitLogOffset: readInt64(source, position),
    size: readInt32(source, position + 8),
    tagsCode: readInt64(source, position + 12),
  };
}

export function isValidCqEntry(entry: CqEntry): boolean {
  return entry.commitLogOffset >= 0 && entry.size > 0;
}

export function isPreBlankCqEntry(entry: CqEntry): boolean {
  return entry.commitLogOffset === 0 && entry.size === PRE_BLANK_CQ_ENTRY.size && entry.tagsCode === 0;
}
