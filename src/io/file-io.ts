// The FileIO interface: the file primitives the store is built on, with two backends
// (native: the Rust addon; node: `fs` only). All calls are synchronous: they run on the
// writer thread for page-cache writes and on service worker threads for fdatasync and commits.
// Failures throw the errno error of the call (`code` such as EIO or ENOSPC, and `syscall`).
//
// Every durable write and every name operation of the store goes through a FileIO (segments,
// ConsumeQueues, checkpoint, consumer offsets, the epoch file, the lock and abort files,
// truncation, retention), so a fault-injecting FileIO — the simulator's disk, test/sim/sim-disk.ts
// — reaches all of them. Small whole files are written by io/atomic-file.ts. What still imports
// the fs module directly, and why it may:
//   io/fs-names.ts, node-file-io.ts, native-file-io.ts  the backends themselves
//   io/native-addon.ts      finds and loads the addon binary (not store state)
//   io/filesystem-info.ts, io/direct-io-probe.ts, store/disk-space.ts (statfs)  facts about the
//                           machine's file system, not the store's durable state
//   config/properties-file.ts  reads the user's .properties file (input, not state)
//   cli/* (version, verify, disk-profile, node)  tools run beside or instead of a store: the
//                           version file, read-only verification of a closed store directory,
//                           scratch files of the disk profile, the node's config file
// The persistence worker thread (flushServiceInWorker=true) opens its own backend by name, so an
// injected FileIO reaches the commit and flush service only when it runs in-thread.

export type IoBackendName = 'native' | 'node';
export type IoBackendChoice = 'auto' | IoBackendName;
export const IO_BACKEND_CHOICES: readonly IoBackendChoice[] = ['auto', 'native', 'node'];

export interface OpenOptions {
  /** Create the file if it does not exist (mode 0644). */
  create?: boolean;
  /** Open for writing as well as reading (default true). */
  write?: boolean;
  /** Bypass the page cache (O_DIRECT): buffers, offsets and lengths must be aligned. */
  direct?: boolean;
}

export interface IoCapabilities {
  mmap: boolean;
  directIo: boolean;
  sendfile: boolean;
  /** fallocate(2): reserve blocks without writing them. */
  fallocate: boolean;
}

export type MadviseAdvice = 'normal' | 'random' | 'sequential' | 'willneed' | 'dontneed' | 'populate' | 'populate-write';

/** A memory-mapped file range. Unmapped by `unmap()` or when garbage collected. */
export interface MappedRegion {
  readonly bytes: Uint8Array;
  /** Flush dirty pages of [offset, offset+length) to the file (msync; async = MS_ASYNC). */
  sync(offset: number, length: number, async?: boolean): void;
  advise(offset: number, length: number, advice: MadviseAdvice): void;
  lock(offset: number, length: number): void;
  unlock(offset: number, length: number): void;
  /** Unmap now: `bytes` becomes empty; using it afterwards reads nothing. */
  unmap(): void;
}

/** What `stat` reports about a path. */
export interface FileStat {
  sizeBytes: number;
  /** Last modification, wall ms since the epoch (retention's file age). */
  mtimeMs: number;
  isDirectory: boolean;
}

export interface SendfileResult {
  bytes: number;
  /** The socket's buffer filled (EAGAIN): wait for it to drain and call again for the rest. */
  wouldBlock: boolean;
}

export interface FileIO {
  readonly backend: IoBackendName;
  readonly capabilities: IoCapabilities;
  /** Byte alignment O_DIRECT needs for memory, offsets and lengths. */
  readonly directAlignment: number;

  open(path: string, options?: OpenOptions): number;
  close(fd: number): void;
  /** Read into all of `target` from `position`; returns the bytes read (less only at end of file). */
  pread(fd: number, target: Uint8Array, position: number): number;
  /** Write all of `source` at `position`; returns its length. */
  pwrite(fd: number, source: Uint8Array, position: number): number;
  fdatasync(fd: number): void;
  /** fdatasync off the calling thread (libuv's pool for real descriptors); resolves when done. */
  fdatasyncAsync(fd: number): Promise<void>;
  fsync(fd: number): void;
  ftruncate(fd: number, length: number): void;
  /** Reserve [offset, offset+length) on disk so later writes there cannot fail with ENOSPC. */
  allocate(fd: number, offset: number, length: number): void;
  /** Make [offset, offset+length) read as zeros, keeping the file length (and its blocks where possible). */
  zeroRange(fd: number, offset: number, length: number): void;
  size(fd: number): number;
  /** Memory usable for O_DIRECT where the backend can align it (see `capabilities.directIo`). */
  allocAligned(size: number): Uint8Array;
  /** Map [offset, offset+length) of the file; throws ERR_STORE_UNSUPPORTED on the node backend. */
  mmap(fd: number, offset: number, length: number, writable: boolean): MappedRegion;
  /** Copy file bytes to a socket fd in the kernel; throws ERR_STORE_UNSUPPORTED on the node backend. */
  sendfile(socketFd: number, fd: number, offset: number, length: number): SendfileResult;

  // ---- names and directories: every durable change of a name goes through these, so a
  // fault-injecting FileIO (the simulator's disk) reaches it. A created, renamed or unlinked
  // name survives a power cut only once its directory was fsynced (fsyncDir).
  /** Atomically replace `to` with `from` (rename(2)). */
  rename(from: string, to: string): void;
  /** Remove a file; a missing file is ENOENT. */
  unlink(path: string): void;
  /** Names in a directory (no '.' / '..'), sorted; ENOENT when it does not exist. */
  readdir(dir: string): string[];
  /** Create a directory and its missing parents (no error when it exists). */
  mkdirp(dir: string): void;
  /** Whether a file or directory exists at `path`. */
  exists(path: string): boolean;
  /** fsync a directory, so the names created, renamed or removed in it are durable. */
  fsyncDir(dir: string): void;
  /** Size, modification time and kind of a path (stat(2)); ENOENT when it does not exist. */
  stat(path: string): FileStat;
  /** The canonical name of an existing path, unique among the FileIOs of this process (a real
   * disk resolves symlinks; the simulator's disk names its disk and boot): the key by which a
   * store directory is locked against a second open in the same process. */
  realpath(path: string): string;
}
