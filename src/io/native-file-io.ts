// The native FileIO backend: every call goes to the Rust addon (pwrite/pread/fdatasync,
// fallocate, mmap + msync/madvise/mlock, O_DIRECT with addon-aligned memory, sendfile).
import * as fs from 'node:fs';
import { FsNameOperations } from './fs-names.js';
import type { FileIO, MadviseAdvice, MappedRegion, OpenOptions, SendfileResult } from './file-io.js';
import type { NativeAddon } from './native-addon.js';

export class NativeFileIO extends FsNameOperations implements FileIO {
  readonly backend = 'native' as const;
  readonly capabilities = { mmap: true, directIo: true, sendfile: true, fallocate: true };
  readonly directAlignment: number;

  constructor(private readonly addon: NativeAddon) {
    super();
    this.directAlignment = addon.PAGE_SIZE;
  }

  open(path: string, options: OpenOptions = {}): number {
    const { O_RDWR, O_RDONLY, O_CREAT } = fs.constants;
    const flags =
      (options.write === false ? O_RDONLY : O_RDWR) |
      (options.create ? O_CREAT : 0) |
      (options.direct ? this.addon.O_DIRECT : 0);
    return this.addon.open(path, flags, 0o644);
  }

  close(fd: number): void {
    this.addon.close(fd);
  }

  pread(fd: number, target: Uint8Array, position: number): number {
    return this.addon.pread(fd, target, position);
  }

  pwrite(fd: number, source: Uint8Array, position: number): number {
    return this.addon.pwrite(fd, source, position);
  }

  fdatasync(fd: number): void {
    this.addon.fdatasync(fd);
  }

  fsync(fd: number): void {
    this.addon.fsync(fd);
  }

  ftruncate(fd: number, length: number): void {
    this.addon.ftruncate(fd, length);
  }

  allocate(fd: number, offset: number, length: number): void {
    this.addon.fallocate(fd, 0, offset, length);
  }

  zeroRange(fd: number, offset: number, length: number): void {
    try {
      this.addon.fallocate(fd, this.addon.FALLOC_FL_ZERO_RANGE, offset, length);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      this.writeZeros(fd, offset, length); // file systems without ZERO_RANGE (e.g. tmpfs)
    }
  }

  private writeZeros(fd: number, offset: number, length: number): void {
    const chunk = new Uint8Array(Math.min(length, 1 << 20));
    for (let at = offset; at < offset + length; at += chunk.byteLength) {
      this.addon.pwrite(fd, chunk.subarray(0, Math.min(chunk.byteLength, offset + length - at)), at);
    }
  }

  size(fd: number): number {
    return fs.fstatSync(fd).size;
  }

  allocAligned(size: number): Uint8Array {
    return new Uint8Array(this.addon.allocAligned(size, this.directAlignment));
  }

  mmap(fd: number, offset: number, length: number, writable: boolean): MappedRegion {
    return new NativeMappedRegion(this.addon, this.addon.mmap(fd, offset, length, writable));
  }

  sendfile(socketFd: number, fd: number, offset: number, length: number): SendfileResult {
    return this.addon.sendfile(socketFd, fd, offset, length);
  }
}

class NativeMappedRegion implements MappedRegion {
  readonly bytes: Uint8Array;

  constructor(
    private readonly addon: NativeAddon,
    private readonly mapping: ArrayBuffer,
  ) {
    this.bytes = new Uint8Array(mapping);
  }

  sync(offset: number, length: number, async = false): void {
    this.addon.msync(this.mapping, offset, length, !async);
  }

  advise(offset: number, length: number, advice: MadviseAdvice): void {
    this.addon.madvise(this.mapping, offset, length, this.adviceCode(advice));
  }

  lock(offset: number, length: number): void {
    this.addon.mlock(this.mapping, offset, length);
  }

  unlock(offset: number, length: number): void {
    this.addon.munlock(this.mapping, offset, length);
  }

  unmap(): void {
    this.addon.munmap(this.mapping);
  }

  private adviceCode(advice: MadviseAdvice): number {
    const a = this.addon;
    const codes: Record<MadviseAdvice, number> = {
      normal: a.MADV_NORMAL,
      random: a.MADV_RANDOM,
      sequential: a.MADV_SEQUENTIAL,
      willneed: a.MADV_WILLNEED,
      dontneed: a.MADV_DONTNEED,
      populate: a.MADV_POPULATE_READ,
      'populate-write': a.MADV_POPULATE_WRITE,
    };
    return codes[advice];
  }
}
