// The term-start marker record (docs/ON_DISK_FORMAT.md, "DLedger mode"): an ordinary CommitLog
// record of the reserved topic RMQ_SYS_DLEDGER_TERM, queueId 0, body = term (int64 BE) + the
// leader's member id (UTF-8), property DLEDGER_TERM=<term>. The dispatcher never indexes it
// (store/system-topics.ts), so consumers never see it.
import { readInt64, writeInt64 } from '../codec/bytes-be.js';
import { frameRecord, FRAME_MESSAGE, RecordFrame } from '../codec/record-frame.js';
import { DLEDGER_TERM_PROPERTY, DLEDGER_TERM_TOPIC } from '../store/system-topics.js';
import type { PutMessageInput } from '../store/statuses.js';

const TOPIC_BYTES = new TextEncoder().encode(DLEDGER_TERM_TOPIC);

export function markerInput(term: number, memberId: string): PutMessageInput {
  const id = new TextEncoder().encode(memberId);
  const body = new Uint8Array(8 + id.length);
  writeInt64(body, 0, term);
  body.set(id, 8);
  return { topic: DLEDGER_TERM_TOPIC, queueId: 0, body, properties: { [DLEDGER_TERM_PROPERTY]: String(term) } };
}

/** The term and leader of a marker record's bytes, or null when the record is not a marker. */
export function parseMarker(record: Uint8Array, frame: RecordFrame = new RecordFrame()): { term: number; leaderId: string } | null {
  if (frameRecord(record, 0, frame) !== FRAME_MESSAGE) return null;
  if (frame.topicLength !== TOPIC_BYTES.length) return null;
  for (let i = 0; i < TOPIC_BYTES.length; i++) if (record[frame.topicStart + i] !== TOPIC_BYTES[i]) return null;
  if (frame.bodyLength < 8) return null;
  const term = readInt64(record, frame.bodyStart);
  const leaderId = new TextDecoder().decode(record.subarray(frame.bodyStart + 8, frame.bodyStart + frame.bodyLength));
  return Number.isSafeInteger(term) && term >= 1 ? { term, leaderId } : null;
}
