// The sendfile sender's transfer loop on a scripted socket (no threads, no real fds): frames
// reassemble to the log across segments while the socket takes 5 header bytes and 777 body bytes
// at a time; heartbeats when idle; stop while the socket is full; a missing segment and a short
// file fail with ERR_HA_TRANSFER.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, HA_FRAME_HEADER_BYTES } from '../../src/ha/ha-protocol.js';
import { SENDFILE_POSITIONS } from '../../src/ha/ha-sendfile-layout.js';
import { SendfileLoop, type SendfileLoopSettings, type SocketFileIO } from '../../src/ha/ha-sendfile-loop.js';
import type { NativeData } from '../../src/io/native-addon.js';
import { segmentFileName } from '../../src/segment/segment-name.js';
import { ControlBlock } from '../../src/util/control-block.js';

const SEGMENT = 4096;
const DIR = '/segments';

interface Script {
  /** Bytes the socket takes per writeFd / sendfile call before it reports wouldBlock. */
  writeChunk?: number;
  sendChunk?: number;
  /** What pollWritable answers (called with the number of earlier polls). */
  poll?: (calls: number) => boolean;
}

/** A log of `total` bytes in SEGMENT-sized fake files, and a socket that records what it got. */
function harness(total: number, settings: Partial<SendfileLoopSettings> = {}, script: Script = {}) {
  const log = Buffer.alloc(total);
  for (let i = 0; i < total; i++) log[i] = (i * 31 + (i >> 8)) & 0xff;
  const files = new Map<string, Buffer>();
  for (let at = 0; at < total; at += SEGMENT) files.set(join(DIR, segmentFileName(at)), log.subarray(at, at + SEGMENT));
  const open = new Map<number, Buffer>();
  const wire: Buffer[] = [];
  const positions = ControlBlock.create(SENDFILE_POSITIONS);
  let polls = 0;
  let nextFd = 100;
  const io: SocketFileIO = {
    writeFd: (_fd, data: NativeData) => {
      const bytes = Buffer.from(data as Uint8Array);
      const n = Math.min(bytes.byteLength, script.writeChunk ?? bytes.byteLength);
      wire.push(Buffer.from(bytes.subarray(0, n)));
      return { bytes: n, wouldBlock: n < bytes.byteLength };
    },
    pollWritable: () => (script.poll ?? (() => true))(polls++),
    sendfile: (_out, inFd, offset, length) => {
      const file = open.get(inFd)!;
      const n = Math.min(length, script.sendChunk ?? length, Math.max(0, file.byteLength - offset));
      wire.push(Buffer.from(file.subarray(offset, offset + n)));
      return { bytes: n, wouldBlock: n < length && n > 0 };
    },
    open: (path) => {
      const file = files.get(path);
      if (!file) throw Object.assign(new Error(`open: No such file or directory (ENOENT)`), { code: 'ENOENT' });
      open.set(++nextFd, file);
      return nextFd;
    },
    close: (fd) => {
      expect(open.delete(fd)).toBe(true);
    },
  };
  let committed = total;
  let clockMs = 0;
  let idleWaits = 0;
  const loop = new SendfileLoop(
    io,
    7,
    {
      load: () => committed,
      // an idle wait lets time pass; after 50 of them the test is over
      wait: (_seen, timeoutMs) => {
        clockMs += timeoutMs;
        if (++idleWaits >= 50) positions.store('stop', 1);
      },
    },
    positions,
    { fromOffset: 0, segmentBytes: SEGMENT, segmentDir: DIR, transferBatchBytes: 1000, heartbeatIntervalMs: 1_000_000, idleWaitMs: 10, ...settings },
    () => clockMs,
  );
  return {
    log,
    loop,
    positions,
    openFds: () => open.size,
    setCommitted: (v: number) => (committed = v),
    wire: () => Buffer.concat(wire),
  };
}

/** Decode the wire; returns the frames and the reassembled body bytes. */
function decode(wire: Buffer, from: number, batch: number) {
  const frames: Array<[number, number]> = [];
  const bodies: Buffer[] = [];
  const decoder = new FrameDecoder({ expectedOffset: from, acceptFirstOffset: false, maxBodyBytes: batch, segmentBytes: SEGMENT });
  decoder.push(wire, { onHeader: (o, n) => frames.push([o, n]), onBody: (_o, b) => bodies.push(Buffer.from(b)) });
  expect(decoder.midFrame).toBe(false);
  return { frames, body: Buffer.concat(bodies) };
}

describe('SendfileLoop', () => {
  it('streams the whole log in frames within segments, resuming cut headers and bodies', () => {
    const total = 3 * SEGMENT + 1234;
    const h = harness(total, {}, { writeChunk: 5, sendChunk: 777 });
    h.loop.run();
    const { frames, body } = decode(h.wire(), 0, 1000);
    expect(body.equals(h.log)).toBe(true);
    for (const [offset, size] of frames) {
      expect(size).toBeLessThanOrEqual(1000);
      expect(Math.floor(offset / SEGMENT)).toBe(Math.floor((offset + size - 1) / SEGMENT));
    }
    expect(h.positions.load('next')).toBe(total);
    expect(h.positions.load('transferred')).toBe(total);
    expect(h.positions.load('frames')).toBe(frames.length);
    h.loop.close();
    expect(h.openFds()).toBe(0);
  });

  it('starts mid-segment and sends a heartbeat (an empty frame at next) when idle long enough', () => {
    const h = harness(SEGMENT, { fromOffset: 100, heartbeatIntervalMs: 100 });
    h.setCommitted(100);
    h.loop.run();
    const { frames } = decode(h.wire(), 100, 1000);
    expect(frames.length).toBeGreaterThan(2);
    for (const f of frames) expect(f).toEqual([100, 0]);
    expect(h.wire().byteLength).toBe(frames.length * HA_FRAME_HEADER_BYTES);
  });

  it('returns when stopped while the socket stays full, without failing', () => {
    let polls = 0;
    const h = harness(SEGMENT, {}, {
      writeChunk: 3,
      poll: (calls) => {
        if (++polls === 5) h.positions.store('stop', 1);
        return calls < 2; // writable twice, then full for good
      },
    });
    expect(() => h.loop.run()).not.toThrow();
    expect(polls).toBe(5);
    expect(h.positions.load('frames')).toBe(0);
    h.loop.close();
    expect(h.openFds()).toBe(0);
  });

  it('fails with ERR_HA_TRANSFER when the segment file is gone or shorter than the committed log', () => {
    const gone = harness(SEGMENT, { fromOffset: SEGMENT });
    gone.setCommitted(SEGMENT + 10);
    expect(() => gone.loop.run()).toThrow(expect.objectContaining({ code: 'ERR_HA_TRANSFER', message: expect.stringContaining("below the master's min offset") }));
    const truncated = harness(100);
    truncated.setCommitted(200);
    expect(() => truncated.loop.run()).toThrow(expect.objectContaining({ code: 'ERR_HA_TRANSFER', message: expect.stringContaining('ends at byte 100') }));
  });
});
