// The small marker files at the store root: `abort` (exists while the store runs; found at start
// it means the last run did not shut down cleanly) and `lock` (the pid of the process that owns
// the directory; a second live process is refused, a dead owner's lock is taken over).
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { isProcessAlive } from '../util/process-alive.js';

/** Store directories this process has open (a second open in the same process is refused too). */
const openInThisProcess = new Set<string>();

export class StoreFiles {
  readonly abortPath: string;
  readonly lockPath: string;

  constructor(readonly rootDir: string) {
    mkdirSync(rootDir, { recursive: true });
    this.abortPath = join(rootDir, 'abort');
    this.lockPath = join(rootDir, 'lock');
  }

  /** Take the directory for this process, or throw if another live process holds it. */
  lock(): void {
    const key = realpathSync(this.rootDir);
    if (openInThisProcess.has(key)) {
      throw new StoreError(ErrorCode.INVALID_ARGUMENT, `store directory ${this.rootDir} is already open in this process`);
    }
    if (existsSync(this.lockPath)) {
      const owner = Number.parseInt(readFileSync(this.lockPath, 'utf8').trim(), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isProcessAlive(owner)) {
        throw new StoreError(ErrorCode.INVALID_ARGUMENT, `store directory ${this.rootDir} is in use by process ${owner}`);
      }
    }
    writeFileSync(this.lockPath, `${process.pid}\n`);
    openInThisProcess.add(key);
  }

  unlock(): void {
    openInThisProcess.delete(realpathSync(this.rootDir));
    rmSync(this.lockPath, { force: true });
  }

  /** True when the previous run ended without a clean shutdown. */
  get lastExitAbnormal(): boolean {
    return existsSync(this.abortPath);
  }

  markRunning(): void {
    writeFileSync(this.abortPath, '');
  }

  markCleanShutdown(): void {
    rmSync(this.abortPath, { force: true });
  }
}
