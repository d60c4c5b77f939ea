// Follower side of replication: append bytes a master/leader sent for `offset` (they must
// continue this log exactly) and index the records in them (ReplicaDispatcher keeps a partial
// record until it is complete, so the log only ever holds whole records and the end-of-file
// blank's filler). Refused unless the replication policy says this store follows.
// Before the store starts taking its own puts (a promotion), a half-received blank is completed
// (completeFiller), so the store's first own record, and a new master's epoch, start at the next
// segment as on the old master.
// Refused bytes (no record, a record whose body CRC does not match: ReplicaDispatcher checks every
// record before it may be appended) are logged through a RateLimitedLog: a master that sends the
// same bad bytes on every reconnect costs one line per REFUSAL_LOG_INTERVAL_MS with a count.
import { SYSFLAG_TRANSACTION_MASK, SYSFLAG_TRANSACTION_PREPARED, SYSFLAG_TRANSACTION_ROLLBACK } from '../codec/record-layout.js';
import type { RecordHeader } from '../codec/read-record.js';
import { ErrorCode, StoreError } from '../errors.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';
import { ReplicaDispatcher } from './replica-dispatcher.js';
import type { StoreCore } from './store-core.js';
import { isUnindexedTopic } from './system-topics.js';

export type ReplicatedAppendStatus = 'PUT_OK' | 'NOT_SLAVE' | 'OFFSET_MISMATCH' | 'CROSSES_SEGMENT' | 'CREATE_MAPPED_FILE_FAILED' | 'SERVICE_NOT_AVAILABLE' | 'INVALID_DATA';

export interface ReplicatedAppendResult {
  status: ReplicatedAppendStatus;
  maxOffset: number;
  reason?: string;
}

export const REFUSAL_LOG_INTERVAL_MS = 30_000;

export class ReplicaAppender {
  private replica: ReplicaDispatcher | null = null;
  private readonly refusalLog: RateLimitedLog;

  constructor(
    private readonly core: StoreCore,
    private readonly wakeOnAppend: boolean,
  ) {
    this.refusalLog = new RateLimitedLog(core.logger, core.clock, REFUSAL_LOG_INTERVAL_MS);
  }

  append(offset: number, bytes: Uint8Array): ReplicatedAppendResult {
    const core = this.core;
    const log = core.commitLog;
    const logEnd = log.wroteOffset;
    if (!core.policy.follows) return { status: 'NOT_SLAVE', maxOffset: logEnd };
    if (core.health.failed || core.truncating) return { status: 'SERVICE_NOT_AVAILABLE', maxOffset: logEnd };
    const segmentBytes = core.config.mappedFileSizeCommitLog;
    // A stream that (re)starts at the log end drops any partial record kept from before; an empty
    // log may start at the master's first segment.
    const emptyStart = logEnd === 0 && log.segments.count === 0 && offset % segmentBytes === 0;
    if (!this.replica || this.replica.appendedOffset !== logEnd || ((offset === logEnd || emptyStart) && this.replica.nextOffset !== offset)) {
      this.replica = new ReplicaDispatcher(emptyStart ? offset : logEnd, segmentBytes);
    }
    const replica = this.replica;
    if (offset !== replica.nextOffset) return { status: 'OFFSET_MISMATCH', maxOffset: logEnd };
    const scan = replica.scan(offset, bytes);
    if ('error' in scan) {
      this.refusalLog.error('refused', `refusing replicated bytes: ${scan.error}`);
      return { status: 'INVALID_DATA', maxOffset: logEnd, reason: scan.error };
    }
    if (scan.appendPieces.length > 0) {
      const status = log.appendRaw(scan.appendFrom, scan.appendPieces);
      if (status !== 'PUT_OK') return { status, maxOffset: log.wroteOffset };
    }
    replica.apply(scan);
    for (const r of scan.records) this.dispatch(r.header, r.offset);
    const newest = scan.records[scan.records.length - 1];
    if (newest) core.lastStoreTimestamp = newest.header.storeTimestamp;
    core.putCount += scan.records.length;
    if (this.wakeOnAppend && scan.records.length > 0) core.runner!.wake();
    return { status: 'PUT_OK', maxOffset: log.wroteOffset };
  }

  /** Fill a half-received end-of-file blank up to its segment end (see the header); the filler
   * carries no data (zeros, as on the master). */
  completeFiller(): void {
    const core = this.core;
    const end = this.replica?.fillerEnd ?? 0;
    const at = core.commitLog.wroteOffset;
    this.replica = null;
    if (end <= at) return;
    const status = core.commitLog.appendRaw(at, [new Uint8Array(end - at)]);
    if (status !== 'PUT_OK') throw new StoreError(ErrorCode.IO, `completing the end-of-file blank [${at}, ${end}) before the role change failed: ${status}`);
    core.logger.info(`completed the end-of-file blank up to ${end} (the master's filler had not all arrived)`);
  }

  /** Forget any partial record (the log was cut back). */
  reset(): void {
    this.replica = null;
  }

  private dispatch(r: RecordHeader, at: number): void {
    const tx = r.sysFlag & SYSFLAG_TRANSACTION_MASK;
    if (tx === SYSFLAG_TRANSACTION_PREPARED || tx === SYSFLAG_TRANSACTION_ROLLBACK || isUnindexedTopic(r.topic)) return;
    const q = this.core.consumeQueues.findOrCreate(r.topic, r.queueId);
    this.core.dispatch.push(q, r.queueOffset, at, r.size, r.tagsCode);
    q.nextQueueOffset = Math.max(q.nextQueueOffset, r.queueOffset + 1);
  }
}
