// Batches (N consecutive records, consecutive queue offsets, own physical offsets) and the
// end-of-file blank.
import { describe, expect, it } from 'vitest';
import { prepareBatch, PreparedBatch, writeBatch } from '../../src/codec/batch.js';
import { isRecordError, type MessageInput } from '../../src/codec/prepare-message.js';
import { peekRecordHeader, readRecord } from '../../src/codec/read-record.js';
import { writeBlank } from '../../src/codec/write-record.js';
import { ascii, expectError, knownInput, LIMITS } from './record-fixtures.js';

const CHECKED = { checkCrc: true, readBody: true };

function batchInputs(count: number): MessageInput[] {
  return Array.from({ length: count }, (_, i) => knownInput({ body: ascii(`message ${i} `.repeat(i + 1)), keys: `key-${i}` }));
}

describe('batch', () => {
  it('N records read back consecutively with consecutive queue offsets and their own physical offsets', () => {
    const batch = prepareBatch(batchInputs(5), LIMITS);
    if (isRecordError(batch)) throw new Error(batch.reason);
    expect(batch).toBeInstanceOf(PreparedBatch);
    const start = 100;
    const segmentBase = 1_073_741_824 * 3;
    const buffer = new Uint8Array(start + batch.totalSizeBytes + 16);
    const written = writeBatch(buffer, start, batch, 1000, segmentBase + start, 1_700_000_000_000);
    expect(written).toBe(batch.totalSizeBytes);
    expect(written).toBe(batch.messages.reduce((sum, m) => sum + m.totalSizeBytes, 0));

    let position = start;
    for (let i = 0; i < 5; i++) {
      const read = readRecord(buffer, position, CHECKED);
      if (read.kind !== 'message') throw new Error(JSON.stringify(read));
      expect(read.msg.queueOffset).toBe(1000 + i);
      expect(read.msg.physicalOffset).toBe(segmentBase + position);
      expect(read.msg.keys).toEqual([`key-${i}`]);
      expect(Buffer.from(read.msg.body!).toString()).toBe(`message ${i} `.repeat(i + 1));
      expect(read.msg.preparedTransactionOffset).toBe(0);
      position += read.size;
    }
    expect(position).toBe(start + written);
    expect(readRecord(buffer, position, CHECKED).kind).toBe('invalid'); // zeros after the batch
  });

  it('names the index of a bad message', () => {
    const inputs = batchInputs(4);
    inputs[2] = knownInput({ topic: inputs[0]!.topic, body: new Uint8Array(5_000_000) });
    expectError(prepareBatch(inputs, LIMITS), 'MESSAGE_ILLEGAL', /^batch message 2: body is 5000000 bytes/);
    const props = batchInputs(3);
    props[1] = knownInput({ properties: { big: 'x'.repeat(40_000) } });
    expectError(prepareBatch(props, LIMITS), 'PROPERTIES_SIZE_EXCEEDED', /^batch message 1: properties are/);
  });

  it('requires one topic and queue, no transactions, and a non-empty batch', () => {
    expectError(prepareBatch([], LIMITS), 'MESSAGE_ILLEGAL', /batch is empty/);
    const otherTopic = batchInputs(3);
    otherTopic[1] = knownInput({ topic: 'Other' });
    expectError(prepareBatch(otherTopic, LIMITS), 'MESSAGE_ILLEGAL', /^batch message 1: topic "Other" differs/);
    const otherQueue = batchInputs(3);
    otherQueue[2] = knownInput({ queueId: 9 });
    expectError(prepareBatch(otherQueue, LIMITS), 'MESSAGE_ILLEGAL', /^batch message 2: queueId 9 differs/);
    const transactional = batchInputs(2);
    transactional[1] = knownInput({ sysFlag: 0x4 });
    expectError(prepareBatch(transactional, LIMITS), 'MESSAGE_ILLEGAL', /^batch message 1: batches do not support transactions/);
  });

  it('applies RocketMQ batch size rule: the client-encoded batch must fit in maxMessageSize', () => {
    const limits = { maxMessageSizeBytes: 1000 };
    const inputs = Array.from({ length: 3 }, () => knownInput({ body: new Uint8Array(400), properties: {}, tags: '', keys: [] }));
    expectError(prepareBatch(inputs, limits), 'MESSAGE_ILLEGAL', /^batch message 2: batch body reaches 1266 bytes/);
    expect(isRecordError(prepareBatch(inputs.slice(0, 2), limits))).toBe(false);
    const tooMany = Array.from({ length: 100 }, () => knownInput({ body: new Uint8Array(0) }));
    expectError(prepareBatch(tooMany, limits), 'MESSAGE_ILLEGAL', /batch has 100 messages; at most 45 fit/);
  });
});

describe('end-of-file blank', () => {
  it('round trips: TOTALSIZE = bytes left in the segment, BLANK_MAGIC, rest untouched', () => {
    const segment = new Uint8Array(4096).fill(0xee);
    const position = 4096 - 300;
    writeBlank(segment, position, 300);
    expect([...segment.subarray(position, position + 8)]).toEqual([0, 0, 1, 44, 0xcb, 0xd4, 0x31, 0x94]);
    expect(segment[position + 8]).toBe(0xee);
    expect(readRecord(segment, position, CHECKED)).toEqual({ kind: 'blank', size: 300 });
    expect(peekRecordHeader(segment, position)).toEqual({ kind: 'blank', size: 300 });
  });

  it('the minimum 8-byte blank reads back; smaller blanks are a bug (assert)', () => {
    const segment = new Uint8Array(8);
    writeBlank(segment, 0, 8);
    expect(readRecord(segment, 0, CHECKED)).toEqual({ kind: 'blank', size: 8 });
    expect(() => writeBlank(segment, 0, 7)).toThrow(/invariant/);
    expect(() => writeBlank(segment, 1, 8)).toThrow(/invariant/);
  });
});
