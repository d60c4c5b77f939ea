// One fixed-size segment file: its start offset, size, path and open descriptor. Creating a
// segment reserves its blocks where the backend can (fallocate), so a full disk shows up when
// a segment is created, not in the middle of a record. Positions inside it are kept by the
// owner (commit log or consume queue), not here.
//
// Durability of the name: a new file is fsynced (its length) and then its directory (its name)
// before it is used, so a power cut never leaves a log whose data was flushed into a file the
// directory does not name, nor a zero-length file before a later one. Destroying a file
// removes it and fsyncs the directory.
import { dirname, join } from 'node:path';
import type { FileIO } from '../io/file-io.js';
import { segmentFileName } from './segment-name.js';

export class SegmentFile {
  private open = true;

  private constructor(
    readonly io: FileIO,
    readonly path: string,
    readonly fromOffset: number,
    readonly sizeBytes: number,
    readonly fd: number,
  ) {}

  get endOffset(): number {
    return this.fromOffset + this.sizeBytes;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** A new file at full length. With `reserve`, blocks are allocated (fallocate) up front. */
  static create(io: FileIO, dir: string, fromOffset: number, sizeBytes: number, reserve: boolean): SegmentFile {
    const path = join(dir, segmentFileName(fromOffset));
    const fd = io.open(path, { create: true });
    try {
      if (reserve && io.capabilities.fallocate) io.allocate(fd, 0, sizeBytes);
      else io.ftruncate(fd, sizeBytes);
      io.fsync(fd);
      io.fsyncDir(dir);
    } catch (err) {
      io.close(fd);
      if (io.exists(path)) io.unlink(path);
      throw err;
    }
    return new SegmentFile(io, path, fromOffset, sizeBytes, fd);
  }

  /** An existing file (its length is checked by the caller). */
  static openExisting(io: FileIO, path: string, fromOffset: number, sizeBytes: number): SegmentFile {
    return new SegmentFile(io, path, fromOffset, sizeBytes, io.open(path));
  }

  contains(offset: number): boolean {
    return offset >= this.fromOffset && offset < this.endOffset;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.io.close(this.fd);
  }

  /** Close and remove the file (a file already gone is not an error). */
  destroy(): void {
    this.close();
    if (!this.io.exists(this.path)) return;
    this.io.unlink(this.path);
    this.io.fsyncDir(dirname(this.path));
  }
}
