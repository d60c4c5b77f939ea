// checkRecordAt (recovery's scan: the structural check and the body CRC, decoding nothing else)
// classifies every byte string exactly as readRecord does: the same kind, size, reason and
// physical offset, for intact records, every truncation, every single flipped byte, and random
// garbage. So recovery, which now only checks, stops where the decoding scan stopped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRecordAt, readRecord } from '../../src/codec/read-record.js';
import { checkRecordBytes } from '../../src/codec/record-check.js';
import { encodeAlone, HOST_V6, knownInput } from './record-fixtures.js';

function same(bytes: Uint8Array, position: number, checkCrc: boolean): void {
  const full = readRecord(bytes, position, { checkCrc, readBody: false });
  const check = checkRecordAt(bytes, position, checkCrc);
  expect(check.kind).toBe(full.kind);
  expect(check.size).toBe(full.size);
  if (full.kind === 'invalid' && check.kind === 'invalid') expect(check.reason).toBe(full.reason);
  if (full.kind === 'message' && check.kind === 'message') expect(check.physicalOffset).toBe(full.msg.physicalOffset);
}

const records = [
  encodeAlone(knownInput()),
  encodeAlone(knownInput({ bornHost: HOST_V6, storeHost: HOST_V6 })),
  encodeAlone(knownInput({ topic: 'x'.repeat(300) })),
  encodeAlone(knownInput({ body: new Uint8Array(0), properties: {}, tags: '', keys: [] })),
];

describe('checkRecordAt agrees with readRecord', () => {
  it('on intact records, every truncation and every flipped byte, with and without the CRC', () => {
    for (const record of records) {
      for (const checkCrc of [true, false]) {
        same(record, 0, checkCrc);
        for (let length = 0; length < record.length; length++) same(record.subarray(0, length), 0, checkCrc);
        for (let i = 0; i < record.length; i++) {
          const damaged = Uint8Array.from(record);
          damaged[i] = damaged[i]! ^ 0x5a;
          same(damaged, 0, checkCrc);
        }
      }
    }
  });

  it('on random bytes and random positions', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.nat(500), fc.boolean(), (bytes, position, checkCrc) => {
        same(bytes, position % (bytes.length + 1), checkCrc);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkRecordBytes (the raw read path) names what getMessage names', () => {
  const record = encodeAlone(knownInput(), 42, 2 ** 40 + 5);
  const expected = { topic: 'TopicTest', topicBytes: new TextEncoder().encode('TopicTest'), queueId: 3, queueOffset: 42, physicalOffset: 2 ** 40 + 5 };

  it('accepts the record its entry names', () => {
    expect(checkRecordBytes(record, expected, true)).toBeNull();
  });

  it('refuses another topic, queue, queue offset or physical offset, with getMessage reasons', () => {
    const mismatch = /^ConsumeQueue entry \(size \d+\) points to a record of TopicTest\/3 queue offset 42 \(size \d+\)$/;
    expect(checkRecordBytes(record, { ...expected, topic: 'Other', topicBytes: new TextEncoder().encode('Other') }, true)).toMatch(mismatch);
    expect(checkRecordBytes(record, { ...expected, queueId: 4 }, true)).toMatch(mismatch);
    expect(checkRecordBytes(record, { ...expected, queueOffset: 41 }, true)).toMatch(mismatch);
    expect(checkRecordBytes(record, { ...expected, physicalOffset: 7 }, true)).toBe(`the record at CommitLog offset 7 says it is at ${2 ** 40 + 5}`);
  });

  it('refuses a record that is shorter than its entry says (the bytes after it are not part of it)', () => {
    const longer = new Uint8Array(record.length + 16);
    longer.set(record);
    expect(checkRecordBytes(longer, expected, true)).toMatch(/points to a record of TopicTest\/3 queue offset 42 \(size \d+\)/);
  });

  it('refuses a body CRC mismatch only when asked to check it', () => {
    const body = 88; // an IPv4 V1 record's body starts at 88 (record-layout.ts)
    expect(String.fromCharCode(record[body]!)).toBe('H'); // 'Hello RocketMQ'
    const flipped = Uint8Array.from(record);
    flipped[body] = flipped[body]! ^ 0x01;
    expect(checkRecordBytes(flipped, expected, true)).toMatch(/body CRC mismatch/);
    expect(checkRecordBytes(flipped, expected, false)).toBeNull();
  });
});
