// Phase 2 of an append, run inside the writer's critical section: copy a PreparedMessage into the
// write buffer at a given position with its queue offset, physical offset and store timestamp;
// or write the end-of-file blank. Field order and widths: the table in record-layout.ts.
// Invariants: writes exactly m.totalSizeBytes bytes at [position, position + size) and nothing
// else; the caller guarantees that range is inside `target` (asserted). Asserts here build their
// message only on failure: a template string per call costs more than the whole header.
import { assert } from '../util/assert.js';
import { writeInt16, writeInt32, writeInt64 } from './bytes-be.js';
import { writeHost } from './host-address.js';
import type { PreparedMessage } from './prepare-message.js';
import { BLANK_MAGIC, END_FILE_MIN_BLANK_BYTES, MAGIC_V2 } from './record-layout.js';

/** Copies small arrays with a loop (cheaper than TypedArray.set below ~64 bytes). */
const SMALL_COPY_BYTES = 64;

/** Writes the record; returns its length (m.totalSizeBytes). */
export function writeRecord(
  target: Uint8Array,
  position: number,
  m: PreparedMessage,
  queueOffset: number,
  physicalOffset: number,
  storeTimestamp: number,
): number {
  const size = m.totalSizeBytes;
  if (position < 0 || position + size > target.length) {
    assert(false, `record of ${size} bytes at ${position} overflows ${target.length}`);
  }
  writeInt32(target, position, size); //                TOTALSIZE        @0
  writeInt32(target, position + 4, m.magic); //         MAGICCODE        @4
  writeInt32(target, position + 8, m.bodyCrc); //       BODYCRC          @8
  writeInt32(target, position + 12, m.queueId); //      QUEUEID          @12
  writeInt32(target, position + 16, m.flag); //         FLAG             @16
  writeInt64(target, position + 20, queueOffset); //    QUEUEOFFSET      @20
  writeInt64(target, position + 28, physicalOffset); // PHYSICALOFFSET   @28
  writeInt32(target, position + 36, m.sysFlag); //      SYSFLAG          @36
  writeInt64(target, position + 40, m.bornTimestamp); // BORNTIMESTAMP   @40
  let p = writeHost(target, position + 48, m.bornHost); // BORNHOST      @48
  writeInt64(target, p, storeTimestamp); //             STORETIMESTAMP   @56 (IPv4 born host)
  p = writeHost(target, p + 8, m.storeHost); //         STOREHOST        @64
  writeInt32(target, p, m.reconsumeTimes); //           RECONSUMETIMES   @72
  writeInt64(target, p + 4, m.preparedTransactionOffset); // PREPARED TX @76
  const body = m.body;
  writeInt32(target, p + 12, body.length); //           BODY LENGTH      @84
  p = copyBytes(target, p + 16, body); //               BODY             @88
  const topic = m.topicBytes;
  if (m.magic === MAGIC_V2) {
    writeInt16(target, p, topic.length); //             TOPIC LENGTH (V2: int16)
    p += 2;
  } else {
    target[p++] = topic.length; //                      TOPIC LENGTH (V1: int8)
  }
  p = copyBytes(target, p, topic); //                   TOPIC
  const properties = m.propertiesBytes;
  writeInt16(target, p, properties.length); //          PROPERTIES LENGTH
  p = copyBytes(target, p + 2, properties); //          PROPERTIES
  if (p - position !== size) assert(false, `wrote ${p - position} bytes for a record of ${size}`);
  return size;
}

/**
 * Writes the 8-byte end-of-file blank: TOTALSIZE = blankBytes (all bytes left in the segment
 * from `position`), MAGIC = BLANK_MAGIC. The rest of the segment is left as it is.
 */
export function writeBlank(target: Uint8Array, position: number, blankBytes: number): void {
  assert(
    Number.isInteger(blankBytes) && blankBytes >= END_FILE_MIN_BLANK_BYTES && blankBytes <= 0x7fffffff,
    `blank of ${blankBytes} bytes is below the ${END_FILE_MIN_BLANK_BYTES}-byte minimum or not an int32`,
  );
  if (position < 0 || position + END_FILE_MIN_BLANK_BYTES > target.length) {
    assert(false, `blank at ${position} overflows ${target.length}`);
  }
  writeInt32(target, position, blankBytes);
  writeInt32(target, position + 4, BLANK_MAGIC);
}

function copyBytes(target: Uint8Array, position: number, bytes: Uint8Array): number {
  const length = bytes.length;
  if (length > SMALL_COPY_BYTES) {
    target.set(bytes, position);
  } else {
    for (let i = 0; i < length; i++) target[position + i] = bytes[i]!;
  }
  return position + length;
}
