// The simulator's disk: a FileIO entirely in memory (virtual absolute paths such as /sim/n0/...;
// no real file is touched), deterministic, with a power cut and fault injection. Randomness
// comes only from the `rng` passed to `crash` (a seeded PRNG: the same seed gives the same
// crash). One file's content and its unsynced changes live in sim-disk-file.ts; this file holds
// the names (directories and their durable entries), descriptors, faults and the FileIO surface.
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
//   - kill(): the process dies, the machine does not: every write and name survives (what a
//     process kill leaves: the page cache), descriptors close, the boot number moves on.
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
import { BLOCK_BYTES, errnoError, SimFile, type CrashReport } from './sim-disk-file.js';

export { errnoError, type CrashReport } from './sim-disk-file.js';

/** Directory depth bound of path resolution. */
const MAX_PATH_DEPTH = 128;

interface Dir {
  readonly id: number;
  entries: Map<string, Node>;
  durable: Map<string, Node>;
}

type Node = { kind: 'file'; inode: SimFile } | { kind: 'dir'; dir: Dir };

interface OpenFile {
  inode: SimFile;
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
    for (const inode of this.liveInodes()) blocks += inode.allocatedBlocks();
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
    for (const inode of [...inodes].sort((a, b) => a.id - b.id)) inode.crash(rng, report);
    this.revertNames(this.root);
    this.fds.clear();
    this.bootNumber++;
    this.counters.crashes++;
    return report;
  }

  /** The process using the disk is killed (not a power cut): everything written survives, content
   * and names (the page cache and the directory entries are the kernel's); descriptors close and
   * the boot number moves on, like after crash(). */
  kill(): void {
    this.pendingCrash = null;
    for (const inode of this.liveInodes()) inode.sync();
    this.keepNames(this.root);
    this.fds.clear();
    this.bootNumber++;
    this.counters.crashes++;
  }

  // ---- inspection (tests, traces)

  /** The current content of a file (what a reader sees now). */
  readFile(path: string): Uint8Array {
    return this.fileAt(path, 'open').content();
  }

  /** Writes to the file at `path` not yet made durable by a sync. */
  unsyncedWriteCount(path: string): number {
    return this.fileAt(path, 'stat').unsyncedCount;
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
    return this.file(fd, 'read').inode.read(target, position);
  }

  pwrite(fd: number, source: Uint8Array, position: number): number {
    this.changing('write');
    const f = this.writableFile(fd, 'write');
    this.counters.pwrite++;
    this.reserve(f, 'write', position, position + source.byteLength);
    f.inode.write(source, position, this.clock.nowMs());
    return source.byteLength;
  }

  zeroRange(fd: number, offset: number, length: number): void {
    this.changing('fallocate');
    const f = this.writableFile(fd, 'fallocate');
    this.reserve(f, 'fallocate', offset, offset + length);
    f.inode.zero(offset, offset + length, this.clock.nowMs());
  }

  allocate(fd: number, offset: number, length: number): void {
    this.changing('fallocate');
    const f = this.writableFile(fd, 'fallocate');
    this.reserve(f, 'fallocate', offset, offset + length);
    f.inode.allocate(offset, offset + length, this.clock.nowMs());
  }

  ftruncate(fd: number, length: number): void {
    this.changing('ftruncate');
    this.writableFile(fd, 'ftruncate').inode.truncate(length, this.clock.nowMs());
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

  private newInode(): SimFile {
    return new SimFile(this.nextId++, this.clock.nowMs());
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

  /** ENOSPC when [from, to) needs blocks past the space budget (checked before anything changes). */
  private reserve(f: OpenFile, syscall: string, from: number, to: number): void {
    if (this.spaceLimitBytes === null) return;
    const needed = f.inode.blocksNeeded(from, to);
    if (needed > 0 && this.usedBytes() + needed * BLOCK_BYTES > this.spaceLimitBytes) throw errnoError('ENOSPC', syscall, f.path);
  }

  private sync(fd: number, syscall: 'fdatasync' | 'fsync'): void {
    this.changing(syscall);
    const f = this.file(fd, syscall);
    this.checkSyncFault(f.path, syscall);
    this.counters[syscall]++;
    f.inode.sync();
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

  /** Every directory reachable through durable names takes its durable entries back. */
  private keepNames(dir: Dir): void {
    const stack: Dir[] = [dir];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d.id)) continue;
      seen.add(d.id);
      d.durable = new Map(d.entries);
      for (const node of d.entries.values()) if (node.kind === 'dir') stack.push(node.dir);
    }
  }

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

  private liveInodes(): Set<SimFile> {
    const out = new Set<SimFile>();
    for (const f of this.fds.values()) out.add(f.inode);
    this.walk(this.root, 'entries', out);
    return out;
  }

  private durableInodes(): Set<SimFile> {
    const out = new Set<SimFile>();
    this.walk(this.root, 'durable', out);
    return out;
  }

  private walk(root: Dir, which: 'entries' | 'durable', out: Set<SimFile>): void {
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

  private fileAt(path: string, syscall: string): SimFile {
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

function components(path: string): string[] {
  const parts = posix.resolve('/', path).split('/').filter((p) => p !== '');
  assert(parts.length <= MAX_PATH_DEPTH, `sim disk: path deeper than ${MAX_PATH_DEPTH}: ${path}`);
  return parts;
}
