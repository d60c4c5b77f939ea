// Golden layout: each field of a written record sits where the spec's §1.1 table says, checked
// with an independent DataView decoder, plus the length formula and the masked body CRC.
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BLANK_MAGIC,
  MAGIC_V1,
  MAGIC_V2,
  MIN_RECORD_BYTES,
  recordLength,
} from '../../src/codec/record-layout.js';
import { ascii, encodeAlone, HOST_V6, knownInput, prepareOk } from './record-fixtures.js';

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

describe('record layout constants', () => {
  it('magic codes are the signed int32 values RocketMQ stores', () => {
    expect(MAGIC_V1).toBe(-626843481);
    expect(MAGIC_V2).toBe(-626843477);
    expect(BLANK_MAGIC).toBe(-875286124);
  });

  it('recordLength follows calMsgLength: 91 bytes of overhead for IPv4/V1', () => {
    expect(MIN_RECORD_BYTES).toBe(91);
    expect(recordLength(0, 0, 0, false, false, 1)).toBe(91);
    expect(recordLength(1024, 9, 31, false, false, 1)).toBe(91 + 1024 + 9 + 31);
    expect(recordLength(10, 200, 5, false, false, 2)).toBe(92 + 10 + 200 + 5);
    expect(recordLength(0, 1, 0, true, false, 1)).toBe(91 + 12 + 1);
    expect(recordLength(0, 1, 0, true, true, 1)).toBe(91 + 24 + 1);
  });
});

describe('golden record (IPv4, V1)', () => {
  const input = knownInput();
  const body = input.body;
  const properties = 'UNIQ_KEY\u0001ABC\u0002TAGS\u0001TagA\u0002KEYS\u0001k1\u0002';
  const bytes = encodeAlone(input, 42, 2 ** 40 + 5, 1_700_000_000_999);
  const dv = view(bytes);

  it('has the length of the formula', () => {
    expect(bytes.length).toBe(91 + body.length + 'TopicTest'.length + properties.length);
    expect(dv.getInt32(0)).toBe(bytes.length); // TOTALSIZE
  });

  it('puts every fixed field at the §1.1 offset', () => {
    expect(dv.getInt32(4)).toBe(MAGIC_V1); // MAGICCODE
    expect(dv.getInt32(8)).toBe(zlib.crc32(body) & 0x7fffffff); // BODYCRC
    expect(dv.getInt32(12)).toBe(3); // QUEUEID
    expect(dv.getInt32(16)).toBe(7); // FLAG
    expect(dv.getBigInt64(20)).toBe(42n); // QUEUEOFFSET
    expect(dv.getBigInt64(28)).toBe(2n ** 40n + 5n); // PHYSICALOFFSET
    expect(dv.getInt32(36)).toBe(0); // SYSFLAG
    expect(dv.getBigInt64(40)).toBe(1_700_000_000_123n); // BORNTIMESTAMP
    expect([...bytes.subarray(48, 52)]).toEqual([192, 168, 0, 1]); // BORNHOST address
    expect(dv.getInt32(52)).toBe(50123); // BORNHOST port
    expect(dv.getBigInt64(56)).toBe(1_700_000_000_999n); // STORETIMESTAMP
    expect([...bytes.subarray(64, 68)]).toEqual([10, 0, 0, 2]); // STOREHOST address
    expect(dv.getInt32(68)).toBe(10911); // STOREHOST port
    expect(dv.getInt32(72)).toBe(2); // RECONSUMETIMES
    expect(dv.getBigInt64(76)).toBe(0n); // PREPARED TRANSACTION OFFSET
    expect(dv.getInt32(84)).toBe(body.length); // BODY LENGTH
  });

  it('puts body, topic and properties after the fixed part', () => {
    const n = body.length;
    expect(bytes.subarray(88, 88 + n)).toEqual(body);
    expect(dv.getInt8(88 + n)).toBe(9); // TOPIC LENGTH (1 byte in V1)
    expect(Buffer.from(bytes.subarray(89 + n, 98 + n)).toString('latin1')).toBe('TopicTest');
    expect(dv.getInt16(98 + n)).toBe(properties.length); // PROPERTIES LENGTH
    expect(Buffer.from(bytes.subarray(100 + n)).toString('latin1')).toBe(properties);
  });

  it('equals a record built byte by byte with DataView', () => {
    const expected = new Uint8Array(bytes.length);
    const e = view(expected);
    e.setInt32(0, bytes.length);
    e.setInt32(4, MAGIC_V1);
    e.setInt32(8, zlib.crc32(body) & 0x7fffffff);
    e.setInt32(12, 3);
    e.setInt32(16, 7);
    e.setBigInt64(20, 42n);
    e.setBigInt64(28, 2n ** 40n + 5n);
    e.setInt32(36, 0);
    e.setBigInt64(40, 1_700_000_000_123n);
    expected.set([192, 168, 0, 1], 48);
    e.setInt32(52, 50123);
    e.setBigInt64(56, 1_700_000_000_999n);
    expected.set([10, 0, 0, 2], 64);
    e.setInt32(68, 10911);
    e.setInt32(72, 2);
    e.setBigInt64(76, 0n);
    e.setInt32(84, body.length);
    expected.set(body, 88);
    let p = 88 + body.length;
    e.setInt8(p++, 9);
    expected.set(ascii('TopicTest'), p);
    p += 9;
    e.setInt16(p, properties.length);
    expected.set(ascii(properties), p + 2);
    expect(bytes).toEqual(expected);
  });
});

describe('golden record variants', () => {
  it('IPv6 born host: SYSFLAG 0x10 and everything after BORNHOST moves by 12', () => {
    const input = knownInput({ bornHost: HOST_V6 });
    const bytes = encodeAlone(input, 1, 2, 3);
    const dv = view(bytes);
    expect(dv.getInt32(36)).toBe(0x10);
    expect(bytes.subarray(48, 64)).toEqual(HOST_V6.address);
    expect(dv.getInt32(64)).toBe(HOST_V6.port);
    expect(dv.getBigInt64(68)).toBe(3n); // STORETIMESTAMP at 56 + 12
    expect([...bytes.subarray(76, 80)]).toEqual([10, 0, 0, 2]);
    expect(dv.getInt32(96)).toBe(input.body.length); // BODY LENGTH at 84 + 12
    expect(bytes.length).toBe(dv.getInt32(0));
    expect(bytes.length).toBe(encodeAlone(knownInput()).length + 12);
  });

  it('IPv6 store host: SYSFLAG 0x20, both IPv6: 0x30 and +24', () => {
    expect(view(encodeAlone(knownInput({ storeHost: HOST_V6 }))).getInt32(36)).toBe(0x20);
    const both = encodeAlone(knownInput({ bornHost: HOST_V6, storeHost: HOST_V6, sysFlag: 0x1 }));
    expect(view(both).getInt32(36)).toBe(0x31); // caller bits kept, IPv6 bits from the hosts
    expect(view(both).getInt32(108)).toBe(knownInput().body.length); // BODY LENGTH at 84 + 24
  });

  it('IPv6 bits given by the caller are corrected to the host widths', () => {
    expect(view(encodeAlone(knownInput({ sysFlag: 0x30 | 0x8 }))).getInt32(36)).toBe(0x8);
  });

  it('a topic longer than 127 bytes switches to V2 with a 2-byte topic length', () => {
    const topic = 'T'.repeat(200);
    const input = knownInput({ topic, properties: {}, tags: '', keys: [] });
    const bytes = encodeAlone(input);
    const dv = view(bytes);
    expect(dv.getInt32(4)).toBe(MAGIC_V2);
    const n = input.body.length;
    expect(dv.getInt16(88 + n)).toBe(200);
    expect(Buffer.from(bytes.subarray(90 + n, 290 + n)).toString('latin1')).toBe(topic);
    expect(dv.getInt16(290 + n)).toBe(0);
    expect(bytes.length).toBe(92 + n + 200);
  });

  it('a 127-byte topic stays V1', () => {
    expect(prepareOk(knownInput({ topic: 'a'.repeat(127) })).magic).toBe(MAGIC_V1);
    expect(prepareOk(knownInput({ topic: 'a'.repeat(128) })).magic).toBe(MAGIC_V2);
  });

  it('int64 fields hold 2^53 - 1 and negative values exactly', () => {
    const bytes = encodeAlone(knownInput({ bornTimestamp: -5 }), Number.MAX_SAFE_INTEGER, 2 ** 53 - 2, 0);
    const dv = view(bytes);
    expect(dv.getBigInt64(20)).toBe(2n ** 53n - 1n);
    expect(dv.getBigInt64(28)).toBe(2n ** 53n - 2n);
    expect(dv.getBigInt64(40)).toBe(-5n);
  });
});
