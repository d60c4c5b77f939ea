// Property-based round trip: any valid MessageInput, written with any offsets at any position,
// reads back field for field (readRecord) and as the same ConsumeQueue header (peekRecordHeader).
import { randomFillSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostAddress, MessageInput } from '../../src/codec/prepare-message.js';
import { peekRecordHeader, readRecord } from '../../src/codec/read-record.js';
import { MAGIC_V1, MAGIC_V2 } from '../../src/codec/record-layout.js';
import { tagsCode } from '../../src/codec/tags-code.js';
import { writeRecord } from '../../src/codec/write-record.js';
import { prepareOk, sameBytes } from './record-fixtures.js';

const TOPIC_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-%|'];
const topicArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...TOPIC_CHARS), minLength: 1, maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...TOPIC_CHARS), minLength: 120, maxLength: 400 }),
);

/** Strings that are legal property text: well-formed, no 0x01/0x02; mixes ASCII and full Unicode. */
const textArb = (minLength: number, maxLength: number) =>
  fc
    .string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '0', ' ', '=', '\u0000', '\u00e9'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength, maxLength })
    .filter((s) => !s.includes('\u0001') && !s.includes('\u0002') && !/\p{Cs}/u.test(s));

/** A key for the KEYS array: no space, nothing Java's trim would strip. */
const keyArb = textArb(1, 12).filter((s) => [...s].every((c) => c.charCodeAt(0) > 0x20));

const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.integer({ min: 0, max: 64 * 1024 }).map((length) => randomFillSync(new Uint8Array(length))),
);

const hostArb: fc.Arbitrary<HostAddress> = fc.record({
  address: fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
  port: fc.integer({ min: 0, max: 65535 }),
});

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const offset = fc.oneof(fc.integer({ min: 0, max: 1 << 30 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

const inputArb: fc.Arbitrary<MessageInput> = fc.record(
  {
    topic: topicArb,
    queueId: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    body: bodyArb,
    flag: int32,
    tags: textArb(0, 20),
    keys: fc.oneof(textArb(0, 30), fc.array(keyArb, { maxLength: 4 })),
    properties: fc.dictionary(textArb(1, 16), textArb(1, 40), { maxKeys: 8 }),
    sysFlag: int32,
    bornTimestamp: fc.maxSafeInteger(),
    bornHost: hostArb,
    storeHost: hostArb,
    reconsumeTimes: int32,
    preparedTransactionOffset: offset,
  },
  { requiredKeys: ['topic', 'queueId', 'body', 'bornTimestamp', 'bornHost', 'storeHost'] },
);

/** The properties a reader must see: input properties, overridden by non-empty tags/keys. */
function expectedProperties(input: MessageInput): Map<string, string> {
  const map = new Map(Object.entries(input.properties ?? {}));
  if (input.tags) map.set('TAGS', input.tags);
  const keys = typeof input.keys === 'string' ? input.keys : (input.keys ?? []).join(' ');
  if (keys !== '') map.set('KEYS', keys);
  return map;
}

describe('record round trip', () => {
  it('readRecord(writeRecord(x)) gives x back, at any position, touching only its bytes', () => {
    fc.assert(
      fc.property(inputArb, offset, offset, fc.maxSafeInteger(), fc.integer({ min: 0, max: 300 }), (input, queueOffset, physicalOffset, storeTimestamp, position) => {
        const prepared = prepareOk(input);
        const buffer = randomFillSync(new Uint8Array(position + prepared.totalSizeBytes + 50));
        const before = buffer.slice();
        const size = writeRecord(buffer, position, prepared, queueOffset, physicalOffset, storeTimestamp);
        expect(size).toBe(prepared.totalSizeBytes);
        expect(sameBytes(buffer.subarray(0, position), before.subarray(0, position))).toBe(true);
        expect(sameBytes(buffer.subarray(position + size), before.subarray(position + size))).toBe(true);

        const read = readRecord(buffer, position, { checkCrc: true, readBody: true });
        if (read.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(read)}`);
        const msg = read.msg;
        const ipv6Bits = (input.bornHost.address.length === 16 ? 0x10 : 0) | (input.storeHost.address.length === 16 ? 0x20 : 0);
        expect(read.size).toBe(size);
        expect(msg.totalSize).toBe(size);
        expect(msg.magic).toBe(input.topic.length > 127 ? MAGIC_V2 : MAGIC_V1);
        expect(msg.queueId).toBe(input.queueId);
        expect(msg.flag).toBe(input.flag ?? 0);
        expect(msg.queueOffset).toBe(queueOffset);
        expect(msg.physicalOffset).toBe(physicalOffset);
        expect(msg.sysFlag).toBe(((input.sysFlag ?? 0) & ~0x30) | ipv6Bits);
        expect(msg.bornTimestamp).toBe(input.bornTimestamp);
        expect(msg.bornHost).toEqual({ address: input.bornHost.address, port: input.bornHost.port });
        expect(msg.storeTimestamp).toBe(storeTimestamp);
        expect(msg.storeHost).toEqual({ address: input.storeHost.address, port: input.storeHost.port });
        expect(msg.reconsumeTimes).toBe(input.reconsumeTimes ?? 0);
        expect(msg.preparedTransactionOffset).toBe(input.preparedTransactionOffset ?? 0);
        expect(msg.body !== null && sameBytes(msg.body, input.body)).toBe(true);
        expect(msg.topic).toBe(input.topic);
        const properties = expectedProperties(input);
        expect(new Map(Object.entries(msg.properties))).toEqual(properties);
        expect(msg.tags).toBe(properties.get('TAGS') ?? null);
        expect(msg.keys).toEqual((properties.get('KEYS') ?? '').split(' ').filter((k) => k !== ''));

        const header = peekRecordHeader(buffer, position);
        expect(header).toEqual({
          kind: 'message',
          size,
          magic: msg.magic,
          physicalOffset,
          queueId: input.queueId,
          queueOffset,
          sysFlag: msg.sysFlag,
          storeTimestamp,
          topic: input.topic,
          tagsCode: tagsCode(properties.get('TAGS')),
        });
        expect(prepared.tagsCode).toBe(header.kind === 'message' ? header.tagsCode : NaN);
      }),
      { numRuns: 300 },
    );
  });

  it('readBody: false skips the body but still checks its CRC', () => {
    const prepared = prepareOk({
      topic: 'T', queueId: 0, body: new Uint8Array([1, 2, 3]), bornTimestamp: 0,
      bornHost: { address: new Uint8Array(4), port: 1 }, storeHost: { address: new Uint8Array(4), port: 2 },
    });
    const bytes = new Uint8Array(prepared.totalSizeBytes);
    writeRecord(bytes, 0, prepared, 0, 0, 0);
    const read = readRecord(bytes, 0, { checkCrc: true, readBody: false });
    expect(read.kind === 'message' && read.msg.body).toBe(null);
    bytes[88] = bytes[88]! ^ 0xff;
    expect(readRecord(bytes, 0, { checkCrc: true, readBody: false }).kind).toBe('invalid');
  });

  it('records written back to back read back in order', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { minLength: 1, maxLength: 8 }), (inputs) => {
        const prepared = inputs.map(prepareOk);
        const buffer = new Uint8Array(prepared.reduce((sum, p) => sum + p.totalSizeBytes, 0));
        let position = 0;
        prepared.forEach((p, i) => (position += writeRecord(buffer, position, p, i, 1000 + position, i)));
        position = 0;
        for (let i = 0; i < inputs.length; i++) {
          const read = readRecord(buffer, position, { checkCrc: true, readBody: true });
          if (read.kind !== 'message') throw new Error(JSON.stringify(read));
          expect(read.msg.topic).toBe(inputs[i]!.topic);
          expect(read.msg.physicalOffset).toBe(1000 + position);
          position += read.size;
        }
        expect(position).toBe(buffer.length);
      }),
      { numRuns: 50 },
    );
  });
});
