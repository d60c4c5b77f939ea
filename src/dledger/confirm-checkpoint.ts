// A persisted lower bound of this member's commit point (DLedger's committedIndex checkpoint):
// `<storePathRootDir>/dledger/committed`, one line `committedPos=<offset>`, written atomically
// (io/atomic-file.ts) at most every CONFIRM_CHECKPOINT_INTERVAL_MS while it moves, and at close.
// Every offset written was a confirm offset, so it is committed; at start it is capped to the
// recovered log end (an ASYNC_FLUSH follower may have confirmed bytes it had not fsynced yet) and
// given to the core as RaftInitialState.commitOffset: a restarted member shows its committed
// records to consumers at once instead of waiting for the leader to confirm them again. A
// missing or damaged file is 0 (a lower bound is always safe), with a warning when damaged.
import { join } from 'node:path';
import { ensureDir, readTextFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';
import { HARD_STATE_DIR } from './hard-state-file.js';

export const CONFIRM_CHECKPOINT_FILE = 'committed';
export const CONFIRM_CHECKPOINT_INTERVAL_MS = 1000;

export class ConfirmCheckpoint {
  readonly path: string;
  private saved = -1;

  constructor(
    private readonly io: FileIO,
    storeRoot: string,
    private readonly logger: Logger,
  ) {
    this.path = join(storeRoot, HARD_STATE_DIR, CONFIRM_CHECKPOINT_FILE);
  }

  load(): number {
    const text = readTextFile(this.io, this.path);
    if (text === null) return 0;
    const m = /^committedPos=(\d{1,16})\s*$/m.exec(text);
    if (!m || !Number.isSafeInteger(Number(m[1]))) {
      this.logger.warn(`${this.path} does not hold committedPos=<offset>; starting from commit point 0`);
      return 0;
    }
    this.saved = Number(m[1]);
    return this.saved;
  }

  /** Write `offset` unless the file already holds it or more. */
  save(offset: number): void {
    if (offset <= this.saved) return;
    ensureDir(this.io, join(this.path, '..'));
    writeFileAtomic(this.io, this.path, `committedPos=${offset}\n`);
    this.saved = offset;
  }
}
