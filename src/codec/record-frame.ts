// Structural check of one CommitLog record (RocketMQ `checkMessageAndReturnSize`, minus CRC and
// property parsing): reads TOTALSIZE and MAGIC, then walks the length fields and records where
// each variable-width part starts. Never reads outside [position, position + TOTALSIZE) nor past
// source.length, never throws on bad bytes. Field order: the table in record-layout.ts.
// Outcomes: FRAME_MESSAGE (all lengths consistent and add up to TOTALSIZE, no NUL in the topic
// and non-empty properties ending with 0x02: see "torn" below), FRAME_BLANK
// (end-of-file blank, TOTALSIZE >= 8), FRAME_INVALID (frame.reason says why).
import { readInt16, readInt32, readInt8 } from './bytes-be.js';
import {
  BLANK_MAGIC,
  END_FILE_MIN_BLANK_BYTES,
  HOST_IPV4_BYTES,
  HOST_IPV6_BYTES,
  MAGIC_V1,
  MAGIC_V2,
  MIN_RECORD_BYTES,
  OFFSET_BORN_HOST,
  OFFSET_SYSFLAG,
  SYSFLAG_BORNHOST_V6,
  SYSFLAG_STOREHOST_V6,
} from './record-layout.js';

const PROPERTY_SEPARATOR_BYTE = 0x02;

export const FRAME_MESSAGE = 0;
export const FRAME_BLANK = 1;
export const FRAME_INVALID = 2;
export type FrameKind = typeof FRAME_MESSAGE | typeof FRAME_BLANK | typeof FRAME_INVALID;

/** Where the parts of one record are; absolute positions in the source. Reused between calls. */
export class RecordFrame {
  kind: FrameKind = FRAME_INVALID;
  reason = '';
  /** TOTALSIZE as read (-1 when fewer than 4 bytes were there). */
  size = -1;
  magic = 0;
  sysFlag = 0;
  bornHostPos = 0;
  bornAddressBytes = 0;
  storeTimestampPos = 0;
  storeHostPos = 0;
  storeAddressBytes = 0;
  reconsumeTimesPos = 0;
  bodyStart = 0;
  bodyLength = 0;
  topicStart = 0;
  topicLength = 0;
  propertiesStart = 0;
  propertiesLength = 0;
}

function invalid(frame: RecordFrame, reason: string): FrameKind {
  frame.kind = FRAME_INVALID;
  frame.reason = reason;
  return FRAME_INVALID;
}

/** Fills `frame` for the record at `position`; returns frame.kind. */
export function frameRecord(source: Uint8Array, position: number, frame: RecordFrame): FrameKind {
  const available = source.length - position;
  frame.size = available >= 4 ? readInt32(source, position) : -1;
  if (available < END_FILE_MIN_BLANK_BYTES) {
    return invalid(frame, `truncated: ${Math.max(available, 0)} bytes at ${position}; a record header needs 8`);
  }
  const size = frame.size;
  const magic = readInt32(source, position + 4);
  frame.magic = magic;
  if (magic === BLANK_MAGIC) {
    if (size < END_FILE_MIN_BLANK_BYTES) return invalid(frame, `end-of-file blank with TOTALSIZE ${size} (< 8)`);
    frame.kind = FRAME_BLANK;
    return FRAME_BLANK;
  }
  if (magic !== MAGIC_V1 && magic !== MAGIC_V2) {
    const hex = (magic >>> 0).toString(16).padStart(8, '0');
    return invalid(frame, `unknown magic 0x${hex} at ${position}${magic === 0 ? ' (zeroed or never written)' : ''}`);
  }
  if (size < MIN_RECORD_BYTES) return invalid(frame, `TOTALSIZE ${size} is below the ${MIN_RECORD_BYTES}-byte minimum`);
  if (size > available) {
    return invalid(frame, `truncated: TOTALSIZE ${size} but only ${available} bytes at ${position}`);
  }
  return frameFields(source, position, position + size, frame);
}

/** Walks the fields of a V1/V2 record whose TOTALSIZE bytes are all in `source`. */
function frameFields(source: Uint8Array, start: number, end: number, frame: RecordFrame): FrameKind {
  const sysFlag = readInt32(source, start + OFFSET_SYSFLAG);
  frame.sysFlag = sysFlag;
  const bornHostBytes = sysFlag & SYSFLAG_BORNHOST_V6 ? HOST_IPV6_BYTES : HOST_IPV4_BYTES;
  const storeHostBytes = sysFlag & SYSFLAG_STOREHOST_V6 ? HOST_IPV6_BYTES : HOST_IPV4_BYTES;
  frame.bornHostPos = start + OFFSET_BORN_HOST;
  frame.bornAddressBytes = bornHostBytes - 4;
  frame.storeTimestampPos = frame.bornHostPos + bornHostBytes;
  frame.storeHostPos = frame.storeTimestampPos + 8;
  frame.storeAddressBytes = storeHostBytes - 4;
  frame.reconsumeTimesPos = frame.storeHostPos + storeHostBytes;
  const bodyLengthPos = frame.reconsumeTimesPos + 12;
  // Everything up to and including BODY LENGTH, plus the smallest topic and properties fields.
  if (bodyLengthPos + 4 + 1 + 2 > end) return invalid(frame, `TOTALSIZE ${end - start} is too small for IPv6 hosts`);
  const bodyLength = readInt32(source, bodyLengthPos);
  frame.bodyStart = bodyLengthPos + 4;
  frame.bodyLength = bodyLength;
  if (bodyLength < 0 || frame.bodyStart + bodyLength > end) {
    return invalid(frame, `BODY LENGTH ${bodyLength} does not fit in TOTALSIZE ${end - start}`);
  }
  const topicLengthPos = frame.bodyStart + bodyLength;
  const v2 = frame.magic === MAGIC_V2;
  const topicLengthBytes = v2 ? 2 : 1;
  if (topicLengthPos + topicLengthBytes > end) return invalid(frame, `TOPIC LENGTH is past TOTALSIZE ${end - start}`);
  const topicLength = v2 ? readInt16(source, topicLengthPos) : readInt8(source, topicLengthPos);
  frame.topicStart = topicLengthPos + topicLengthBytes;
  frame.topicLength = topicLength;
  if (topicLength < 0 || frame.topicStart + topicLength + 2 > end) {
    return invalid(frame, `TOPIC LENGTH ${topicLength} does not fit in TOTALSIZE ${end - start}`);
  }
  const propertiesLengthPos = frame.topicStart + topicLength;
  const propertiesLength = readInt16(source, propertiesLengthPos);
  frame.propertiesStart = propertiesLengthPos + 2;
  frame.propertiesLength = propertiesLength;
  if (propertiesLength < 0) return invalid(frame, `PROPERTIES LENGTH ${propertiesLength} is negative`);
  const computedEnd = frame.propertiesStart + propertiesLength;
  if (computedEnd !== end) {
    return invalid(frame, `field lengths add up to ${computedEnd - start} bytes but TOTALSIZE is ${end - start}`);
  }
  // A write cut short (a process killed inside a multi-page pwrite) leaves zeros from a page
  // boundary to the end of the record; the body CRC does not cover the topic and properties, so
  // look for those zeros there: a topic never holds a NUL (RocketMQ's topic charset), and
  // non-empty properties end with 0x02 (every pair does, RocketMQ's format). A NUL inside a
  // property value is legal (Java strings may hold one) and is not taken for a tear.
  if (hasNul(source, frame.topicStart, frame.topicStart + topicLength)) return invalid(frame, `torn record: the topic has a NUL byte`);
  if (propertiesLength > 0 && source[end - 1] !== PROPERTY_SEPARATOR_BYTE) {
    return invalid(frame, `torn record: the properties do not end with 0x02`);
  }
  frame.kind = FRAME_MESSAGE;
  return FRAME_MESSAGE;
}

/** Whether source[from, to) holds a 0 byte (a plain loop: no view allocated per record). */
function hasNul(source: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (source[i] === 0) return true;
  return false;
}
