import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32c, crc32cTable, crc32Table } from '../../src/io/crc.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc', () => {
  it('crc32 is CRC-32/IEEE: check value and equality with zlib.crc32 on random inputs', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    for (const size of [0, 1, 3, 7, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 1024, 4095, 65_537, 1 << 20]) {
      const data = randomBytes(size + 3).subarray(3); // unaligned start
      expect(crc32(data)).toBe(zlib.crc32(data));
      expect(crc32Table(data)).toBe(zlib.crc32(data));
    }
  });

  it('crc32 continues from an initial value like zlib', () => {
    const data = randomBytes(10_000);
    const whole = crc32(data);
    expect(crc32(data.subarray(4321), crc32(data.subarray(0, 4321)))).toBe(whole);
  });

  it('crc32c matches the standard check value and the iSCSI test vectors', () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    for (const f of [crc32c, crc32cTable]) {
      expect(f(ascii('123456789'))).toBe(0xe3069283);
      expect(f(new Uint8Array(32))).toBe(0x8a9136aa);
      expect(f(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
      expect(f(ascending)).toBe(0x46dd794e);
    }
  });

  it('crc32c agrees with the table version on random inputs and incrementally', () => {
    for (const size of [0, 1, 5, 8, 9, 255, 256, 257, 8191, 8192, 8193, 100_000]) {
      const data = randomBytes(size + 1).subarray(1);
      expect(crc32c(data)).toBe(crc32cTable(data));
      const cut = size >> 1;
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(crc32cTable(data));
    }
  });
});
