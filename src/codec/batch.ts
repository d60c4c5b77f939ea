// Batches (§1.2): one producer batch becomes N consecutive ordinary records in one segment, with
// consecutive queue offsets and each record's own physical offset and body CRC.
// prepareBatch validates every message and the batch as a whole (same topic and queue, no
// transactions, RocketMQ's batch size rule); writeBatch lays the records out back to back.
// Invariant: a PreparedBatch's totalSizeBytes is the exact sum of its records' lengths.
import { assert } from '../util/assert.js';
import {
  illegal,
  isRecordError,
  prepareMessage,
  type MessageInput,
  type PreparedMessage,
  type RecordError,
  type RecordLimits,
} from './prepare-message.js';
import { SYSFLAG_TRANSACTION_MASK } from './record-layout.js';
import { writeRecord } from './write-record.js';

/**
 * Bytes one message takes in the batch body a RocketMQ client sends (`MessageDecoder.encodeMessage`:
 * TOTALSIZE, MAGIC, BODYCRC, FLAG, BODY LENGTH, body, PROPERTIES LENGTH, properties).
 * RocketMQ rejects a batch whose encoded body exceeds maxMessageSize; we apply the same rule.
 */
const CLIENT_BATCH_OVERHEAD_BYTES = 4 + 4 + 4 + 4 + 4 + 2;

export class PreparedBatch {
  constructor(
    readonly messages: readonly PreparedMessage[],
    /** Sum of the records' lengths: the bytes writeBatch writes. */
    readonly totalSizeBytes: number,
  ) {}
}

export function prepareBatch(inputs: readonly MessageInput[], limits: RecordLimits): PreparedBatch | RecordError {
  const count = inputs.length;
  if (count === 0) return illegal('batch is empty');
  // Each message takes at least CLIENT_BATCH_OVERHEAD_BYTES, which bounds the loop below.
  const maxCount = Math.floor(limits.maxMessageSizeBytes / CLIENT_BATCH_OVERHEAD_BYTES);
  if (count > maxCount) return illegal(`batch has ${count} messages; at most ${maxCount} fit in maxMessageSize`);
  const first = inputs[0]!;
  const messages: PreparedMessage[] = new Array<PreparedMessage>(count);
  let totalBytes = 0;
  let clientBatchBytes = 0;
  for (let i = 0; i < count; i++) {
    const input = inputs[i]!;
    const sameQueue = checkSameQueue(input, first);
    if (sameQueue !== null) return illegal(`batch message ${i}: ${sameQueue}`);
    const prepared = prepareMessage(input, limits);
    if (isRecordError(prepared)) return { status: prepared.status, reason: `batch message ${i}: ${prepared.reason}` };
    clientBatchBytes += CLIENT_BATCH_OVERHEAD_BYTES + prepared.body.length + prepared.propertiesBytes.length;
    if (clientBatchBytes > limits.maxMessageSizeBytes) {
      return illegal(
        `batch message ${i}: batch body reaches ${clientBatchBytes} bytes as a client encodes it; ` +
          `maxMessageSize is ${limits.maxMessageSizeBytes}`,
      );
    }
    messages[i] = prepared;
    totalBytes += prepared.totalSizeBytes;
  }
  return new PreparedBatch(messages, totalBytes);
}

/** Why `input` cannot join a batch that starts with `first`, or null. */
function checkSameQueue(input: MessageInput, first: MessageInput): string | null {
  if (input.topic !== first.topic) return `topic ${JSON.stringify(input.topic)} differs from the batch topic`;
  if (input.queueId !== first.queueId) {
    return `queueId ${input.queueId} differs from the batch queueId ${first.queueId}`;
  }
  if (((input.sysFlag ?? 0) & SYSFLAG_TRANSACTION_MASK) !== 0) return 'batches do not support transactions';
  if ((input.preparedTransactionOffset ?? 0) !== 0) return 'batches do not support transactions';
  return null;
}

/**
 * Writes the batch's records back to back from `position`: record i gets queue offset
 * firstQueueOffset + i and physical offset physicalOffset + (bytes before it). Returns the bytes written.
 */
export function writeBatch(
  target: Uint8Array,
  position: number,
  batch: PreparedBatch,
  firstQueueOffset: number,
  physicalOffset: number,
  storeTimestamp: number,
): number {
  if (position + batch.totalSizeBytes > target.length) {
    assert(false, `batch of ${batch.totalSizeBytes} bytes at ${position} overflows ${target.length}`);
  }
  const messages = batch.messages;
  let written = 0;
  for (let i = 0; i < messages.length; i++) {
    const at = written;
    const queueOffset = firstQueueOffset + i;
    written += writeRecord(target, position + at, messages[i]!, queueOffset, physicalOffset + at, storeTimestamp);
  }
  return written;
}
