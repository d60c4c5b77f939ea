// One file of the simulated disk (sim-disk.ts): its content, its length, its allocated blocks, and
// the changes made since its last sync, each with what it replaced, so a power cut can undo them.
//
// Invariants: bytes of `data` at or beyond `length` are zero (a file that grows again reads zeros
// there); `unsynced` is in write order; after `sync()` the current content is the durable one.
// `crash` keeps a seeded prefix of the unsynced changes, perhaps tearing the last kept one at a
// 512-byte sector boundary (pwrite and zeroRange only; a change inside one sector, ftruncate and
// fallocate are atomic), and undoes the rest, newest first. Block allocation is not undone by a
// crash (a conservative over-count of used space).
import { assert } from '../../src/util/assert.js';

export const SECTOR_BYTES = 512;
export const BLOCK_BYTES = 4096;
/** Unsynced changes one file may hold; a store that never syncs a file this long is a bug. */
const MAX_UNSYNCED_WRITES_PER_FILE = 1_000_000;
/** Growth step cap of the content buffer beyond what a write needs. */
const MAX_GROWTH_SLACK_BYTES = 64 << 20;

const ERRNO = {
  ENOENT: [-2, 'no such file or directory'],
  EIO: [-5, 'i/o error'],
  EBADF: [-9, 'bad file descriptor'],
  ENOTDIR: [-20, 'not a directory'],
  EISDIR: [-21, 'illegal operation on a directory'],
  EINVAL: [-22, 'invalid argument'],
  ENOSPC: [-28, 'no space left on device'],
  ENOTEMPTY: [-39, 'directory not empty'],
} as const;

/** An error shaped like Node's fs errors: "EIO: i/o error, fdatasync '/path'", code, errno, syscall, path. */
export function errnoError(code: keyof typeof ERRNO, syscall: string, path?: string): NodeJS.ErrnoException {
  const [errno, text] = ERRNO[code];
  const err = new Error(`${code}: ${text}, ${syscall}${path === undefined ? '' : ` '${path}'`}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/** What a crash did, for a trace. */
export interface CrashReport {
  filesWithUnsyncedWrites: number;
  writesLost: number;
  writesTorn: number;
}

/** One unsynced change, with what it replaced. */
interface UnsyncedWrite {
  /** First byte changed, and the end of the change (exclusive). */
  position: number;
  end: number;
  /** The bytes [position, min(end, lengthBefore)) held before. */
  before: Uint8Array;
  lengthBefore: number;
  tearable: boolean;
}

export class SimFile {
  private data = new Uint8Array(0);
  private unsynced: UnsyncedWrite[] = [];
  /** Allocated 4 KiB blocks (1 = allocated). */
  private blocks = new Uint8Array(0);
  length = 0;

  constructor(
    readonly id: number,
    public mtimeMs: number,
  ) {}

  get unsyncedCount(): number {
    return this.unsynced.length;
  }

  /** The current content (a copy). */
  content(): Uint8Array {
    return this.data.slice(0, this.length);
  }

  read(target: Uint8Array, position: number): number {
    const n = Math.max(0, Math.min(target.byteLength, this.length - position));
    target.set(this.data.subarray(position, position + n));
    return n;
  }

  /** Blocks [from, to) would need that are not allocated yet. */
  blocksNeeded(from: number, to: number): number {
    let needed = 0;
    for (let b = Math.floor(from / BLOCK_BYTES); b < Math.ceil(to / BLOCK_BYTES); b++) needed += 1 - (this.blocks[b] ?? 0);
    return needed;
  }

  allocatedBlocks(): number {
    let n = 0;
    for (const b of this.blocks) n += b;
    return n;
  }

  write(source: Uint8Array, position: number, nowMs: number): void {
    this.change(position, position + source.byteLength, true, nowMs, () => this.data.set(source, position));
  }

  zero(from: number, to: number, nowMs: number): void {
    this.change(from, to, true, nowMs, () => this.data.fill(0, from, to));
  }

  allocate(from: number, to: number, nowMs: number): void {
    this.change(from, to, false, nowMs, () => {});
  }

  truncate(length: number, nowMs: number): void {
    this.record(Math.min(length, this.length), Math.max(length, this.length), false);
    this.ensureCapacity(length);
    if (length < this.length) {
      this.data.fill(0, length, this.length);
      this.blocks.fill(0, Math.ceil(length / BLOCK_BYTES));
    }
    this.length = length;
    this.mtimeMs = nowMs;
  }

  sync(): void {
    this.unsynced = [];
  }

  /** A power cut: keep a seeded prefix of the unsynced changes (the last perhaps torn), undo the rest. */
  crash(rng: () => number, report: CrashReport): void {
    const writes = this.unsynced;
    this.unsynced = [];
    if (writes.length === 0) return;
    report.filesWithUnsyncedWrites++;
    const kept = Math.min(writes.length, Math.floor(rng() * (writes.length + 1)));
    for (let i = writes.length - 1; i >= kept; i--) this.undo(writes[i]!, writes[i]!.position);
    report.writesLost += writes.length - kept;
    const last = kept > 0 ? writes[kept - 1]! : undefined;
    if (!last || !last.tearable || rng() < 0.5) return;
    const firstBoundary = Math.floor(last.position / SECTOR_BYTES) * SECTOR_BYTES + SECTOR_BYTES;
    const boundaries = Math.ceil((last.end - firstBoundary) / SECTOR_BYTES);
    if (boundaries <= 0) return; // inside one sector: atomic
    const cut = firstBoundary + Math.min(boundaries - 1, Math.floor(rng() * boundaries)) * SECTOR_BYTES;
    this.undo(last, cut);
    report.writesTorn++;
  }

  /** Apply a change of [from, to), growing the file to `to`, recording it for a crash. */
  private change(from: number, to: number, tearable: boolean, nowMs: number, apply: () => void): void {
    assert(Number.isSafeInteger(from) && from >= 0 && to >= from, `sim disk: bad range [${from}, ${to})`);
    this.allocateBlocks(from, to);
    this.record(from, to, tearable);
    this.ensureCapacity(to);
    apply();
    this.length = Math.max(this.length, to);
    this.mtimeMs = nowMs;
  }

  private record(from: number, to: number, tearable: boolean): void {
    assert(this.unsynced.length < MAX_UNSYNCED_WRITES_PER_FILE, `sim disk: more than ${MAX_UNSYNCED_WRITES_PER_FILE} unsynced writes to one file`);
    const before = this.data.slice(from, Math.max(from, Math.min(to, this.length)));
    this.unsynced.push({ position: from, end: to, before, lengthBefore: this.length, tearable });
  }

  /** Undo `w` from byte `from` on (from = w.position: all of it): restore the old bytes and length. */
  private undo(w: UnsyncedWrite, from: number): void {
    const restoreEnd = Math.min(w.end, Math.max(from, w.lengthBefore));
    if (from < restoreEnd) this.data.set(w.before.subarray(from - w.position, restoreEnd - w.position), from);
    const length = from === w.position ? w.lengthBefore : Math.max(w.lengthBefore, from);
    if (length < this.length) this.data.fill(0, length, this.length);
    this.length = length;
  }

  private allocateBlocks(from: number, to: number): void {
    if (to === from) return;
    const last = Math.ceil(to / BLOCK_BYTES);
    if (this.blocks.byteLength < last) {
      const grown = new Uint8Array(Math.max(last, this.blocks.byteLength * 2));
      grown.set(this.blocks);
      this.blocks = grown;
    }
    this.blocks.fill(1, Math.floor(from / BLOCK_BYTES), last);
  }

  private ensureCapacity(length: number): void {
    if (this.data.byteLength >= length) return;
    const grown = new Uint8Array(Math.max(length, Math.min(this.data.byteLength * 2, length + MAX_GROWTH_SLACK_BYTES)));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}
