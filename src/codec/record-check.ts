// Whether the bytes a ConsumeQueue entry points to are the record it names, without decoding the
// record into an object (the raw read path: brokers send record bytes as they are). The same
// checks getMessage makes on a decoded record: the structural check (record-frame.ts), the body
// CRC when asked, and that the record is the one the entry names (physical offset, topic, queue,
// queue offset, size), in getMessage's order and with its reasons. Never throws on bad bytes; a
// reason string says what is wrong.
import { crc32 } from '../io/crc.js';
import { readInt32, readInt64 } from './bytes-be.js';
import { FRAME_BLANK, FRAME_INVALID, frameRecord, RecordFrame } from './record-frame.js';
import { OFFSET_BODY_CRC, OFFSET_PHYSICAL_OFFSET, OFFSET_QUEUE_ID, OFFSET_QUEUE_OFFSET } from './record-layout.js';

/** What the entry says the record is. `topicBytes`: the topic's UTF-8 bytes. Not readonly: a
 * caller checking many records of one queue refills queueOffset and physicalOffset per record. */
export interface ExpectedRecord {
  topic: string;
  topicBytes: Uint8Array;
  queueId: number;
  queueOffset: number;
  physicalOffset: number;
}

const frame = new RecordFrame(); // single-threaded scratch, reused by every call
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Null when `record` (exactly one record's bytes) is the record `expected` names; else why not. */
export function checkRecordBytes(record: Uint8Array, expected: ExpectedRecord, checkCrc: boolean): string | null {
  const kind = frameRecord(record, 0, frame);
  if (kind === FRAME_BLANK) return 'an end-of-file blank is there, not a message';
  if (kind === FRAME_INVALID) return frame.reason;
  if (checkCrc) {
    const stored = readInt32(record, OFFSET_BODY_CRC);
    const computed = crc32(record.subarray(frame.bodyStart, frame.bodyStart + frame.bodyLength)) & 0x7fffffff;
    if (computed !== stored) return `body CRC mismatch: stored ${stored}, computed ${computed}`;
  }
  const physicalOffset = readInt64(record, OFFSET_PHYSICAL_OFFSET);
  if (physicalOffset !== expected.physicalOffset) {
    return `the record at CommitLog offset ${expected.physicalOffset} says it is at ${physicalOffset}`;
  }
  const queueId = readInt32(record, OFFSET_QUEUE_ID);
  const queueOffset = readInt64(record, OFFSET_QUEUE_OFFSET);
  const sameRecord = queueId === expected.queueId && queueOffset === expected.queueOffset && frame.size === record.byteLength;
  if (!sameRecord || !sameBytes(record, frame.topicStart, frame.topicLength, expected.topicBytes)) {
    const topic = utf8Decoder.decode(record.subarray(frame.topicStart, frame.topicStart + frame.topicLength));
    return `ConsumeQueue entry (size ${record.byteLength}) points to a record of ${topic}/${queueId} queue offset ${queueOffset} (size ${frame.size})`;
  }
  return null;
}

function sameBytes(source: Uint8Array, start: number, length: number, expected: Uint8Array): boolean {
  if (length !== expected.byteLength) return false;
  for (let i = 0; i < length; i++) if (source[start + i] !== expected[i]) return false;
  return true;
}
