// The ordered list of segment files of one log (the CommitLog, or one ConsumeQueue):
// consecutive files differ by exactly the segment size. Loads a directory, finds the file
// for an offset, appends a new last file, and deletes files from either end. Every name
// operation goes through the FileIO; the directory is created (durably) with the first segment.
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { ensureDir } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import { SegmentFile } from './segment-file.js';
import { parseSegmentFileName } from './segment-name.js';

export class SegmentList {
  private readonly files: SegmentFile[] = [];

  constructor(
    readonly io: FileIO,
    readonly dir: string,
    readonly segmentBytes: number,
    private readonly reserveBlocks: boolean,
  ) {}

  /** Open every segment in the directory. A zero-length last file is deleted (an interrupted
   * creation); any other file of the wrong length, or a gap in the offsets, is an error. */
  load(logger: Logger): void {
    assert(this.files.length === 0, 'SegmentList.load on a list that is not empty');
    if (!this.io.exists(this.dir)) return;
    const names = this.io
      .readdir(this.dir)
      .map((name) => ({ name, offset: parseSegmentFileName(name) }))
      .filter((e): e is { name: string; offset: number } => e.offset !== null)
      .sort((a, b) => a.offset - b.offset);
    names.forEach(({ name, offset }, i) => {
      const path = join(this.dir, name);
      const length = this.io.stat(path).sizeBytes;
      if (length === 0 && i === names.length - 1) {
        logger.warn(`deleting empty last segment ${path} (an interrupted creation)`);
        this.io.unlink(path);
        this.io.fsyncDir(this.dir);
        return;
      }
      if (length !== this.segmentBytes) {
        throw new StoreError(ErrorCode.CORRUPT, `segment ${path} is ${length} bytes; the configured segment size is ${this.segmentBytes}`);
      }
      const previous = this.files.at(-1);
      if (previous && previous.endOffset !== offset) {
        throw new StoreError(ErrorCode.CORRUPT, `segment ${path} does not follow ${previous.path} (gap or overlap in offsets)`);
      }
      this.files.push(SegmentFile.openExisting(this.io, path, offset, this.segmentBytes));
    });
  }

  get count(): number {
    return this.files.length;
  }

  get first(): SegmentFile | undefined {
    return this.files[0];
  }

  get last(): SegmentFile | undefined {
    return this.files.at(-1);
  }

  at(index: number): SegmentFile | undefined {
    return this.files[index];
  }

  all(): readonly SegmentFile[] {
    return this.files;
  }

  /** The segment holding `offset`, by arithmetic on the first file's offset. */
  find(offset: number): SegmentFile | undefined {
    const first = this.files[0];
    if (!first || offset < first.fromOffset) return undefined;
    return this.files[Math.floor((offset - first.fromOffset) / this.segmentBytes)];
  }

  /** Create the next segment after the last one (or at `fromOffset` when the list is empty). */
  createNext(fromOffset?: number): SegmentFile {
    const last = this.last;
    const start = last ? last.endOffset : (fromOffset ?? 0);
    assert(start % this.segmentBytes === 0, `segment start ${start} is not a multiple of ${this.segmentBytes}`);
    ensureDir(this.io, this.dir);
    const file = SegmentFile.create(this.io, this.dir, start, this.segmentBytes, this.reserveBlocks);
    this.files.push(file);
    return file;
  }

  /** Delete every segment that starts at or after `offset` (recovery truncation). */
  dropFrom(offset: number): SegmentFile[] {
    const dropped: SegmentFile[] = [];
    while (this.last && this.last.fromOffset >= offset) {
      const f = this.files.pop()!;
      f.destroy();
      dropped.push(f);
    }
    return dropped;
  }

  /** Delete the first segment (retention). */
  dropFirst(): SegmentFile | undefined {
    const f = this.files.shift();
    f?.destroy();
    return f;
  }

  closeAll(): void {
    for (const f of this.files) f.close();
  }
}
