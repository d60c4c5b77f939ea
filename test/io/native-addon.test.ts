// Each addon function against real files, threads and a loopback socket.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../src/io/native-addon.js';
import { addon as loadedAddon, NEEDS_ADDON } from '../helpers/native.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { firstMessage, startTsWorker } from '../helpers/workers.js';

const newDir = tempDirs();
const addon = loadedAddon as NativeAddon;
const { O_RDWR, O_CREAT } = fs.constants;

function openFile(size = 0): { fd: number; path: string } {
  const path = join(newDir(), 'f');
  const fd = addon.open(path, O_RDWR | O_CREAT, 0o644);
  if (size) addon.ftruncate(fd, size);
  return { fd, path };
}

function errorOf(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('expected a throw');
}

describe.skipIf(!loadedAddon)(NEEDS_ADDON, () => {
  it('mmap writes are visible through pread, and pwrite through the mapping', () => {
    const { fd } = openFile(1 << 20);
    const map = new Uint8Array(addon.mmap(fd, 0, 1 << 20, true));
    const a = randomBytes(3000);
    map.set(a, 5000);
    addon.msync(map.buffer as ArrayBuffer, 4096, 8192, true);
    const back = new Uint8Array(3000);
    expect(addon.pread(fd, back, 5000)).toBe(3000);
    expect(Buffer.from(back).equals(a)).toBe(true);
    const b = randomBytes(2000);
    expect(addon.pwrite(fd, b, 100_000)).toBe(2000);
    expect(Buffer.from(map.subarray(100_000, 102_000)).equals(b)).toBe(true);
    addon.fdatasync(fd);
    addon.fsync(fd);
    addon.munmap(map.buffer as ArrayBuffer);
    addon.close(fd);
  });

  it('maps at an unaligned file offset', () => {
    const { fd } = openFile(3 * 4096);
    const data = randomBytes(100);
    addon.pwrite(fd, data, 5000);
    const map = new Uint8Array(addon.mmap(fd, 5000, 100, false));
    expect(Buffer.from(map).equals(data)).toBe(true);
    addon.munmap(map.buffer as ArrayBuffer);
    addon.close(fd);
  });

  it('explicit munmap detaches the buffer and a second munmap throws', () => {
    const { fd } = openFile(8192);
    const ab = addon.mmap(fd, 0, 8192, true);
    addon.munmap(ab);
    expect(ab.byteLength).toBe(0);
    expect(() => addon.munmap(ab)).toThrow();
    addon.close(fd);
  });

  it('madvise accepts every advice, and mlock/munlock work', () => {
    const { fd } = openFile(1 << 20);
    const ab = addon.mmap(fd, 0, 1 << 20, true);
    for (const advice of [addon.MADV_NORMAL, addon.MADV_SEQUENTIAL, addon.MADV_WILLNEED, addon.MADV_POPULATE_READ, addon.MADV_DONTNEED]) {
      addon.madvise(ab, 0, 1 << 20, advice);
    }
    addon.mlock(ab, 0, 1 << 20);
    addon.munlock(ab, 0, 1 << 20);
    expect(() => addon.madvise(ab, 0, 2 << 20, addon.MADV_NORMAL)).toThrow();
    addon.munmap(ab);
    addon.close(fd);
  });

  it('O_DIRECT: unaligned memory fails with EINVAL, aligned memory succeeds', () => {
    const path = join(newDir(), 'direct');
    const fd = addon.open(path, O_RDWR | O_CREAT | addon.O_DIRECT, 0o644);
    const unaligned = Buffer.alloc(4096 + 1).subarray(1);
    const err = errorOf(() => addon.pwrite(fd, unaligned, 0));
    expect(err.code).toBe('EINVAL');
    expect(err.syscall).toBe('pwrite');
    const aligned = new Uint8Array(addon.allocAligned(8192, 4096));
    aligned.fill(7);
    expect(addon.pwrite(fd, aligned, 0)).toBe(8192);
    addon.close(fd);
    expect(fs.readFileSync(path).equals(Buffer.alloc(8192, 7))).toBe(true);
  });

  it('aligned memory is one allocation viewed from several threads', async () => {
    const ab = addon.allocAligned(1 << 16, 4096);
    const id = addon.alignedId(ab);
    const worker = startTsWorker('aligned-writer.worker.ts', { id, fill: 0xab });
    try {
      expect(await firstMessage(worker, 20_000)).toBe(1 << 16);
    } finally {
      await worker.terminate();
    }
    expect(new Uint8Array(ab).every((b) => b === 0xab)).toBe(true);
    addon.releaseAligned(ab);
    expect(ab.byteLength).toBe(0);
  });

  it('mlock works on aligned memory, and a Rust panic becomes a JS error', () => {
    const ab = addon.allocAligned(1 << 16, 4096);
    addon.mlock(ab, 0, 1 << 16);
    addon.munlock(ab, 0, 1 << 16);
    addon.releaseAligned(ab);
    const panic = errorOf(() => (addon as unknown as { _testPanic(): void })._testPanic());
    expect(panic.code).toBe('ERR_NATIVE_PANIC');
    expect(addon.crc32(new Uint8Array([1, 2, 3]))).toBe(zlib.crc32(new Uint8Array([1, 2, 3])));
  });

  it('fallocate reserves space and ftruncate sets the length', () => {
    const { fd, path } = openFile();
    addon.fallocate(fd, 0, 0, 1 << 20);
    expect(fs.statSync(path).size).toBe(1 << 20);
    expect(fs.statSync(path).blocks * 512).toBeGreaterThanOrEqual(1 << 20);
    addon.ftruncate(fd, 10);
    expect(fs.statSync(path).size).toBe(10);
    addon.close(fd);
  });

  it('errors carry the errno name, number and syscall', () => {
    const { fd } = openFile();
    addon.close(fd);
    const err = errorOf(() => addon.fdatasync(fd));
    expect(err.code).toBe('EBADF');
    expect(err.errno).toBe(9);
    expect(err.syscall).toBe('fdatasync');
    expect(err.message).toMatch(/fdatasync/);
    expect(errorOf(() => addon.open(join(newDir(), 'no', 'such'), O_RDWR, 0)).code).toBe('ENOENT');
  });

  it('bad argument types throw instead of crashing', () => {
    expect(() => (addon.crc32 as (x: unknown) => number)('not a buffer')).toThrow();
    expect(() => (addon.fdatasync as (x: unknown) => void)('x')).toThrow();
  });

  it('crc32 equals zlib.crc32 on random inputs of many sizes, and crc32c matches known vectors', () => {
    for (let size = 0; size < 600; size += 7) {
      const data = randomBytes(size + 5).subarray(size % 5);
      expect(addon.crc32(data)).toBe(zlib.crc32(data));
    }
    for (const size of [4095, 4096, 65_537, (1 << 20) + 3]) {
      const data = randomBytes(size);
      expect(addon.crc32(data)).toBe(zlib.crc32(data));
      expect(addon.crc32(data.subarray(1000), addon.crc32(data.subarray(0, 1000)))).toBe(zlib.crc32(data));
    }
    expect(addon.crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(addon.crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(addon.crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });

  it('sendfile delivers the exact bytes to a loopback socket, reporting a full socket as wouldBlock', async () => {
    const { fd } = openFile();
    const payload = randomBytes(32 << 20);
    addon.pwrite(fd, payload, 0);
    const received: Buffer[] = [];
    let receivedBytes = 0;
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(port, '127.0.0.1');
    client.pause();
    client.on('data', (chunk: Buffer) => {
      received.push(chunk);
      receivedBytes += chunk.length;
    });
    const serverSide = await accepted;
    const socketFd = (serverSide as unknown as { _handle: { fd: number } })._handle.fd;
    try {
      const first = addon.sendfile(socketFd, fd, 0, payload.length);
      expect(first.wouldBlock).toBe(true); // the reader is paused: the socket buffer fills
      expect(first.bytes).toBeLessThan(payload.length);
      let sent = first.bytes;
      client.resume();
      const deadline = Date.now() + 20_000;
      while (sent < payload.length) {
        if (Date.now() > deadline) throw new Error(`sendfile stalled at ${sent} bytes`);
        const r = addon.sendfile(socketFd, fd, sent, payload.length - sent);
        sent += r.bytes;
        if (r.wouldBlock) await new Promise((resolve) => setImmediate(resolve));
      }
      const endBy = Date.now() + 20_000;
      while (receivedBytes < payload.length && Date.now() < endBy) await new Promise((resolve) => setImmediate(resolve));
      expect(Buffer.concat(received).equals(payload)).toBe(true);
    } finally {
      client.destroy();
      serverSide.destroy();
      server.close();
      addon.close(fd);
    }
  });
});
