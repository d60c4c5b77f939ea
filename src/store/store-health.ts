// Why an open store refuses writes, in one place: a fail-stop failure (an fdatasync or write
// error of the persistence service, a ConsumeQueue fdatasync error), a ConsumeQueue write error
// (puts resume once a later write succeeds), the disk above its warning level, or commits failing
// with ENOSPC (the shared `diskFull` flag). The order of the checks is the order of the reasons a
// refused put names.
import type { PersistenceEvent, PersistencePosition } from '../flush/persistence-layout.js';
import type { ControlBlock } from '../util/control-block.js';
import type { Logger } from '../util/logger.js';

export class StoreHealth {
  /** Fail-stop: set once, never cleared while the store is open. */
  failure: string | null = null;
  /** A ConsumeQueue write failed; cleared by the next successful write. */
  cqFailure: string | null = null;
  /** The disk is above diskSpaceWarningLevelRatio; cleared when it is below again. */
  diskFullReason: string | null = null;

  constructor(private readonly block: ControlBlock<PersistencePosition>) {}

  /** The persistence service (or the store) failed for good. */
  get failed(): boolean {
    return this.failure !== null || this.block.loadFlag('failed') !== 0;
  }

  /** Fail-stop once; later failures keep the first reason. Returns the reason in force. */
  failStop(reason: string): string {
    this.failure ??= reason;
    return this.failure;
  }

  /** Why a write that would not otherwise be refused cannot be taken: a failure first, then the
   * ConsumeQueue write error; null when neither. */
  failureRefusal(): string | null {
    if (this.failed) return this.failure ?? 'the persistence service failed (an fdatasync or write error)';
    return this.cqFailure;
  }

  /** Why the disk refuses writes now, or null. */
  diskRefusal(): string | null {
    if (this.diskFullReason !== null) return this.diskFullReason;
    if (this.block.loadFlag('diskFull') !== 0) return 'disk full: commits fail with ENOSPC';
    return null;
  }

  /** For runtimeInfo: the failure in force, if any. */
  get serviceFailure(): string | null {
    return this.failure ?? this.cqFailure;
  }

  /** What the persistence service reports: a failure is fail-stop; disk-full and recovery are
   * logged (the shared diskFull flag itself refuses and resumes puts). */
  onPersistenceEvent(e: PersistenceEvent, logger: Logger): void {
    if (e.type === 'failed') {
      this.failure = `${e.code}: ${e.message}`;
      logger.error(`persistence service failed, the store no longer accepts writes: ${this.failure}`);
    } else if (e.type === 'disk-full') {
      logger.error(`disk full, puts are refused until space frees: ${e.message}`);
    } else if (e.type === 'disk-space-ok') {
      logger.info('disk space available again, puts resume');
    }
  }
}
