// The FileIO contract, run against every backend available here. Native-only capabilities
// are asserted to be refused with ERR_STORE_UNSUPPORTED on the node backend.
import { randomBytes } from 'node:crypto';
import { readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import type { FileIO } from '../../src/io/file-io.js';
import { NativeFileIO } from '../../src/io/native-file-io.js';
import { NodeFileIO } from '../../src/io/node-file-io.js';
import { addon, NEEDS_ADDON } from '../helpers/native.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();
const backends: Array<[string, () => FileIO]> = [['node', () => new NodeFileIO()]];
const nativeAddon = addon;
if (nativeAddon) backends.push(['native', () => new NativeFileIO(nativeAddon)]);
else describe.skip(`FileIO contract on the native backend (${NEEDS_ADDON})`, () => it('needs the addon', () => {}));

describe.each(backends)('FileIO contract: %s backend', (_name, make) => {
  const io = make();

  it('writes at positions and reads them back, short only at end of file', () => {
    const path = join(newDir(), 'f');
    const fd = io.open(path, { create: true });
    const a = randomBytes(5000);
    const b = randomBytes(3000);
    try {
      expect(io.pwrite(fd, a, 0)).toBe(5000);
      expect(io.pwrite(fd, b, 10_000)).toBe(3000);
      expect(io.size(fd)).toBe(13_000);
      const back = new Uint8Array(5000);
      expect(io.pread(fd, back, 0)).toBe(5000);
      expect(Buffer.from(back).equals(a)).toBe(true);
      const hole = new Uint8Array(100);
      expect(io.pread(fd, hole, 5000)).toBe(100);
      expect(hole.every((x) => x === 0)).toBe(true);
      const tail = new Uint8Array(4000);
      expect(io.pread(fd, tail, 10_000)).toBe(3000);
      expect(Buffer.from(tail.subarray(0, 3000)).equals(b)).toBe(true);
      io.fdatasync(fd);
      io.fsync(fd);
    } finally {
      io.close(fd);
    }
    const onDisk = readFileSync(path);
    expect(onDisk.subarray(0, 5000).equals(a) && onDisk.subarray(10_000).equals(b)).toBe(true);
  });

  it('sees bytes written by fs and fs sees its bytes', () => {
    const path = join(newDir(), 'f');
    writeFileSync(path, 'hello world');
    const fd = io.open(path);
    try {
      io.pwrite(fd, new TextEncoder().encode('HELLO'), 0);
      const back = new Uint8Array(11);
      io.pread(fd, back, 0);
      expect(new TextDecoder().decode(back)).toBe('HELLO world');
    } finally {
      io.close(fd);
    }
    expect(readFileSync(path, 'utf8')).toBe('HELLO world');
  });

  it('truncates and reserves space', () => {
    const fd = io.open(join(newDir(), 'f'), { create: true });
    try {
      io.ftruncate(fd, 1 << 20);
      expect(io.size(fd)).toBe(1 << 20);
      io.ftruncate(fd, 100);
      expect(io.size(fd)).toBe(100);
      io.allocate(fd, 0, 3 << 20);
      expect(io.size(fd)).toBe(3 << 20);
    } finally {
      io.close(fd);
    }
  });

  it('zeroRange makes a range read as zeros and keeps the length', () => {
    const fd = io.open(join(newDir(), 'f'), { create: true });
    try {
      io.pwrite(fd, new Uint8Array(3 * 4096).fill(9), 0);
      io.zeroRange(fd, 4096, 4096);
      const back = new Uint8Array(3 * 4096);
      io.pread(fd, back, 0);
      expect(io.size(fd)).toBe(3 * 4096);
      expect(back.subarray(0, 4096).every((b) => b === 9)).toBe(true);
      expect(back.subarray(4096, 8192).every((b) => b === 0)).toBe(true);
      expect(back.subarray(8192).every((b) => b === 9)).toBe(true);
    } finally {
      io.close(fd);
    }
  });

  it('read-only opens refuse writes with EBADF', () => {
    const path = join(newDir(), 'f');
    writeFileSync(path, 'x');
    const fd = io.open(path, { write: false });
    try {
      expect(() => io.pwrite(fd, new Uint8Array(1), 0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    } finally {
      io.close(fd);
    }
  });

  it('errors carry the errno code and the syscall', () => {
    const missing = join(newDir(), 'missing', 'f');
    let caught: NodeJS.ErrnoException | undefined;
    try {
      io.open(missing);
    } catch (err) {
      caught = err as NodeJS.ErrnoException;
    }
    expect(caught?.code).toBe('ENOENT');
    expect(caught?.syscall).toBe('open');
  });

  it('stat reports size, age and kind; realpath resolves symlinks; both say ENOENT for a missing path', () => {
    const dir = newDir();
    const path = join(dir, 'f');
    writeFileSync(path, 'hello');
    symlinkSync(dir, join(dir, 'link'));
    const st = io.stat(path);
    expect(st).toMatchObject({ sizeBytes: 5, isDirectory: false });
    expect(Math.abs(st.mtimeMs - statSync(path).mtimeMs)).toBeLessThan(1);
    expect(io.stat(dir).isDirectory).toBe(true);
    expect(io.realpath(join(dir, 'link', 'f'))).toBe(realpathSync(path));
    expect(() => io.stat(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => io.realpath(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('aligned memory has the requested size', () => {
    const mem = io.allocAligned(8192);
    expect(mem.byteLength).toBe(8192);
  });

  it('offers mmap, sendfile and O_DIRECT exactly when its capabilities say so', () => {
    const unsupported = expect.objectContaining({ code: ErrorCode.UNSUPPORTED });
    const dir = newDir();
    if (io.backend === 'node') {
      expect(io.capabilities).toEqual({ mmap: false, directIo: false, sendfile: false, fallocate: false });
      expect(() => io.mmap(0, 0, 4096, false)).toThrow(unsupported);
      expect(() => io.sendfile(0, 0, 0, 1)).toThrow(unsupported);
      expect(() => io.open(join(dir, 'd'), { create: true, direct: true })).toThrow(unsupported);
      return;
    }
    expect(io.capabilities).toEqual({ mmap: true, directIo: true, sendfile: true, fallocate: true });
    const fd = io.open(join(dir, 'd'), { create: true, direct: true });
    const block = io.allocAligned(io.directAlignment).fill(1);
    expect(io.pwrite(fd, block, 0)).toBe(io.directAlignment);
    const region = io.mmap(fd, 0, io.directAlignment, false);
    expect(region.bytes[0]).toBe(1);
    region.unmap();
    io.close(fd);
  });
});
