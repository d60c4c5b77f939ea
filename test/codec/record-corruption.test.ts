// Damaged bytes: truncations, flipped bits, zeros and garbage are classified 'invalid' (or at
// worst something else) but never throw, as recovery and dispatch require (§3.4). A torn write
// (zeros from a byte of the topic or properties to the end) is invalid even where the body CRC
// cannot see it.
import { randomFillSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { peekRecordHeader, readRecord } from '../../src/codec/read-record.js';
import { FRAME_MESSAGE, frameRecord, RecordFrame } from '../../src/codec/record-frame.js';
import { BLANK_MAGIC, MAGIC_V1, MAGIC_V2 } from '../../src/codec/record-layout.js';
import { encodeAlone, HOST_V6, knownInput } from './record-fixtures.js';

const CHECKED = { checkCrc: true, readBody: true };
const UNCHECKED = { checkCrc: false, readBody: true };

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Positions of the length fields of an IPv4 V1 record with body length n and topic length t. */
function lengthFieldBytes(n: number, t: number): Record<string, number[]> {
  return {
    TOTALSIZE: [0, 1, 2, 3],
    'BODY LENGTH': [84, 85, 86, 87],
    'TOPIC LENGTH': [88 + n],
    'PROPERTIES LENGTH': [89 + n + t, 90 + n + t],
  };
}

const records = {
  ipv4: encodeAlone(knownInput()),
  ipv6: encodeAlone(knownInput({ bornHost: HOST_V6, storeHost: HOST_V6 })),
  v2: encodeAlone(knownInput({ topic: 'x'.repeat(300) })),
  emptyBody: encodeAlone(knownInput({ body: new Uint8Array(0), properties: {}, tags: '', keys: [] })),
};

describe('truncation', () => {
  for (const [name, record] of Object.entries(records)) {
    it(`every proper prefix of the ${name} record is invalid, for read and peek`, () => {
      expect(readRecord(record, 0, CHECKED).kind).toBe('message');
      for (let length = 0; length < record.length; length++) {
        const prefix = record.subarray(0, length);
        const read = readRecord(prefix, 0, CHECKED);
        expect(read.kind, `prefix of ${length} bytes`).toBe('invalid');
        expect(read.kind === 'invalid' && read.reason).toMatch(/truncated/);
        expect(peekRecordHeader(prefix, 0).kind).toBe('invalid');
      }
    });
  }

  it('a position past the end is invalid, not an exception', () => {
    const record = records.ipv4;
    expect(readRecord(record, record.length, CHECKED).kind).toBe('invalid');
    expect(readRecord(record, record.length + 100, CHECKED).kind).toBe('invalid');
  });
});

describe('bit flips', () => {
  it('any single flipped bit in the body fails the CRC check (and passes without it)', () => {
    const record = records.ipv4;
    const bodyLength = knownInput().body.length;
    for (let i = 88; i < 88 + bodyLength; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = record.slice();
        damaged[i] = damaged[i]! ^ (1 << bit);
        const read = readRecord(damaged, 0, CHECKED);
        expect(read.kind === 'invalid' && read.reason).toMatch(/body CRC mismatch/);
        expect(peekRecordHeader(damaged, 0, { checkCrc: true }).kind).toBe('invalid');
        expect(readRecord(damaged, 0, UNCHECKED).kind).toBe('message');
      }
    }
  });

  it('random multi-byte damage in a random 1..64 KiB body fails the CRC check', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 * 1024 }), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 255 }), (length, spots, xor) => {
        const record = encodeAlone(knownInput({ body: randomFillSync(new Uint8Array(length)) }));
        for (const spot of spots) record[88 + (spot % length)] = record[88 + (spot % length)]! ^ xor;
        const flippedTwiceBack = new Set(spots.map((s) => s % length)).size !== spots.length;
        const read = readRecord(record, 0, CHECKED);
        if (!flippedTwiceBack) expect(read.kind).toBe('invalid');
      }),
      { numRuns: 100 },
    );
  });

  it('any single flipped bit in a length field makes the record invalid, even without the CRC check', () => {
    const input = knownInput();
    const record = records.ipv4;
    const fields = lengthFieldBytes(input.body.length, input.topic.length);
    for (const [field, positions] of Object.entries(fields)) {
      for (const i of positions) {
        for (let bit = 0; bit < 8; bit++) {
          const damaged = record.slice();
          damaged[i] = damaged[i]! ^ (1 << bit);
          const read = readRecord(damaged, 0, UNCHECKED);
          expect(read.kind, `${field} byte ${i} bit ${bit}`).toBe('invalid');
          expect(peekRecordHeader(damaged, 0).kind).toBe('invalid');
        }
      }
    }
  });

  it('a flipped IPv6 sysflag bit shifts every later field and is caught', () => {
    for (const record of [records.ipv4, records.ipv6]) {
      for (const bit of [0x10, 0x20]) {
        const damaged = record.slice();
        view(damaged).setInt32(36, view(damaged).getInt32(36) ^ bit);
        expect(readRecord(damaged, 0, UNCHECKED).kind).toBe('invalid');
      }
    }
  });

  it('a flipped magic byte is reported as an unknown magic', () => {
    for (let i = 4; i < 8; i++) {
      const damaged = records.ipv4.slice();
      damaged[i] = damaged[i]! ^ 0x40;
      const read = readRecord(damaged, 0, CHECKED);
      expect(read.kind === 'invalid' && read.reason).toMatch(/unknown magic/);
    }
  });

  it('negative body, topic and properties lengths are invalid', () => {
    const n = knownInput().body.length;
    const negativeBody = records.ipv4.slice();
    view(negativeBody).setInt32(84, -1);
    expect(readRecord(negativeBody, 0, UNCHECKED)).toMatchObject({ kind: 'invalid', reason: /BODY LENGTH -1/ });
    const negativeTopic = records.ipv4.slice();
    view(negativeTopic).setInt8(88 + n, -5);
    expect(readRecord(negativeTopic, 0, UNCHECKED)).toMatchObject({ kind: 'invalid', reason: /TOPIC LENGTH -5/ });
    const negativeProperties = records.ipv4.slice();
    view(negativeProperties).setInt16(89 + n + 9, -2);
    expect(readRecord(negativeProperties, 0, UNCHECKED)).toMatchObject({ kind: 'invalid', reason: /PROPERTIES LENGTH -2/ });
    const negativeTotal = records.ipv4.slice();
    view(negativeTotal).setInt32(0, -100);
    expect(readRecord(negativeTotal, 0, UNCHECKED)).toMatchObject({ kind: 'invalid', size: -100 });
  });

  it('a V1/V2 magic swap is caught (the topic length field changes width)', () => {
    const asV2 = records.ipv4.slice();
    view(asV2).setInt32(4, MAGIC_V2);
    expect(readRecord(asV2, 0, UNCHECKED).kind).toBe('invalid');
    const asV1 = records.v2.slice();
    view(asV1).setInt32(4, MAGIC_V1);
    expect(readRecord(asV1, 0, UNCHECKED).kind).toBe('invalid');
  });
});

describe('zeros and garbage', () => {
  it('zero-filled space reads as invalid (unknown magic 0) at every length', () => {
    for (const length of [0, 1, 4, 7, 8, 91, 4096]) {
      const read = readRecord(new Uint8Array(length), 0, CHECKED);
      expect(read.kind).toBe('invalid');
      if (length >= 8) expect(read.kind === 'invalid' && read.reason).toMatch(/unknown magic 0x00000000/);
      expect(peekRecordHeader(new Uint8Array(length), 0).kind).toBe('invalid');
    }
  });

  it('a blank with TOTALSIZE below 8 is invalid', () => {
    const bytes = new Uint8Array(16);
    view(bytes).setInt32(0, 4);
    view(bytes).setInt32(4, BLANK_MAGIC);
    expect(readRecord(bytes, 0, CHECKED).kind).toBe('invalid');
  });

  it('random bytes never throw, at any position', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(700), (bytes, position) => {
        const read = readRecord(bytes, position, CHECKED);
        expect(['message', 'blank', 'invalid']).toContain(read.kind);
        expect(['message', 'blank', 'invalid']).toContain(peekRecordHeader(bytes, position).kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('garbage behind a plausible header (valid magic, TOTALSIZE within the buffer) never throws', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 91, maxLength: 700 }),
        fc.constantFrom(MAGIC_V1, MAGIC_V2, BLANK_MAGIC),
        fc.nat(700),
        fc.boolean(),
        (bytes, magic, totalSize, checkCrc) => {
          view(bytes).setInt32(0, Math.min(totalSize, bytes.length));
          view(bytes).setInt32(4, magic);
          const read = readRecord(bytes, 0, { checkCrc, readBody: true });
          if (read.kind === 'message') expect(read.size).toBe(Math.min(totalSize, bytes.length));
          peekRecordHeader(bytes, 0, { checkCrc });
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random damage to a valid record never throws', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(records)), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (record, edits) => {
        const damaged = record.slice();
        for (const [at, value] of edits) damaged[at % damaged.length] = value;
        readRecord(damaged, 0, CHECKED);
        readRecord(damaged, 0, UNCHECKED);
        peekRecordHeader(damaged, 0);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('torn writes (zeros from some byte to the end, as a write cut short leaves them)', () => {
  for (const [name, record] of Object.entries(records)) {
    it(`the ${name} record with its tail zeroed from any byte of the topic on is invalid, even without the CRC check`, () => {
      const frame = new RecordFrame();
      expect(frameRecord(record, 0, frame)).toBe(FRAME_MESSAGE);
      for (let from = frame.topicStart; from < record.length; from++) {
        const torn = record.slice();
        torn.fill(0, from);
        if (torn.every((b, i) => b === record[i])) continue; // those bytes were zero already
        const read = readRecord(torn, 0, UNCHECKED);
        expect(read.kind, `${name} zeroed from byte ${from} of ${record.length}`).toBe('invalid');
      }
    });
  }
});
