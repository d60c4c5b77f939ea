// The pure-Node FileIO backend: `fs` pwrite/pread/fdatasync only. No mmap, no sendfile;
// O_DIRECT is reported unavailable because Node cannot allocate aligned memory.
import * as fs from 'node:fs';
import { ErrorCode, StoreError } from '../errors.js';
import { FsNameOperations } from './fs-names.js';
import type { FileIO, MappedRegion, OpenOptions, SendfileResult } from './file-io.js';

/** Chunk used to reserve space by writing zeros (Node has no fallocate). */
const ZERO_CHUNK_BYTES = 1 << 20;

export class NodeFileIO extends FsNameOperations implements FileIO {
  readonly backend = 'node' as const;
  readonly capabilities = { mmap: false, directIo: false, sendfile: false, fallocate: false };
  readonly directAlignment = 4096;
  private zeros: Uint8Array | undefined;

  open(path: string, options: OpenOptions = {}): number {
    if (options.direct) throw unsupported('O_DIRECT');
    const { O_RDWR, O_RDONLY, O_CREAT } = fs.constants;
    const flags = (options.write === false ? O_RDONLY : O_RDWR) | (options.create ? O_CREAT : 0);
    return fs.openSync(path, flags, 0o644);
  }

  close(fd: number): void {
    fs.closeSync(fd);
  }

  pread(fd: number, target: Uint8Array, position: number): number {
    let done = 0;
    while (done < target.byteLength) {
      const n = fs.readSync(fd, target, done, target.byteLength - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  pwrite(fd: number, source: Uint8Array, position: number): number {
    let done = 0;
    while (done < source.byteLength) {
      done += fs.writeSync(fd, source, done, source.byteLength - done, position + done);
    }
    return done;
  }

  fdatasync(fd: number): void {
    fs.fdatasyncSync(fd);
  }

  fsync(fd: number): void {
    fs.fsyncSync(fd);
  }

  ftruncate(fd: number, length: number): void {
    fs.ftruncateSync(fd, length);
  }

  allocate(fd: number, offset: number, length: number): void {
    this.zeroRange(fd, offset, length);
  }

  zeroRange(fd: number, offset: number, length: number): void {
    this.zeros ??= new Uint8Array(ZERO_CHUNK_BYTES);
    for (let at = offset; at < offset + length; at += ZERO_CHUNK_BYTES) {
      const n = Math.min(ZERO_CHUNK_BYTES, offset + length - at);
      this.pwrite(fd, this.zeros.subarray(0, n), at);
    }
  }

  size(fd: number): number {
    return fs.fstatSync(fd).size;
  }

  allocAligned(size: number): Uint8Array {
    return new Uint8Array(new SharedArrayBuffer(size));
  }

  mmap(): MappedRegion {
    throw unsupported('mmap');
  }

  sendfile(): SendfileResult {
    throw unsupported('sendfile');
  }
}

function unsupported(what: string): StoreError {
  return new StoreError(ErrorCode.UNSUPPORTED, `${what} needs the native IO addon; the node IO backend is in use`);
}
