// offsetMsgId: upper-case hex of store address + int32 port + int64 physical offset.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { offsetMsgId, parseOffsetMsgId } from '../../src/codec/offset-msg-id.js';
import { HOST_V6, STORE_HOST_V4 } from './record-fixtures.js';

describe('offsetMsgId', () => {
  it('has the RocketMQ layout (32 hex chars for IPv4)', () => {
    expect(offsetMsgId(STORE_HOST_V4, 0x1234)).toBe('0A0000020000' + '2A9F' + '0000000000001234');
    expect(offsetMsgId({ address: new Uint8Array([192, 168, 1, 10]), port: 10911 }, 2 ** 40 + 255)).toBe('C0A8010A00002A9F00000100000000FF');
  });

  it('is 56 hex chars for IPv6', () => {
    const id = offsetMsgId(HOST_V6, 7);
    expect(id).toHaveLength(56);
    expect(id.startsWith('20010DB8')).toBe(true);
    expect(id.endsWith('00002AA0' + '0000000000000007')).toBe(true);
  });

  it('round trips any host and offset', () => {
    const host = fc.record({
      address: fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
      port: fc.integer({ min: 0, max: 65535 }),
    });
    fc.assert(
      fc.property(host, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (storeHost, physicalOffset) => {
        const id = offsetMsgId(storeHost, physicalOffset);
        expect(id).toMatch(/^[0-9A-F]+$/);
        expect(parseOffsetMsgId(id)).toEqual({ storeHost, physicalOffset });
        expect(parseOffsetMsgId(id.toLowerCase())).toEqual({ storeHost, physicalOffset });
      }),
    );
  });

  it('parse returns null for anything that is not an id', () => {
    for (const bad of ['', 'XYZ', '0A000002', '0A0000020000ZZ9F0000000000001234', '0A00000200002A9F000000000000123', '0A00000200002A9FFFFFFFFFFFFFFFFF', '0A000002FFFFFFFF0000000000001234']) {
      expect(parseOffsetMsgId(bad)).toBe(null);
    }
    expect(parseOffsetMsgId('0A00000200002A9F001FFFFFFFFFFFFF')?.physicalOffset).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseOffsetMsgId('0A00000200002A9F0020000000000000')).toBe(null); // 2^53: not exact as a number
  });
});
