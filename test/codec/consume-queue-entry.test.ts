// The 20-byte ConsumeQueue entry: layout, round trip, validity and the pre-blank filler.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CQ_ENTRY_BYTES,
  isPreBlankCqEntry,
  isValidCqEntry,
  PRE_BLANK_CQ_ENTRY,
  readCqEntry,
  writeCqEntry,
} from '../../src/codec/consume-queue-entry.js';

describe('ConsumeQueue entry', () => {
  it('is 20 bytes: int64 offset, int32 size, int64 tagsCode, big-endian', () => {
    expect(CQ_ENTRY_BYTES).toBe(20);
    const bytes = new Uint8Array(24).fill(0xaa);
    writeCqEntry(bytes, 2, 2 ** 40 + 1, 300, -2);
    const dv = new DataView(bytes.buffer, 2);
    expect(dv.getBigInt64(0)).toBe(2n ** 40n + 1n);
    expect(dv.getInt32(8)).toBe(300);
    expect(dv.getBigInt64(12)).toBe(-2n);
    expect(bytes[0]).toBe(0xaa);
    expect(bytes[22]).toBe(0xaa);
  });

  it('round trips offsets to 2^53-1 and int32 or timestamp tags codes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 45 })),
        fc.nat(100),
        (commitLogOffset, size, tagsCode, position) => {
          const bytes = new Uint8Array(position + CQ_ENTRY_BYTES);
          writeCqEntry(bytes, position, commitLogOffset, size, tagsCode);
          const entry = readCqEntry(bytes, position);
          expect(entry).toEqual({ commitLogOffset, size, tagsCode });
          expect(isValidCqEntry(entry)).toBe(true);
        },
      ),
    );
  });

  it('a zero-filled slot is invalid, so is a negative offset; the pre-blank filler is valid (§3.7)', () => {
    expect(isValidCqEntry(readCqEntry(new Uint8Array(20), 0))).toBe(false);
    expect(isValidCqEntry({ commitLogOffset: -1, size: 10, tagsCode: 0 })).toBe(false);
    expect(isValidCqEntry({ commitLogOffset: 0, size: 1, tagsCode: 0 })).toBe(true);
    expect(isValidCqEntry(PRE_BLANK_CQ_ENTRY)).toBe(true);
  });

  it('the pre-blank filler is offset 0, size 0x7FFFFFFF, tagsCode 0', () => {
    const bytes = new Uint8Array(20);
    writeCqEntry(bytes, 0, PRE_BLANK_CQ_ENTRY.commitLogOffset, PRE_BLANK_CQ_ENTRY.size, PRE_BLANK_CQ_ENTRY.tagsCode);
    expect([...bytes]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(isPreBlankCqEntry(readCqEntry(bytes, 0))).toBe(true);
    expect(isPreBlankCqEntry({ commitLogOffset: 0, size: 100, tagsCode: 0 })).toBe(false);
    expect(Object.isFrozen(PRE_BLANK_CQ_ENTRY)).toBe(true);
  });

  it('writing or reading outside the buffer is a bug (assert)', () => {
    expect(() => writeCqEntry(new Uint8Array(19), 0, 0, 1, 0)).toThrow(/invariant/);
    expect(() => readCqEntry(new Uint8Array(40), 21)).toThrow(/invariant/);
  });
});
