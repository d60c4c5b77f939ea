// The simulator's disk: a FileIO entirely in memory (virtual absolute paths such as /sim/n0/...;
// no real file is touched), deterministic, with a power cut and fault injection. Randomness
// comes only from the `rng` passed to `crash` (a seeded PRNG: the same seed gives the same
// crash).
//
// Durability model (what a Linux file system such as ext4 or xfs promises, and no more):
//   - File content. Each file has its durable content plus the writes (pwrite, zeroRange,
//     ftruncate, allocate) made since its last successful fdatasync/fsync, in write order.
//     fdatasync and fsync make all of them durable (content and length; they are the same here).
//   - Names. A create, rename or unlink changes the directory at once for every reader, but is
//     durable only once that directory is fsynced (fsyncDir), which makes all of the directory's
//     current entries durable. A file that was created and fsynced but whose directory was never
//     fsynced has no durable name: it vanishes at a power cut, data and all; an unlinked file
//     whose removal was not fsynced comes back with its durable content; a rename not fsynced
//     reverts. A new directory is itself a name in its parent. (A real file system may also
//     persist a name change earlier, on its own journal commit; this model always reverts.)
//   - crash(rng): a power cut. Names revert to what each directory last fsynced. For each file,
//     a seeded random prefix, in write order, of its unsynced writes survives and the rest is
//     lost; the last surviving write may be torn at a 512-byte sector boundary (a prefix of it,
//     ending on a boundary inside it, survives; a write inside one sector is atomic). Every open
//     descriptor is closed (the process died: later calls on them fail with EBADF) and the boot
//     number moves on, so `realpath` names a new process's view of the same directory.
//   - crashAfter(calls, rng): the power cut comes after that many more FileIO calls that change
//     or sync something, so it can fall between a write and its sync, or between a rename and
//     the directory fsync. From then on the machine is off: every call throws EIO until
//     `powerOn()` (the dead process's timers must not touch the disk the next boot sees).
//   - A failed sync (injected EIO) leaves the writes unsynced: a later successful sync would make
//     them durable, which is kinder than Linux (which may drop the failed pages); the store
//     fail-stops at the first failure, so it never relies on that.
//
// Fault injection: `failSyncs(count, match)` makes the next `count` fdatasync/fsync/fsyncDir
// calls on matching paths throw EIO shaped like Node's errno errors (code, errno, syscall, path);
// `setSpaceLimit(bytes)` makes writes that need blocks past the budget throw ENOSPC (allocation is
// counted in 4 KiB blocks: written or allocated ranges; ftruncate alone is sparse, as on ext4).
// Capabilities: no mmap, O_DIRECT or sendfile; fallocate reserves blocks (so allocate counts
// against the budget). fdatasyncAsync runs the sync in a microtask (deterministic). The store
// must run its persistence service in-thread (flushServiceInWorker=false): a worker thread opens
// its own, real, FileIO.
import { posix } from 'node:path';
import { ErrorCode, StoreError } from '../../src/errors.js';
import type { FileIO, FileStat, MappedRegion, OpenOptions, SendfileResult } from '../../src/io/file-io.js';
import { assert } from '../../src/util/assert.js';
import type { Clock } from '../../src/util/clock.js';

const SECTOR_BYTES = 512;
const BLOCK_BYTES = 4096;
/** Unsynced writes one file may hold; a store that never syncs a file this long is a bug. */
const MAX_UNSYNCED_WRITES_PER_FILE = 1_000_000;
/** Directory depth bound of path resolution. */
const MAX_PATH_DEPTH = 128;

const ERRNO: Record<string, [number, string]> = {
  ENOENT: [-2, 'no such file or directory'],
  EIO: [-5, 'i/o error'],
  EBADF: [-9, 'bad file descriptor'],
  EEXIST: [-17, 'file already exists'],
  ENOTDIR: [-20, 'not a directory'],
  EISDIR: [-21, 'illegal operation on a directory'],
  EINVAL: [-22, 'invalid argument'],
  ENOSPC: [-28, 'no space left on device'],
  ENOTEMPTY: [-39, 'directory not empty'],
};

/** An error shaped like Node's fs errors: "EIO: i/o error, fdatasync '/path'", code, errno, syscall, path. */
export function errnoError(code: keyof typeof ERRNO, syscall: string, path?: string): NodeJS.ErrnoException {
  const [errno, text] = ERRNO[code]!;
  const err = new Error(`${code}: ${text}, ${syscall}${path === undefined ? '' : ` '${path}'`}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/** One unsynced change of a file, with what it replaced (to undo it at a crash). */
interface UnsyncedWrite {
  /** First byte changed, and the end of the change (exclusive). */
  position: number;
  end: number;
  /** The bytes [position, min(end, lengthBefore)) held before. */
  before: Uint8Array;
  lengthBefore: number;
  /** pwrite and zeroRange may tear at a sector boundary; ftruncate and allocate are atomic. */
  tearable: boolean;
}

interface Inode {
  readonly id: number;
  data: Uint8Array;
  length: number;
  mtimeMs: number;
  unsynced: UnsyncedWrite[];
  /** Allocated 4 KiB blocks (1 = allocated). */
  blocks: Uint8Array;
}

interface Dir {
  readonly id: number;
  entries: Map<string, Node>;
  durable: Map<string, Node>;
}

type Node = { kind: 'file'; inode: Inode } | { kind: 'dir'; dir: Dir };

interface OpenFile {
  inode: Inode;
  path: string;
  writable: boolean;
}

interface SyncFault {
  remaining: number;
  match: (path: string, syscall: string) => boolean;
}

export interface SimDiskOptions {
  /** Names the disk in `realpath` (several disks in one process keep distinct lock keys). */
  name?: string;
  /** File modification times (retention ages); pass the simulation's clock. */
  clock: Pick<Clock, 'nowMs'>;
}

/** What `crash` did, for a trace. */
export interface CrashReport {
  filesWithUnsyncedWrites: number;
  writesLost: number;
  writesTorn: number;
}

export class SimDisk implements FileIO {
  readonly backend = 'node' as const;
  readonly capabilities = { mmap: false, directIo: false, sendfile: false, fallocate: true };
  readonly directAlignment = BLOCK_BYTES;
  readonly name: string;
  private readonly clock: Pick<Clock, 'nowMs'>;
  private root: Dir;
  private readonly fds = new Map<number, OpenFile>();
  private nextFd = 3;
  private nextId = 1;
  private bootNumber = 0;
  private syncFaults: SyncFault[] = [];
  private spaceLimitBytes: number | null = null;
  private pendingCrash: { afterCalls: number; rng: () => number } | null = null;
  private off = false;
  /** The last crash's report (set when `crashAfter` fired). */
  lastCrash: CrashReport | null = null;
  /** Counts of calls, for tests and traces. */
  readonly counters = { fdatasync: 0, fsync: 0, fsyncDir: 0, pwrite: 0, crashes: 0 };

  constructor(options: SimDiskOptions) {
    this.name = options.name ?? 'disk';
    this.clock = options.clock;
    this.root = this.newDir();
  }

  get boot(): number {
    return this.bootNumber;
  }

  // ---- fault injection and the power cut

  /** The next `count` fdatasync/fsync/fsyncDir calls whose path matches throw EIO. */
  failSyncs(count: number, match: (path: string, syscall: string) => boolean = () => true): void {
    assert(Number.isInteger(count) && count >= 0, 'failSyncs count must be a non-negative integer');
    this.syncFaults.push({ remaining: count, match });
  }

  /** Writes needing blocks beyond `bytes` in total throw ENOSPC; null removes the limit. */
  setSpaceLimit(bytes: number | null): void {
    this.spaceLimitBytes = bytes;
  }

  /** Remove every injected sync failure and the space limit. */
  clearFaults(): void {
    this.syncFaults = [];
    this.spaceLimitBytes = null;
  }

  /** Bytes of allocated blocks of every file that still has a name or an open descriptor. */
  usedBytes(): number {
    let blocks = 0;
    for (const inode of this.liveInodes()) for (const b of inode.blocks) blocks += b;
    return blocks * BLOCK_BYTES;
  }

  /** A power cut after `calls` more changing calls (see the header). */
  crashAfter(calls: number, rng: () => number): void {
    assert(Number.isInteger(calls) && calls >= 0, 'crashAfter calls must be a non-negative integer');
    this.pendingCrash = { afterCalls: calls, rng };
  }

  /** Whether the machine is off (a `crashAfter` power cut happened and `powerOn` was not called). */
  get isOff(): boolean {
    return this.off;
  }

  /** Boot again after a `crashAfter` power cut. */
  powerOn(): void {
    this.off = false;
  }

  /** A power cut now (see the header). */
  crash(rng: () => number): CrashReport {
    this.pendingCrash = null;
    const report: CrashReport = { filesWithUnsyncedWrites: 0, writesLost: 0, writesTorn: 0 };
    const inodes = new Set([...this.liveInodes(), ...this.durableInodes()]);
    for (const inode of [...inodes].sort((a, b) => a.id - b.id)) this.crashFile(inode, rng, report);
    this.revertNames(this.root);
    this.fds.clear();
    this.bootNumber++;
    this.counters.crashes++;
    return report;
  }

  // ---- inspection (tests, traces)

  /** The current content of a file (what a reader sees now). */
  readFile(path: string): Uint8Array {
    const inode = this.fileAt(path, 'open');
    return inode.data.slice(0, inode.length);
  }

  /** Writes to the file at `path` not yet made durable by a sync. */
  unsyncedWriteCount(path: string): number {
    return this.fileAt(path, 'stat').unsynced.length;
  }

  /** Names in `dir` that would survive a crash now. */
  durableNames(dir: string): string[] {
    return [...this.dirAt(dir, 'scandir').durable.keys()].sort();
  }

  // ---- FileIO: descriptors

  open(path: string, options: OpenOptions = {}): number {
    if (options.create && !this.exists(path)) this.changing('open', path);
    else this.enter('open', path);
    if (options.direct) throw new StoreError(ErrorCode.UNSUPPORTED, 'O_DIRECT is not simulated (the sim disk reports directIo false)');
    const { parent, name } = this.parentOf(path, 'open');
    let node = parent.entries.get(name);
    if (!node) {
      if (!options.create) throw errnoError('ENOENT', 'open', path);
      node = { kind: 'file', inode: this.newInode() };
      parent.entries.set(name, node);
    }
    if (node.kind === 'dir') throw errnoError('EISDIR', 'open', path);
    const fd = this.nextFd++;
    this.fds.set(fd, { inode: node.inode, path: posix.resolve('/', path), writable: options.write !== false });
    return fd;
  }

  close(fd: number): void {
    this.enter('close');
    if (!this.fds.delete(fd)) throw errnoError('EBADF', 'close');
  }

  pread(fd: number, target: Uint8Array, position: number): number {
    this.enter('read');
    const { inode } = this.file(fd, 'read');
    const n = Math.max(0, Math.min(target.byteLength, inode.length - position));
    target.set(inode.data.subarray(position, position + n));
    return n;
  }

  pwrite(fd: number, source: Uint8Array, position: number): number {
    this.changing('write');
    const f = this.writableFile(fd, 'write');
    this.counters.pwrite++;
    this.change(f, 'write', position, position + source.byteLength, true, (inode) => inode.data.set(source, position));
    return source.byteLength;
  }

  zeroRange(fd: number, offset: number, length: number): void {
    this.changing('fallocate');
    const f = this.writableFile(fd, 'fallocate');
    this.change(f, 'fallocate', offset, offset + length, true, (inode) => inode.data.fill(0, offset, offset + length));
  }

  allocate(fd: number, offset: number, length: number): void {
    this.changing('fallocate');
    const f = this.writableFile(fd, 'fallocate');
    this.change(f, 'fallocate', offset, offset + length, false, () => {});
  }

  ftruncate(fd: number, length: number): void {
    this.changing('ftruncate');
    const f = this.writableFile(fd, 'ftruncate');
    const inode = f.inode;
    const from = Math.min(length, inode.length);
    const to = Math.max(length, inode.length);
    this.recordUnsynced(inode, from, to, false);
    this.ensureCapacity(inode, length);
    if (length < inode.length) {
      inode.data.fill(0, length, inode.length);
      inode.blocks.fill(0, Math.ceil(length / BLOCK_BYTES));
    }
    inode.length = length;
    inode.mtimeMs = this.clock.nowMs();
  }

  size(fd: number): number {
    this.enter('fstat');
    return this.file(fd, 'fstat').inode.length;
  }

  fdatasync(fd: number): void {
    this.sync(fd, 'fdatasync');
  }

  fsync(fd: number): void {
    this.sync(fd, 'fsync');
  }

  fdatasyncAsync(fd: number): Promise<void> {
    return Promise.resolve().then(() => this.fdatasync(fd));
  }

  allocAligned(size: number): Uint8Array {
    return new Uint8Array(size);
  }

  mmap(): MappedRegion {
    throw new StoreError(ErrorCode.UNSUPPORTED, 'mmap is not simulated (the sim disk reports mmap false)');
  }

  sendfile(): SendfileResult {
    throw new StoreError(ErrorCode.UNSUPPORTED, 'sendfile is not simulated (the sim disk reports sendfile false)');
  }

  // ---- FileIO: names and directories

  rename(from: string, to: string): void {
    this.changing('rename', from);
    const src = this.parentOf(from, 'rename');
    const node = src.parent.entries.get(src.name);
    if (!node) throw errnoError('ENOENT', 'rename', from);
    const dst = this.parentOf(to, 'rename');
    const existing = dst.parent.entries.get(dst.name);
    if (existing === node) return;
    if (existing?.kind === 'dir' && (node.kind === 'file' || existing.dir.entries.size > 0)) {
      throw errnoError(node.kind === 'file' ? 'EISDIR' : 'ENOTEMPTY', 'rename', to);
    }
    if (existing?.kind === 'file' && node.kind === 'dir') throw errnoError('ENOTDIR', 'rename', to);
    src.parent.entries.delete(src.name);
    dst.parent.entries.set(dst.name, node);
  }

  unlink(path: string): void {
    this.changing('unlink', path);
    const { parent, name } = this.parentOf(path, 'unlink');
    const node = parent.entries.get(name);
    if (!node) throw errnoError('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw errnoError('EISDIR', 'unlink', path);
    parent.entries.delete(name);
  }

  readdir(dir: string): string[] {
    this.enter('scandir', dir);
    return [...this.dirAt(dir, 'scandir').entries.keys()].sort();
  }

  mkdirp(dir: string): void {
    if (!this.exists(dir)) this.changing('mkdir', dir);
    else this.enter('mkdir', dir);
    let at = this.root;
    for (const part of components(dir)) {
      const node = at.entries.get(part);
      if (node?.kind === 'file') throw errnoError('ENOTDIR', 'mkdir', dir);
      if (node) {
        at = node.dir;
        continue;
      }
      const created = this.newDir();
      at.entries.set(part, { kind: 'dir', dir: created });
      at = created;
    }
  }

  exists(path: string): boolean {
    this.enter('access', path);
    return this.lookup(path) !== undefined;
  }

  fsyncDir(dir: string): void {
    this.changing('fsync', dir);
    const d = this.dirAt(dir, 'open');
    this.checkSyncFault(posix.resolve('/', dir), 'fsync');
    this.counters.fsyncDir++;
    d.durable = new Map(d.entries);
  }

  stat(path: string): FileStat {
    this.enter('stat', path);
    const node = this.lookup(path);
    if (!node) throw errnoError('ENOENT', 'stat', path);
    if (node.kind === 'dir') return { sizeBytes: BLOCK_BYTES, mtimeMs: 0, isDirectory: true };
    return { sizeBytes: node.inode.length, mtimeMs: node.inode.mtimeMs, isDirectory: false };
  }

  realpath(path: string): string {
    this.enter('realpath', path);
    if (!this.exists(path)) throw errnoError('ENOENT', 'realpath', path);
    return `sim-disk:${this.name}:boot${this.bootNumber}:${posix.resolve('/', path)}`;
  }

  // ---- internals

  /** Every FileIO call starts here: refused while the machine is off. */
  private enter(syscall: string, path?: string): void {
    if (this.off) throw errnoError('EIO', syscall, path);
  }

  /** Every changing or syncing call also counts towards a scheduled power cut, which comes
   * instead of the call (so the call has no effect). */
  private changing(syscall: string, path?: string): void {
    this.enter(syscall, path);
    const p = this.pendingCrash;
    if (p === null) return;
    if (p.afterCalls > 0) {
      p.afterCalls--;
      return;
    }
    this.lastCrash = this.crash(p.rng);
    this.off = true;
    throw errnoError('EIO', syscall, path);
  }

  private newInode(): Inode {
    return { id: this.nextId++, data: new Uint8Array(0), length: 0, mtimeMs: this.clock.nowMs(), unsynced: [], blocks: new Uint8Array(0) };
  }

  private newDir(): Dir {
    return { id: this.nextId++, entries: new Map(), durable: new Map() };
  }

  private file(fd: number, syscall: string): OpenFile {
    const f = this.fds.get(fd);
    if (!f) throw errnoError('EBADF', syscall);
    return f;
  }

  private writableFile(fd: number, syscall: string): OpenFile {
    const f = this.file(fd, syscall);
    if (!f.writable) throw errnoError('EBADF', syscall);
    return f;
  }

  /** Apply a change of [from, to) (growing the file to `to`), after the space check, recording it for a crash. */
  private change(f: OpenFile, syscall: string, from: number, to: number, tearable: boolean, apply: (inode: Inode) => void): void {
    assert(Number.isSafeInteger(from) && from >= 0 && to >= from, `sim disk: bad range [${from}, ${to})`);
    const inode = f.inode;
    this.reserveBlocks(inode, from, to, syscall, f.path);
    this.recordUnsynced(inode, from, to, tearable);
    this.ensureCapacity(inode, to);
    apply(inode);
    inode.length = Math.max(inode.length, to);
    inode.mtimeMs = this.clock.nowMs();
  }

  private recordUnsynced(inode: Inode, from: number, to: number, tearable: boolean): void {
    assert(inode.unsynced.length < MAX_UNSYNCED_WRITES_PER_FILE, `sim disk: more than ${MAX_UNSYNCED_WRITES_PER_FILE} unsynced writes to one file`);
    const before = inode.data.slice(from, Math.max(from, Math.min(to, inode.length)));
    inode.unsynced.push({ position: from, end: to, before, lengthBefore: inode.length, tearable });
  }

  private reserveBlocks(inode: Inode, from: number, to: number, syscall: string, path: string): void {
    if (to === from) return;
    const first = Math.floor(from / BLOCK_BYTES);
    const last = Math.ceil(to / BLOCK_BYTES);
    if (inode.blocks.byteLength < last) {
      const grown = new Uint8Array(Math.max(last, inode.blocks.byteLength * 2));
      grown.set(inode.blocks);
      inode.blocks = grown;
    }
    if (this.spaceLimitBytes !== null) {
      let needed = 0;
      for (let b = first; b < last; b++) needed += 1 - inode.blocks[b]!;
      if (needed > 0 && this.usedBytes() + needed * BLOCK_BYTES > this.spaceLimitBytes) throw errnoError('ENOSPC', syscall, path);
    }
    inode.blocks.fill(1, first, last);
  }

  private ensureCapacity(inode: Inode, length: number): void {
    if (inode.data.byteLength >= length) return;
    const grown = new Uint8Array(Math.max(length, Math.min(inode.data.byteLength * 2, length + (64 << 20))));
    grown.set(inode.data.subarray(0, inode.length));
    inode.data = grown;
  }

  private sync(fd: number, syscall: 'fdatasync' | 'fsync'): void {
    this.changing(syscall);
    const f = this.file(fd, syscall);
    this.checkSyncFault(f.path, syscall);
    this.counters[syscall]++;
    f.inode.unsynced = [];
  }

  private checkSyncFault(path: string, syscall: string): void {
    for (const fault of this.syncFaults) {
      if (fault.remaining > 0 && fault.match(path, syscall)) {
        fault.remaining--;
        this.syncFaults = this.syncFaults.filter((x) => x.remaining > 0);
        throw errnoError('EIO', syscall, path);
      }
    }
  }

  /** Keep a seeded prefix of the file's unsynced writes (the last one perhaps torn), undo the rest. */
  private crashFile(inode: Inode, rng: () => number, report: CrashReport): void {
    const writes = inode.unsynced;
    inode.unsynced = [];
    if (writes.length === 0) return;
    report.filesWithUnsyncedWrites++;
    const kept = Math.min(writes.length, Math.floor(rng() * (writes.length + 1)));
    for (let i = writes.length - 1; i >= kept; i--) undo(inode, writes[i]!, writes[i]!.position);
    report.writesLost += writes.length - kept;
    const last = kept > 0 ? writes[kept - 1]! : undefined;
    if (!last || !last.tearable || rng() < 0.5) return;
    const firstBoundary = Math.floor(last.position / SECTOR_BYTES) * SECTOR_BYTES + SECTOR_BYTES;
    const boundaries = Math.ceil((last.end - firstBoundary) / SECTOR_BYTES);
    if (boundaries <= 0) return; // inside one sector: atomic
    const cut = firstBoundary + Math.min(boundaries - 1, Math.floor(rng() * boundaries)) * SECTOR_BYTES;
    undo(inode, last, cut);
    report.writesTorn++;
  }

  /** Every directory reachable through durable names takes its durable entries back. */
  private revertNames(dir: Dir): void {
    const stack: Dir[] = [dir];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d.id)) continue;
      seen.add(d.id);
      d.entries = new Map(d.durable);
      for (const node of d.entries.values()) if (node.kind === 'dir') stack.push(node.dir);
    }
  }

  private liveInodes(): Set<Inode> {
    const out = new Set<Inode>();
    for (const f of this.fds.values()) out.add(f.inode);
    this.walk(this.root, 'entries', out);
    return out;
  }

  private durableInodes(): Set<Inode> {
    const out = new Set<Inode>();
    this.walk(this.root, 'durable', out);
    return out;
  }

  private walk(root: Dir, which: 'entries' | 'durable', out: Set<Inode>): void {
    const stack: Dir[] = [root];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d.id)) continue;
      seen.add(d.id);
      for (const node of d[which].values()) {
        if (node.kind === 'file') out.add(node.inode);
        else stack.push(node.dir);
      }
    }
  }

  private lookup(path: string): Node | undefined {
    let node: Node = { kind: 'dir', dir: this.root };
    for (const part of components(path)) {
      if (node.kind !== 'dir') return undefined;
      const next: Node | undefined = node.dir.entries.get(part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  private dirAt(path: string, syscall: string): Dir {
    const node = this.lookup(path);
    if (!node) throw errnoError('ENOENT', syscall, path);
    if (node.kind !== 'dir') throw errnoError('ENOTDIR', syscall, path);
    return node.dir;
  }

  private fileAt(path: string, syscall: string): Inode {
    const node = this.lookup(path);
    if (!node) throw errnoError('ENOENT', syscall, path);
    if (node.kind !== 'file') throw errnoError('EISDIR', syscall, path);
    return node.inode;
  }

  private parentOf(path: string, syscall: string): { parent: Dir; name: string } {
    const parts = components(path);
    const name = parts.pop();
    if (name === undefined) throw errnoError('EINVAL', syscall, path);
    const parentNode = this.lookup(`/${parts.join('/')}`);
    if (!parentNode) throw errnoError('ENOENT', syscall, path);
    if (parentNode.kind !== 'dir') throw errnoError('ENOTDIR', syscall, path);
    return { parent: parentNode.dir, name };
  }
}

/** Undo `w` from byte `from` on (from = w.position: all of it): restore the old bytes and length. */
function undo(inode: Inode, w: UnsyncedWrite, from: number): void {
  const keepEnd = Math.min(w.end, Math.max(from, w.lengthBefore));
  if (from < keepEnd) inode.data.set(w.before.subarray(from - w.position, keepEnd - w.position), from);
  const length = Math.max(w.lengthBefore, from === w.position ? w.lengthBefore : from);
  if (length < inode.length) inode.data.fill(0, length, inode.length);
  inode.length = length;
}

function components(path: string): string[] {
  const parts = posix.resolve('/', path).split('/').filter((p) => p !== '');
  assert(parts.length <= MAX_PATH_DEPTH, `sim disk: path deeper than ${MAX_PATH_DEPTH}: ${path}`);
  return parts;
}
