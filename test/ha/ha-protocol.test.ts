// HA wire format (reports, data frames, the epoch frame): round trips, partial reads at every
// cut, and every malformed input class rejected with ERR_HA_PROTOCOL and its violation name.
import { describe, expect, it } from 'vitest';
import {
  encodeEpochFrame,
  encodeFrameHeader,
  encodeReport,
  EpochFrameDecoder,
  FrameDecoder,
  HA_FRAME_HEADER_BYTES,
  HaProtocolError,
  ReportDecoder,
  type FrameSink,
  type HaProtocolViolation,
} from '../../src/ha/ha-protocol.js';

function expectViolation(fn: () => unknown, violation: HaProtocolViolation): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(HaProtocolError);
  expect((caught as HaProtocolError).code).toBe('ERR_HA_PROTOCOL');
  expect((caught as HaProtocolError).violation).toBe(violation);
}

function int64(high: number, low: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(high, 0);
  b.writeUInt32BE(low, 4);
  return b;
}

/** A sink that records headers and reassembles bodies (checking that pieces are contiguous). */
function collector(): FrameSink & { headers: Array<[number, number]>; bytes: number[]; offsets: number[] } {
  const out = { headers: [] as Array<[number, number]>, bytes: [] as number[], offsets: [] as number[] };
  return Object.assign(out, {
    onHeader: (offset: number, size: number) => {
      out.headers.push([offset, size]);
    },
    onBody: (offset: number, bytes: Uint8Array) => {
      if (out.offsets.length > 0) expect(offset).toBe(out.offsets[out.offsets.length - 1]! + 1);
      for (let i = 0; i < bytes.byteLength; i++) {
        out.bytes.push(bytes[i]!);
        out.offsets.push(offset + i);
      }
    },
  });
}

function frame(offset: number, body: Uint8Array): Buffer {
  return Buffer.concat([encodeFrameHeader(offset, body.byteLength), body]);
}

describe('offset report', () => {
  it('round-trips offsets up to 2^53-1 as int64 big-endian', () => {
    for (const v of [0, 1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      const bytes = encodeReport(v);
      expect(bytes.byteLength).toBe(8);
      expect(bytes.readBigInt64BE(0)).toBe(BigInt(v));
      const d = new ReportDecoder(() => Number.MAX_SAFE_INTEGER);
      expect(d.push(bytes)).toBe(v);
    }
    expect(() => encodeReport(-1)).toThrow(RangeError);
    expect(() => encodeReport(2 ** 53)).toThrow(RangeError);
  });

  it('decodes reports cut at every byte, and the last complete report of a chunk wins', () => {
    const stream = Buffer.concat([encodeReport(10), encodeReport(2 ** 33 + 7), encodeReport(2 ** 33 + 9)]);
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const d = new ReportDecoder(() => 2 ** 34);
      const first = d.push(stream.subarray(0, cut));
      const second = d.push(stream.subarray(cut));
      const expectedFirst = cut >= 24 ? 2 ** 33 + 9 : cut >= 16 ? 2 ** 33 + 7 : cut >= 8 ? 10 : -1;
      expect(first).toBe(expectedFirst);
      expect(second).toBe(cut >= 24 ? -1 : 2 ** 33 + 9);
      expect(d.lastReport).toBe(2 ** 33 + 9);
      expect(d.reports).toBe(3);
      expect(d.pendingBytes).toBe(0);
    }
    const d = new ReportDecoder(() => 100);
    for (const byte of encodeReport(42).subarray(0, 7)) expect(d.push(Buffer.from([byte]))).toBe(-1);
    expect(d.pendingBytes).toBe(7);
    expect(d.push(encodeReport(42).subarray(7))).toBe(42);
  });

  it('rejects negative, too large, backwards and beyond-master reports', () => {
    expectViolation(() => new ReportDecoder(() => 100).push(int64(-1, 0xffff_ffff)), 'report-out-of-range');
    expectViolation(() => new ReportDecoder(() => Number.MAX_SAFE_INTEGER).push(int64(0x20_0000, 0)), 'report-out-of-range');
    expectViolation(() => new ReportDecoder(() => 100).push(Buffer.concat([encodeReport(50), encodeReport(49)])), 'report-backwards');
    expectViolation(() => new ReportDecoder(() => 100).push(encodeReport(101)), 'report-beyond-master');
    // garbage: ASCII text reads as an offset far above 2^53
    expectViolation(() => new ReportDecoder(() => 1 << 20).push(Buffer.from('GET / HTTP/1.1\r\n')), 'report-out-of-range');
    expectViolation(() => new ReportDecoder(() => 1 << 20).push(int64(0, 1 << 21)), 'report-beyond-master');
    // the limit may differ for the first report (master max) and later ones (what was sent)
    const d = new ReportDecoder((first) => (first ? 1000 : 600));
    expect(d.push(encodeReport(500))).toBe(500);
    expectViolation(() => d.push(encodeReport(700)), 'report-beyond-master');
  });
});

describe('data frames', () => {
  const body = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255);
  const options = { expectedOffset: 1000, acceptFirstOffset: false, maxBodyBytes: 256, segmentBytes: 4096 };

  it('decodes header + body cut at every byte, heartbeats included', () => {
    const stream = Buffer.concat([encodeFrameHeader(1000, 0), frame(1000, body.subarray(0, 200)), frame(1200, body.subarray(200)), encodeFrameHeader(1300, 0)]);
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const d = new FrameDecoder(options);
      const sink = collector();
      d.push(stream.subarray(0, cut), sink);
      d.push(stream.subarray(cut), sink);
      expect(sink.headers).toEqual([
        [1000, 0],
        [1000, 200],
        [1200, 100],
        [1300, 0],
      ]);
      expect(Uint8Array.from(sink.bytes)).toEqual(body);
      expect(sink.offsets[0]).toBe(1000);
      expect(d.expectedOffset).toBe(1300);
      expect(d.frameCount).toBe(4);
      expect(d.midFrame).toBe(false);
    }
    const d = new FrameDecoder(options);
    const sink = collector();
    for (const byte of frame(1000, body.subarray(0, 5))) d.push(Buffer.from([byte]), sink);
    expect(sink.bytes).toEqual([...body.subarray(0, 5)]);
  });

  it('reports an incomplete frame as midFrame', () => {
    const d = new FrameDecoder(options);
    const sink = collector();
    d.push(encodeFrameHeader(1000, 10).subarray(0, 5), sink);
    expect(d.midFrame).toBe(true);
    d.push(Buffer.concat([encodeFrameHeader(1000, 10).subarray(5), body.subarray(0, 4)]), sink);
    expect(d.midFrame).toBe(true);
    expect(d.expectedOffset).toBe(1004);
  });

  it('an empty receiver takes the first header offset, then holds the stream to it', () => {
    const d = new FrameDecoder({ ...options, expectedOffset: 0, acceptFirstOffset: true });
    const sink = collector();
    d.push(frame(8192, body.subarray(0, 10)), sink);
    expect(d.expectedOffset).toBe(8202);
    expectViolation(() => d.push(frame(8192, body.subarray(0, 10)), sink), 'frame-offset');
    expectViolation(() => new FrameDecoder({ ...options, expectedOffset: 0, acceptFirstOffset: true }).push(frame(100, body.subarray(0, 1)), sink), 'frame-offset');
  });

  it('rejects bad sizes, wrong offsets and segment crossings before any body byte is delivered', () => {
    const bad = (bytes: Buffer, violation: HaProtocolViolation, opts = options): void => {
      const sink = collector();
      expectViolation(() => new FrameDecoder(opts).push(bytes, sink), violation);
      expect(sink.bytes).toEqual([]);
    };
    const negative = encodeFrameHeader(1000, 0);
    negative.writeInt32BE(-5, 8);
    bad(negative, 'frame-size');
    bad(frame(1000, new Uint8Array(257)), 'frame-size');
    bad(frame(1001, body.subarray(0, 3)), 'frame-offset'); // past what was asked
    bad(frame(999, body.subarray(0, 3)), 'frame-offset'); // overlap
    bad(Buffer.concat([int64(-1, 0), Buffer.from([0, 0, 0, 0])]), 'frame-offset');
    bad(frame(4000, body.subarray(0, 100)), 'frame-crosses-segment', { ...options, expectedOffset: 4000 });
    bad(frame(0, new Uint8Array(0)), 'frame-offset');
    // garbage
    bad(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), 'frame-size');
  });

  it('header encoding rejects out-of-range values', () => {
    expect(() => encodeFrameHeader(-1, 0)).toThrow(RangeError);
    expect(() => encodeFrameHeader(0, -1)).toThrow(RangeError);
    expect(encodeFrameHeader(2 ** 40, 7).byteLength).toBe(HA_FRAME_HEADER_BYTES);
    expect(encodeFrameHeader(2 ** 40, 7).readBigInt64BE(0)).toBe(2n ** 40n);
    expect(encodeFrameHeader(2 ** 40, 7).readInt32BE(8)).toBe(7);
  });
});

describe('epoch frame', () => {
  const entries = [
    { epoch: 0, startOffset: 0 },
    { epoch: 3, startOffset: 4096 },
    { epoch: 7, startOffset: 2 ** 40 },
  ];
  const bytes = encodeEpochFrame({ masterMaxOffset: 2 ** 40 + 99, entries });

  it('round-trips cut at every byte, and hands on the bytes after it', () => {
    const after = frame(2 ** 40 + 99, new Uint8Array([1, 2, 3]));
    const stream = Buffer.concat([bytes, after]);
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const d = new EpochFrameDecoder();
      const first = d.push(stream.subarray(0, cut));
      const done = first ?? d.push(stream.subarray(cut));
      expect(done, `cut at ${cut}`).not.toBeNull();
      expect(done!.frame).toEqual({ masterMaxOffset: 2 ** 40 + 99, entries });
      const rest = first ? Buffer.concat([first.rest, stream.subarray(cut)]) : Buffer.from(done!.rest);
      expect(Buffer.from(rest).equals(after), `rest at cut ${cut}`).toBe(true);
    }
  });

  it('refuses anything that is not a well-formed epoch frame, at its first wrong byte', () => {
    expectViolation(() => new EpochFrameDecoder().push(encodeFrameHeader(0, 0)), 'handshake'); // a data frame first
    expectViolation(() => new EpochFrameDecoder().push(Buffer.from([0xff, 0xff, 0x00])), 'handshake'); // wrong already at byte 3
    const size = (n: number): Buffer => Buffer.concat([Buffer.alloc(8, 0xff), int64(0, n).subarray(4)]);
    expectViolation(() => new EpochFrameDecoder().push(size(8)), 'handshake'); // no entry
    expectViolation(() => new EpochFrameDecoder().push(size(8 + 16 + 1)), 'handshake'); // not 8 + 16n
    expectViolation(() => new EpochFrameDecoder().push(size(8 + 16 * 1025)), 'handshake'); // too many
    const backwards = encodeEpochFrame({ masterMaxOffset: 100, entries: [{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 50 }, { epoch: 1, startOffset: 60 }] });
    expectViolation(() => new EpochFrameDecoder().push(backwards), 'handshake');
    const beyond = encodeEpochFrame({ masterMaxOffset: 100, entries: [{ epoch: 1, startOffset: 200 }] });
    expectViolation(() => new EpochFrameDecoder().push(beyond), 'handshake');
    const negative = Buffer.from(encodeEpochFrame({ masterMaxOffset: 100, entries: [{ epoch: 1, startOffset: 0 }] }));
    negative.writeInt32BE(-1, 12); // master max offset
    expectViolation(() => new EpochFrameDecoder().push(negative), 'handshake');
    expect(() => encodeEpochFrame({ masterMaxOffset: 0, entries: [] })).toThrow(RangeError);
  });
});

describe('epoch frame v2 store ids, and v1 frames of older masters', () => {
  const ID_A = '0123456789abcdef';
  const ID_B = 'fedcba9876543210';
  const entries = [{ epoch: 0, startOffset: 0 }, { epoch: 1024, startOffset: 0, storeId: ID_A }, { epoch: 2049, startOffset: 500 }, { epoch: 3073, startOffset: 900, storeId: ID_B }];

  it('carries each entry\'s store id and the master\'s (zeros = unknown), marker 0xFF..FD, 16 + 24n bytes', () => {
    const bytes = encodeEpochFrame({ masterMaxOffset: 1000, entries, masterStoreId: ID_B });
    expect(bytes.subarray(0, 8).toString('hex')).toBe('fffffffffffffffd');
    expect(bytes.readInt32BE(8)).toBe(16 + 24 * entries.length);
    expect(bytes.subarray(20, 28).toString('hex')).toBe(ID_B);
    const done = new EpochFrameDecoder().push(bytes);
    expect(done!.frame).toEqual({ masterMaxOffset: 1000, entries, masterStoreId: ID_B });
    const anonymous = new EpochFrameDecoder().push(encodeEpochFrame({ masterMaxOffset: 1000, entries: [{ epoch: 0, startOffset: 0 }] }));
    expect(anonymous!.frame).toEqual({ masterMaxOffset: 1000, entries: [{ epoch: 0, startOffset: 0 }] });
  });

  it('decodes a v1 frame (marker 0xFF..FF, 8 + 16n, no ids) as entries with unknown ids', () => {
    const v1 = Buffer.concat([Buffer.alloc(8, 0xff), int64(0, 8 + 16 * 2).subarray(4), int64(0, 700), int64(0, 0), int64(0, 0), int64(0, 1024), int64(0, 100)]);
    const done = new EpochFrameDecoder().push(Buffer.concat([v1, Buffer.from([9])]));
    expect(done!.frame).toEqual({ masterMaxOffset: 700, entries: [{ epoch: 0, startOffset: 0 }, { epoch: 1024, startOffset: 100 }] });
    expect([...done!.rest]).toEqual([9]);
  });

  it('refuses a v2 frame whose size is not 16 + 24n', () => {
    const size = (n: number): Buffer => Buffer.concat([Buffer.alloc(7, 0xff), Buffer.from([0xfd]), int64(0, n).subarray(4)]);
    expectViolation(() => new EpochFrameDecoder().push(size(16)), 'handshake');
    expectViolation(() => new EpochFrameDecoder().push(size(8 + 16)), 'handshake'); // a v1 size under a v2 marker
    expectViolation(() => new EpochFrameDecoder().push(size(16 + 24 * 1025)), 'handshake');
    expectViolation(() => new EpochFrameDecoder().push(Buffer.concat([Buffer.alloc(7, 0xff), Buffer.from([0xfc])])), 'handshake'); // unknown version
  });
});

