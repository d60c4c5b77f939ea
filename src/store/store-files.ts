// The small marker files at the store root: `abort` (exists while the store runs; found at start
// it means the last run did not shut down cleanly) and `lock` (the pid of the process that owns
// the directory; a second live process is refused, a dead owner's lock is taken over). Both go
// through the store's FileIO: the abort file is created durably (atomic write + directory fsync)
// before anything is written, so a power cut can never make an unclean stop look clean.
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { ensureDir, readTextFile, removeFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import { isProcessAlive } from '../util/process-alive.js';

/** Store directories this process has open, by FileIO.realpath (a second open in the same process is refused too). */
const openInThisProcess = new Set<string>();

export class StoreFiles {
  readonly abortPath: string;
  readonly lockPath: string;
  private lockKey: string | null = null;

  constructor(
    private readonly io: FileIO,
    readonly rootDir: string,
  ) {
    ensureDir(io, rootDir);
    this.abortPath = join(rootDir, 'abort');
    this.lockPath = join(rootDir, 'lock');
  }

  /** Take the directory for this process, or throw if another live process holds it. */
  lock(): void {
    const key = this.io.realpath(this.rootDir);
    if (openInThisProcess.has(key)) {
      throw new StoreError(ErrorCode.INVALID_ARGUMENT, `store directory ${this.rootDir} is already open in this process`);
    }
    const text = readTextFile(this.io, this.lockPath);
    if (text !== null) {
      const owner = Number.parseInt(text.trim(), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isProcessAlive(owner)) {
        throw new StoreError(ErrorCode.INVALID_ARGUMENT, `store directory ${this.rootDir} is in use by process ${owner}`);
      }
    }
    writeFileAtomic(this.io, this.lockPath, `${process.pid}\n`);
    openInThisProcess.add(key);
    this.lockKey = key;
  }

  unlock(): void {
    if (this.lockKey !== null) openInThisProcess.delete(this.lockKey);
    this.lockKey = null;
    removeFile(this.io, this.lockPath);
  }

  /** True when the previous run ended without a clean shutdown. */
  get lastExitAbnormal(): boolean {
    return this.io.exists(this.abortPath);
  }

  markRunning(): void {
    writeFileAtomic(this.io, this.abortPath, new Uint8Array(0));
  }

  markCleanShutdown(): void {
    removeFile(this.io, this.abortPath);
  }
}
